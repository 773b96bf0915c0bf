// Command chaos runs the fault drills (internal/testing/chaos) one after another,
// each on a system of its own, and prints a table; `make chaos` runs it.
// It exits non-zero when a drill fails, keeping that drill's logs.
//
// Sizes: CHAOS_ORDERS (default 300 overdue orders per drill);
// CHAOS_DB_OUTAGE (30s), CHAOS_PROVIDER_OUTAGE (20s), CHAOS_LOCK_HOLD
// (15s), CHAOS_SERVER_DOWN (3s).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/acme/backorders/internal/testing/chaos"
	"github.com/acme/backorders/internal/testing/systest"
)

func main() {
	workerBin := systest.WorkerFlag("the worker binary to run, kill and restart")
	only := flag.String("drill", "", "comma-separated drill names to run (default: all)")
	systest.Usage(`Usage: chaos [--worker BIN] [--drill NAME,...]

Runs the fault drills: for each, a sweep of overdue orders on its own dev
server, database and worker, with fake SendGrid and Twilio servers; the
fault is injected mid-run and taken away, then every order must reach
awaiting_fulfillment, complete after fulfilment, and every invariant hold.

Environment: CHAOS_ORDERS (default 300), CHAOS_DB_OUTAGE (30s),
CHAOS_PROVIDER_OUTAGE (20s), CHAOS_LOCK_HOLD (15s), CHAOS_SERVER_DOWN (3s),
DATABASE_URL (its server hosts the drills' databases; the outage drill
brings its own throwaway cluster), TEMPORAL_CLI_PATH.

Drills:`, func(out io.Writer) {
		for _, d := range chaos.Drills {
			fmt.Fprintf(out, "  %-18s %s\n", d.Name, d.Title)
		}
	})
	flag.Parse()
	ok, err := run(*workerBin, *only)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(workerBin, only string) (bool, error) {
	drills := chaos.Drills
	if only != "" {
		drills = nil
		for _, name := range strings.Split(only, ",") {
			d, ok := chaos.DrillNamed(strings.TrimSpace(name))
			if !ok {
				return false, fmt.Errorf("no drill %q (see --help)", name)
			}
			drills = append(drills, d)
		}
	}
	opts := chaos.Options{WorkerBinary: workerBin, ServerURL: systest.ServerURL()}
	var err error
	if opts.Orders, err = systest.IntFromEnv("CHAOS_ORDERS", 300, 4); err != nil {
		return false, err
	}
	for _, d := range []struct {
		name string
		into *time.Duration
	}{
		{"CHAOS_DB_OUTAGE", &opts.DBOutage},
		{"CHAOS_PROVIDER_OUTAGE", &opts.ProviderOutage},
		{"CHAOS_LOCK_HOLD", &opts.LockHold},
		{"CHAOS_SERVER_DOWN", &opts.ServerDown},
	} {
		if *d.into, err = systest.DurationFromEnv(d.name); err != nil {
			return false, err
		}
	}
	if opts.WorkDir, err = os.MkdirTemp("", "backorders-chaos"); err != nil {
		return false, err
	}
	opts.Logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "chaos %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var results []chaos.Result
	for _, d := range drills {
		if ctx.Err() != nil {
			break
		}
		opts.Logf("== %s: %s", d.Name, d.Title)
		res := chaos.RunDrill(ctx, d, opts)
		if !res.OK {
			if res.Err != nil {
				fmt.Fprintf(os.Stderr, "chaos: %s failed: %v\n", d.Name, res.Err)
			}
			for _, c := range res.Verdict.Failed() {
				fmt.Fprintf(os.Stderr, "chaos: %s: FAILED %s\n", d.Name, c)
			}
		}
		results = append(results, res)
	}
	allOK := len(results) == len(drills)
	for _, r := range results {
		allOK = allOK && r.OK
	}
	printTable(results)
	if allOK {
		_ = os.RemoveAll(opts.WorkDir)
	} else {
		fmt.Printf("\nLogs kept in %s\n", opts.WorkDir)
	}
	return allOK, nil
}

func printTable(results []chaos.Result) {
	fmt.Println()
	t := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(t, "DRILL\tRESULT\tORDERS\tRECOVERY\tDETAIL")
	for _, r := range results {
		result := "PASS"
		if !r.OK {
			result = "FAIL"
		}
		recovery := "-"
		if r.Recovery >= 0 {
			recovery = fmt.Sprintf("%.1f s", r.Recovery.Seconds())
		}
		fmt.Fprintf(t, "%s\t%s\t%d\t%s\t%s\n", r.Drill, result, r.Orders, recovery, r.Detail)
	}
	_ = t.Flush()
	fmt.Println()
	fmt.Println("Recovery: from the end of the fault (last restart, database or server back, providers or lock released)")
	fmt.Println("to every order awaiting fulfilment; signals-no-worker: from the worker's restart to every workflow completed.")
	fmt.Println()
	for _, r := range results {
		fmt.Printf("  %-18s %s\n", r.Drill, r.Title)
	}
}
