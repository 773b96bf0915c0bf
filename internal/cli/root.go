// Package cli is the starter command: set-up, data, sweeps, and the human
// side of the process (status, tasks, fulfilment). Every command reads its
// settings from the environment (see README.md) and fails with one line
// that says what went wrong and what to do.
package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/temporalx"
)

// env holds what a command connects to, opened on first use.
type env struct {
	cfg      config.Config
	out, err io.Writer
	db       *store.Store
	temporal client.Client
}

// Main runs the starter with args and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	e := &env{out: stdout, err: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(context.Background())
	e.close()
	if err != nil {
		fmt.Fprintln(stderr, "starter:", err)
		return 1
	}
	return 0
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Run and inspect the backorder process",
		Long: `starter sets up the backorder system, loads and seeds order data, runs
sweeps for overdue backorders, and lets people see and act on the process:
order status, human tasks, fulfilment and cancellation.

Settings come from the environment: DATABASE_URL, TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, BACKORDER_TASK_QUEUE, BACKORDER_TIMEZONE and the
others listed in README.md.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			e.cfg, err = config.Load()
			return err
		},
	}
	root.AddCommand(
		newSetupCmd(e), newImportCmd(e), newSeedCmd(e), newSweepCmd(e), newStatusCmd(e),
		newTasksCmd(e), newTaskCmd(e), newFulfillCmd(e), newCancelCmd(e), newReportCmd(e),
		newNotificationsCmd(e),
	)
	return root
}

func (e *env) store(ctx context.Context) (*store.Store, error) {
	if e.db == nil {
		db, err := store.Open(ctx, e.cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		e.db = db
	}
	return e.db, nil
}

func (e *env) client() (client.Client, error) {
	if e.temporal == nil {
		// The SDK's own logging is noise on a terminal; errors reach the user
		// through the returned error instead.
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		c, err := temporalx.Dial(e.cfg, quiet)
		if err != nil {
			return nil, err
		}
		e.temporal = c
	}
	return e.temporal, nil
}

func (e *env) close() {
	if e.db != nil {
		e.db.Close()
	}
	if e.temporal != nil {
		e.temporal.Close()
	}
}

func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns; call Flush when done.
func (e *env) table() *tabwriter.Writer {
	return tabwriter.NewWriter(e.out, 0, 0, 2, ' ', 0)
}

// progressf reports on stderr, so stdout stays clean for --json.
func (e *env) progressf(format string, args ...any) {
	fmt.Fprintf(e.err, format, args...)
}
