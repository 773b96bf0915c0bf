// Command starter sets up and drives the backorder process; see
// `starter --help`.
package main

import (
	"os"

	"github.com/acme/backorders/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
