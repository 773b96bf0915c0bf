// Package cli is the starter command: set-up, data, sweeps, and the human
// side of the process (status, tasks, fulfilment). Every command reads its
// settings from the environment (see docs/operations.md) and fails with one line
// that says what went wrong and what to do.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/acme/backorders/internal/buildinfo"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/temporalx"
)

// env holds what a command connects to, opened on first use.
type env struct {
	cfg      config.Config
	in       io.Reader
	out, err io.Writer
	db       *store.Store
	temporal client.Client
	// schemaChecked: db's schema version was checked (store).
	schemaChecked bool
}

// Main runs the starter with args and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	return Run(args, os.Stdin, stdout, stderr)
}

// Run is Main reading standard input from stdin (`import --file -`).
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{in: stdin, out: stdout, err: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(context.Background())
	e.close()
	if err != nil {
		if strings.HasPrefix(err.Error(), "required flag") {
			err = &usageError{cmd: cmd, err: err}
		}
		fmt.Fprintln(stderr, "starter:", message(err))
		return exitCode(err)
	}
	return 0
}

// Exit codes, documented in the root command's help and the README.
const (
	exitFailed   = 1 // a runtime failure: a service unreachable, an error while working
	exitUsage    = 2 // an unknown command or flag, wrong arguments, a flag value that cannot be used
	exitNotFound = 3 // the order, task, workflow or notification named does not exist
	exitRefused  = 4 // refused by a rule: a status guard, a workflow's validator, an import's checks, not resendable
)

// unreachableError is a failed dial: a runtime failure (exit 1) even when
// the server answered "namespace not found", which is a setting to fix,
// not a thing the command line named.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }

// exitCode sorts a command's error into the exit codes above.
func exitCode(err error) int {
	if unreachable := (*unreachableError)(nil); errors.As(err, &unreachable) {
		return exitFailed
	}
	var (
		usage         *usageError
		invalid       *operations.InvalidError
		notFound      *operations.NotFoundError
		noSuchThing   *serviceerror.NotFound
		refused       *operations.RefusedError
		statusRefused *store.StatusRefusedError
		rejected      *store.ValidationError
	)
	switch {
	case errors.As(err, &usage), errors.As(err, &invalid):
		return exitUsage
	case errors.As(err, &notFound), errors.As(err, &noSuchThing), errors.Is(err, store.ErrNotFound):
		return exitNotFound
	case errors.As(err, &refused), errors.As(err, &statusRefused), errors.As(err, &rejected), errors.Is(err, store.ErrNotResendable):
		return exitRefused
	}
	return exitFailed
}

// badValue is a flag value the command cannot use: a usage error (exit 2)
// whose message is format's.
func badValue(format string, args ...any) error {
	return &operations.InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// flagNamed renames an operation's input field in its error to the flag
// that gave it ("confirmed_eta" to "--eta"), keeping the error's kind.
func flagNamed(err error, field, flag string) error {
	return flagsNamed(err, map[string]string{field: flag})
}

// flagsNamed is flagNamed for several fields: flags maps each to its flag.
func flagsNamed(err error, flags map[string]string) error {
	var (
		invalid *operations.InvalidError
		refused *operations.RefusedError
	)
	switch {
	case errors.As(err, &invalid) && flags[invalid.Field] != "":
		return &operations.InvalidError{Field: flags[invalid.Field], Reason: invalid.Reason}
	case errors.As(err, &refused) && flags[refused.Field] != "":
		return &operations.RefusedError{Field: flags[refused.Field], Reason: refused.Reason}
	}
	return err
}

// message is what the user reads: one line, except for a rejected import,
// whose every problem gets a line of its own.
func message(err error) string {
	var rejected *store.ValidationError
	if errors.As(err, &rejected) {
		return err.Error()
	}
	var parts []string
	for line := range strings.Lines(err.Error()) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}

// usageError is a command line that cannot run: an unknown command, wrong
// arguments, a bad flag. It carries the command's usage on the same line.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string {
	use := e.cmd.UseLine()
	if e.cmd.HasSubCommands() {
		use = e.cmd.CommandPath() + " COMMAND"
	}
	return fmt.Sprintf("%v (usage: %s; see %s --help)", e.err, use, e.cmd.CommandPath())
}

func (e *usageError) Unwrap() error { return e.err }

// actsItself annotates a command that has subcommands and also acts on
// its own (notifications, with resend under it).
const actsItself = "acts-itself"

