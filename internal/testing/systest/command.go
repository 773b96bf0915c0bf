package systest

import (
	"flag"
	"fmt"
	"io"
)

// WorkerFlag defines the --worker flag the drill and benchmark commands
// take: the built worker binary (bin/worker by default), run as a process.
func WorkerFlag(help string) *string {
	return flag.String("worker", "bin/worker", help)
}

// Usage sets a command's --help: text, then what more writes (nil for
// nothing), then the flags.
func Usage(text string, more func(w io.Writer)) {
	flag.Usage = func() {
		out := flag.CommandLine.Output()
		fmt.Fprintln(out, text)
		if more != nil {
			more(out)
		}
		flag.PrintDefaults()
	}
}
