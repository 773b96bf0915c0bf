// Command bench runs the whole-process benchmark (see internal/testing/bench) and
// prints a table; `make bench` runs it and keeps bench/results.json.
//
// Sizes: BENCH_ORDERS (default 1,000,000) and BENCH_OVERDUE (default 10,000).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"text/tabwriter"

	"github.com/acme/backorders/internal/testing/bench"
	"github.com/acme/backorders/internal/testing/systest"
)

func main() {
	out := flag.String("out", "bench/results.json", "where to write the results")
	workerBin := systest.WorkerFlag("the worker binary to measure")
	systest.Usage(`Usage: bench [--out FILE] [--worker BIN]

Runs the whole backorder process on its own dev server and databases and
reports throughput, latency, the no-op ceiling, memory, a plain-loop
baseline, the weekly report time and the invariants.

Environment: BENCH_ORDERS (default 1000000), BENCH_OVERDUE (default 10000),
DATABASE_URL (its server hosts the benchmark's databases).`, nil)
	flag.Parse()
	if err := run(*out, *workerBin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(out, workerBin string) error {
	orders, err := systest.IntFromEnv("BENCH_ORDERS", 1_000_000, 1)
	if err != nil {
		return err
	}
	overdue, err := systest.IntFromEnv("BENCH_OVERDUE", 10_000, 1)
	if err != nil {
		return err
	}
	if overdue > orders {
		return fmt.Errorf("BENCH_OVERDUE=%d is more than BENCH_ORDERS=%d", overdue, orders)
	}
	workDir, err := os.MkdirTemp("", "backorders-bench")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := bench.Run(ctx, bench.Options{
		Orders: orders, Overdue: overdue, ServerURL: systest.ServerURL(),
		WorkerBinary: workerBin, WorkDir: workDir, Progress: os.Stderr,
	})
	if err != nil {
		return fmt.Errorf("%w (logs in %s)", err, workDir)
	}
	_ = os.RemoveAll(workDir)
	printTable(res)
	return bench.WriteJSON(out, res)
}

func printTable(r bench.Results) {
	t := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label, value, target string) { fmt.Fprintf(t, "%s\t%s\t%s\t\n", label, value, target) }
	fmt.Printf("Machine: %s\n\n", r.Machine)
	row("measure", "value", "target")
	row("orders / overdue", fmt.Sprintf("%d / %d", r.Orders, r.Overdue), "")
	row("seed", fmt.Sprintf("%.1f s", r.SeedSeconds), "")
	row("identify (all pages)", fmt.Sprintf("%.1f ms", r.IdentifyMS), "< 500 ms")
	row("identify uses index", fmt.Sprint(r.IdentifyUsesIndex), "true")
	row("sweep to awaiting", fmt.Sprintf("%.1f s", r.SweepSeconds), "")
	row("throughput", fmt.Sprintf("%.1f orders/s", r.OrdersPerS), ">= 25")
	row("ceiling (no-op twin)", fmt.Sprintf("%.1f orders/s", r.CeilingOrdersPerS), "")
	row("ratio to ceiling", fmt.Sprintf("%.0f%%", 100*r.CeilingRatio), ">= 70%")
	row("p50 / p95 / p99 per order", fmt.Sprintf("%.2f / %.2f / %.2f s", r.P50Seconds, r.P95Seconds, r.P99Seconds), "p99 < 5 s")
	row("history events / order", fmt.Sprintf("%.1f", r.HistoryEventsPerOrder), "")
	row("state transitions / order", fmt.Sprintf("%.1f", r.StateTransitionsPerOrder), "")
	row("fulfil all", fmt.Sprintf("%.1f s", r.FulfilSeconds), "")
	row("worker RSS, workflows parked", fmt.Sprintf("%.0f MB", r.WorkerRSSMB), "< 500 MB")
	row("dev server RSS", fmt.Sprintf("%.0f MB", r.ServerRSSMB), "")
	row("baseline loop (no Temporal)", fmt.Sprintf("%.1f orders/s", r.BaselineOrdersPerS), "")
	row("weekly report", fmt.Sprintf("%.1f ms", r.ReportMS), "< 2000 ms")
	for _, inv := range r.Invariants {
		row("invariant: "+inv.Name, passFail(inv.OK), inv.Detail)
	}
	t.Flush()
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
