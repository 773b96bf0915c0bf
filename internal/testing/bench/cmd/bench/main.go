// Command bench runs the whole-process benchmark (see internal/testing/bench) and
// prints a table; `make bench` runs it and keeps bench/results.json.
//
// Sizes: BENCH_ORDERS (default 1,000,000), BENCH_OVERDUE (default 10,000)
// and BENCH_REPORT_INCIDENTS (default 500,000).
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/acme/backorders/internal/testing/bench"
	"github.com/acme/backorders/internal/testing/systest"
)

func main() {
	out := flag.String("out", "bench/results.json", "where to write the results")
	workerBin := systest.WorkerFlag("the worker binary to measure")
	systest.Usage(`Usage: bench [--out FILE] [--worker BIN]

Runs the whole backorder process on its own dev servers and databases and
reports: identification (first page, all pages), the sweep's throughput
against the honest ceiling (a no-op twin of the per-order workflow's
recorded shapes, in their real mix, started and parked as the real ones
are, on a fresh dev server of its own; the two take turns, ten rounds
each), per-order latency, the last
customer notice, a second sweep over every parked order and its start
requests, memory with the orders parked, fulfilment against the twin's, a
plain-loop baseline, the weekly report over a year of history, and the
invariants.

Environment: BENCH_ORDERS (default 1000000), BENCH_OVERDUE (default 10000),
BENCH_REPORT_INCIDENTS (default 500000), BENCH_SKIP (optional steps not
to run, comma-separated: ceiling, baseline, report), DATABASE_URL (its
server hosts the benchmark's databases). The scale point of BENCHMARKS.md:
BENCH_OVERDUE=100000 make bench (BENCH_SKIP=ceiling,baseline,report halves
its time; BENCH_ORDERS=10000000 adds identification over ten million).`, nil)
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
	incidents, err := systest.IntFromEnv("BENCH_REPORT_INCIDENTS", 500_000, 0)
	if err != nil {
		return err
	}
	skip, err := skipFromEnv()
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
		Orders: orders, Overdue: overdue, ReportIncidents: incidents, ServerURL: systest.ServerURL(),
		WorkerBinary: workerBin, WorkDir: workDir, Skip: skip, Progress: os.Stderr,
	})
	if err != nil {
		return fmt.Errorf("%w (logs in %s)", err, workDir)
	}
	_ = os.RemoveAll(workDir)
	printTable(res)
	return bench.WriteJSON(out, res)
}

// skipFromEnv reads BENCH_SKIP, refusing a step that cannot be skipped.
func skipFromEnv() (map[string]bool, error) {
	skip := map[string]bool{}
	for name := range strings.SplitSeq(os.Getenv("BENCH_SKIP"), ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(bench.SkippableSteps, name) {
			return nil, fmt.Errorf("BENCH_SKIP names %q; the steps that can be skipped are %s", name, strings.Join(bench.SkippableSteps, ", "))
		}
		skip[name] = true
	}
	return skip, nil
}

func printTable(r bench.Results) {
	t := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label, value, target string) { fmt.Fprintf(t, "%s\t%s\t%s\t\n", label, value, target) }
	fmt.Printf("Machine: %s\n\n", r.Machine)
	row("measure", "value", "target")
	row("orders / overdue", fmt.Sprintf("%d / %d", r.Orders, r.Overdue), "")
	row("seed", fmt.Sprintf("%.1f s", r.SeedSeconds), "")
	row("identify: first page", fmt.Sprintf("%.1f ms", r.IdentifyFirstPageMS), "< 50 ms")
	row("identify: all pages", fmt.Sprintf("%.1f ms", r.IdentifyAllMS), "< 5000 ms")
	row("identify uses index", fmt.Sprint(r.IdentifyUsesIndex), "true")
	row("sweep to awaiting", fmt.Sprintf("%.1f s", r.SweepSeconds), "")
	row("throughput", fmt.Sprintf("%.1f orders/s", r.OrdersPerS), ">= 40")
	row("ceiling (twin, own server, in turns)", fmt.Sprintf("%.1f orders/s", r.CeilingOrdersPerS), "")
	row("ratio to ceiling", fmt.Sprintf("%.0f%%", 100*r.CeilingRatio), ">= 85%")
	row("p50 / p95 / p99 per order", fmt.Sprintf("%.2f / %.2f / %.2f s", r.P50Seconds, r.P95Seconds, r.P99Seconds), "p99 < 3 s")
	row("twin p99", fmt.Sprintf("%.2f s", r.CeilingP99Seconds), "")
	row("last customer notice", fmt.Sprintf("%.1f s", r.LastNoticeSeconds), "")
	row("history events / order", fmt.Sprintf("%.1f", r.HistoryEventsPerOrder), "")
	row("state transitions / order", fmt.Sprintf("%.1f", r.StateTransitionsPerOrder), "<= 5")
	row("second sweep", fmt.Sprintf("%.1f s", r.ResweepSeconds), "< 10 s at 10,000")
	row("second sweep: start requests", fmt.Sprint(r.ResweepStartRequests), "0")
	row("fulfil", fmt.Sprintf("%.1f orders/s", r.FulfilOrdersPerS), "")
	row("fulfil: twin / ratio", fmt.Sprintf("%.1f orders/s / %.0f%%", r.FulfilCeilingOrdersPerS, 100*r.FulfilCeilingRatio), "")
	row("worker RSS, workflows parked", fmt.Sprintf("%.0f MB", r.WorkerRSSMB), "< 500 MB")
	row("dev server RSS", fmt.Sprintf("%.0f MB", r.ServerRSSMB), "")
	row("baseline loop (no Temporal)", fmt.Sprintf("%.1f orders/s", r.BaselineOrdersPerS), "")
	row("weekly report", fmt.Sprintf("%.1f ms over %d incidents", r.ReportMS, r.ReportIncidents), "< 2000 ms")
	for _, op := range slices.Sorted(maps.Keys(r.RequestsPerOrder)) {
		row("worker requests / order: "+op, fmt.Sprintf("%.2f", r.RequestsPerOrder[op]), "")
	}
	for _, inv := range r.Invariants {
		row("invariant: "+inv.Name, passFail(inv.OK), inv.Detail)
	}
	t.Flush()
	if len(r.Rounds) > 1 {
		fmt.Println("\nRounds (orders/s; the twin's turn, then the real system's):")
		for i, rd := range r.Rounds {
			fmt.Printf("  %2d  %6d orders  sweep: twin %6.1f  real %6.1f  fulfil: twin %6.1f  real %6.1f\n", i+1, rd.Orders,
				perSecond(rd.Orders, rd.TwinSweepSeconds), perSecond(rd.Orders, rd.SweepSeconds),
				perSecond(rd.Orders, rd.TwinFulfilSeconds), perSecond(rd.Orders, rd.FulfilSeconds))
		}
	}
	fmt.Println("\nShapes (share of orders: steps until parked | the wait | steps after the signal):")
	for _, s := range r.TwinShapes {
		fmt.Printf("  twin %5.1f%%  %s\n", 100*s.Share, s.Shape)
	}
	for _, s := range r.RealShapes {
		fmt.Printf("  real %5.1f%%  %s (%d sampled orders)\n", 100*s.Share, s.Shape, s.Orders)
	}
}

func perSecond(orders int, seconds float64) float64 {
	if seconds == 0 {
		return 0
	}
	return float64(orders) / seconds
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
