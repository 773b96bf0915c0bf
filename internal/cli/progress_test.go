package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Off a terminal, a report equal to the last one is not written again.
func TestProgressOffATerminalWritesOnlyChanges(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out}
	for _, text := range []string{"a", "a", "a", "b", "b", "a"} {
		p.report(text, 0, 0)
	}
	p.finish()
	assert.Equal(t, "a\nb\na\n", out.String())
	assert.False(t, isTerminal(&out))
}

// On a terminal one line is redrawn in place, and finish ends it.
func TestProgressOnATerminalRedrawsOneLine(t *testing.T) {
	var out bytes.Buffer
	p := &progress{w: &out, live: true, start: time.Now()}
	p.report("seeding: 5/10 orders (50%)", 5, 10)
	p.report("seeding: 10/10 orders (100%)", 10, 10)
	p.finish()
	assert.Equal(t, "\r\033[K["+strings.Repeat("=", 12)+">"+strings.Repeat(" ", 11)+"] seeding: 5/10 orders (50%) (0s)"+
		"\r\033[K["+strings.Repeat("=", 24)+"] seeding: 10/10 orders (100%) (0s)\n", out.String())
}

func TestBar(t *testing.T) {
	assert.Equal(t, "[>         ]", bar(0, 10, 10))
	assert.Equal(t, "[===>      ]", bar(3, 10, 10))
	assert.Equal(t, "[==========]", bar(10, 10, 10))
	assert.Equal(t, "[==========]", bar(12, 10, 10), "never past the end")
}
