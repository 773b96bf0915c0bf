package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress reports a long command's advance on standard error, so stdout
// stays clean for --json. On a terminal it is one line redrawn in place,
// with a bar when the total is known; anywhere else (a log, a CI job) it
// writes a line only when the report changed, so waiting does not repeat
// the same line on every poll.
type progress struct {
	w     io.Writer
	live  bool
	start time.Time
	last  string // the last report written
	drawn bool   // a live line is on screen
}

func (e *env) newProgress() *progress {
	return &progress{w: e.err, live: isTerminal(e.err), start: time.Now()}
}

// isTerminal says whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// report shows text; with total > 0, done of total as a bar before it on a
// terminal. Off a terminal a report equal to the last is not written.
func (p *progress) report(text string, done, total int) {
	if !p.live {
		if text != p.last {
			fmt.Fprintln(p.w, text)
		}
		p.last = text
		return
	}
	line := text
	if total > 0 {
		line = bar(done, total, 24) + " " + text
	}
	// Redrawn even when unchanged: the elapsed time shows it is alive.
	fmt.Fprintf(p.w, "\r\033[K%s (%s)", line, time.Since(p.start).Round(time.Second))
	p.last, p.drawn = text, true
}

// finish ends a live line, so what follows starts on a line of its own.
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// bar draws done of total in width cells: "[=======>        ]".
func bar(done, total, width int) string {
	filled := min(width, width*max(done, 0)/total)
	head := ""
	if filled < width {
		head = ">"
	}
	return "[" + strings.Repeat("=", filled) + head + strings.Repeat(" ", max(width-filled-len(head), 0)) + "]"
}