// usageErrors makes every argument and flag error of cmd and its
// subcommands a usageError. A command with subcommands (the root, `task`,
// `notifications`) rejects an unknown subcommand itself: cobra would print help and
// succeed for `starter task frob`, and list suggestions over several lines.
func usageErrors(cmd *cobra.Command) {
	if cmd.HasSubCommands() {
		// A command with subcommands may also act itself (notifications).
		own := cmd.RunE
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0 && own != nil:
				return own(cmd, args)
			case len(args) > 0:
				err := fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					err = fmt.Errorf("%w, did you mean %s?", err, strings.Join(s, " or "))
				}
				return &usageError{cmd: cmd, err: err}
			case cmd.HasParent():
				var names []string
				for _, sub := range cmd.Commands() {
					names = append(names, sub.Name())
				}
				return &usageError{cmd: cmd, err: fmt.Errorf("%q needs a command: %s", cmd.CommandPath(), strings.Join(names, ", "))}
			}
			return cmd.Help()
		}
	} else if validate := cmd.Args; validate != nil {
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if err := validate(cmd, args); err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		usageErrors(sub)
	}
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Run and inspect the backorder process",
		Long: `starter sets up the backorder system, loads and seeds order data, runs
sweeps for overdue backorders, and lets people see and act on the process:
order status, human tasks, ETA revisions, fulfilment and cancellation.

Settings come from the environment: DATABASE_URL, TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, BACKORDER_TASK_QUEUE, BACKORDER_TIMEZONE and the
others listed in docs/operations.md.

Every command that prints a result takes --json: one JSON document on
standard output, with snake_case field names (docs/operations.md).
Errors go to standard error, one line starting "starter:".

Exit codes:
  0  done
  1  runtime failure (a service unreachable, an error while working)
  2  usage error: unknown command or flag, wrong arguments, a flag value
     that does not parse or a file that cannot be read
  3  not found: the order, task, workflow or notification named
  4  refused by a rule: a status guard, a workflow's validator, an
     import's checks, a notification that must not be resent`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.String("starter"),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if cmd.HasSubCommands() && (len(args) > 0 || cmd.Annotations[actsItself] == "") {
				return nil // help, or an unknown command: no settings needed
			}
			var err error
			e.cfg, err = config.Load()
			return err
		},
	}
	root.AddCommand(
		newSetupCmd(e), newMigrateCmd(e), newImportCmd(e), newSeedCmd(e), newSweepCmd(e), newStatusCmd(e),
		newTasksCmd(e), newTaskCmd(e), newETACmd(e), newFulfillCmd(e), newCancelCmd(e), newReportCmd(e),
		newNotificationsCmd(e), newBackordersCmd(e),
	)
	root.AddCommand(newTokensCmd(e))
	root.AddCommand(newServeCmd(e), newUsersCmd(e))
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: err}
	})
	usageErrors(root)
	return root
}

// store opens the database for a command that reads or writes it, and
// checks, once, that its schema is the version this build needs: against
// an unmigrated or older database every such command fails with one line
// saying to run `starter migrate`, not with a raw SQL error.
func (e *env) store(ctx context.Context) (*store.Store, error) {
	db, err := e.storeAsIs(ctx)
	if err != nil {
		return nil, err
	}
	if !e.schemaChecked {
		if err := db.CheckSchema(ctx); err != nil {
			return nil, err
		}
		e.schemaChecked = true
	}
	return db, nil
}

// storeAsIs opens the database without checking its schema: for the
// commands that bring the schema up to date (migrate, setup).
func (e *env) storeAsIs(ctx context.Context) (*store.Store, error) {
	if e.db == nil {
		db, err := store.Open(ctx, e.cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		e.db = db
	}
	return e.db, nil
}

// ops is the operations service over the command's connections, opened
// only when an operation needs them.
func (e *env) ops() *operations.Service {
	return &operations.Service{Config: e.cfg, OpenStore: e.store, DialTemporal: e.client}
}

// today is the current date in the business timezone (BACKORDER_TIMEZONE).
func (e *env) today() time.Time {
	return backorder.DateOf(time.Now(), e.cfg.Location)
}

func (e *env) client() (client.Client, error) {
	if e.temporal == nil {
		// The SDK's own logging is noise on a terminal; errors reach the user
		// through the returned error instead.
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		c, err := temporalx.Dial(e.cfg, quiet, nil)
		if err != nil {
			return nil, &unreachableError{err: err}
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
