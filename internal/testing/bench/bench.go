// Package bench measures the whole backorder process on the local stack:
// seeding, identification, the sweep to awaiting_fulfillment against the
// ceiling of a no-op workflow of the same shape, fulfilment, memory with
// workflows parked, a plain-loop baseline without Temporal, the weekly
// report, and the invariants. `make bench` runs it; it is a command, not a
// test, so `make test` never depends on timings.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/localproc"
	"github.com/acme/backorders/internal/testing/systest"
	"github.com/acme/backorders/workflows"
)

// Options size and place the run.
type Options struct {
	Orders  int
	Overdue int
	// ServerURL is a PostgreSQL URL; the benchmark creates (and recreates)
	// its own databases on that server.
	ServerURL string
	// WorkerBinary is bin/worker, run as its own process so its memory can
	// be measured.
	WorkerBinary string
	// WorkDir holds the dev server's SQLite file and the logs.
	WorkDir string
	// WorkerEnv is extra environment for the worker (provider fakes).
	WorkerEnv []string
	Progress  io.Writer
}

// Results is what bench/results.json holds.
type Results struct {
	Machine                  string      `json:"machine"`
	StartedAt                time.Time   `json:"started_at"`
	Orders                   int         `json:"orders"`
	Overdue                  int         `json:"overdue"`
	SeedSeconds              float64     `json:"seed_seconds"`
	IdentifyMS               float64     `json:"identify_ms"`
	IdentifyUsesIndex        bool        `json:"identify_uses_index"`
	SweepSeconds             float64     `json:"sweep_seconds"`
	OrdersPerS               float64     `json:"orders_per_s"`
	P50Seconds               float64     `json:"p50_seconds"`
	P95Seconds               float64     `json:"p95_seconds"`
	P99Seconds               float64     `json:"p99_seconds"`
	HistoryEventsPerOrder    float64     `json:"history_events_per_order"`
	StateTransitionsPerOrder float64     `json:"state_transitions_per_order"`
	WorkflowShape            []string    `json:"workflow_shape"`
	WorkerRSSMB              float64     `json:"worker_rss_mb"`
	ServerRSSMB              float64     `json:"server_rss_mb"`
	FulfilSeconds            float64     `json:"fulfil_seconds"`
	CeilingSeconds           float64     `json:"ceiling_seconds"`
	CeilingOrdersPerS        float64     `json:"ceiling_orders_per_s"`
	CeilingRatio             float64     `json:"ceiling_ratio"`
	BaselineOrdersPerS       float64     `json:"baseline_orders_per_s"`
	ReportMS                 float64     `json:"report_ms"`
	Invariants               []Invariant `json:"invariants"`
	InvariantsOK             bool        `json:"invariants_ok"`
}

// Invariant is one pass/fail check.
type Invariant struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

const (
	benchDatabase    = "backorders_bench"
	baselineDatabase = "backorders_bench_baseline"
	taskQueue        = "backorders-bench"
	calibrationQueue = "backorders-bench-calibration"
	// asOf is fixed so runs are comparable.
	asOfDate = "2026-11-27"
	// awaitingStatus is what the workflow writes to orders.current_status
	// when it reaches awaiting_fulfillment.
	awaitingStatus = contract.CurrentStatusAwaiting
	// clientConcurrency bounds the benchmark's own parallel calls (signals,
	// calibration starts).
	clientConcurrency = 64
)

type run struct {
	opts     Options
	results  Results
	db       *store.Store
	server   *systest.DevServer
	temporal client.Client
	worker   *localproc.Process
	asOf     time.Time
}

// Run performs the whole benchmark.
func Run(ctx context.Context, opts Options) (Results, error) {
	r := &run{opts: opts}
	r.results = Results{Machine: machine(), StartedAt: time.Now().UTC(), Orders: opts.Orders, Overdue: opts.Overdue}
	r.asOf, _ = backorder.ParseDate(asOfDate)
	defer r.close()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"start the stack", r.startStack},
		{"seed", r.seed},
		{"identify", r.identify},
		{"sweep", r.sweep},
		{"history", r.history},
		{"memory", r.memory},
		{"report", r.report},
		{"fulfil", r.fulfil},
		{"calibrate", r.calibrate},
		{"baseline", r.baseline},
		{"invariants", r.invariants},
	}
	for _, step := range steps {
		r.progressf("== %s", step.name)
		if err := step.fn(ctx); err != nil {
			return r.results, fmt.Errorf("%s: %w", step.name, err)
		}
	}
	return r.results, nil
}

func (r *run) progressf(format string, args ...any) {
	fmt.Fprintf(r.opts.Progress, "bench: "+format+"\n", args...)
}

func (r *run) close() {
	if r.worker != nil {
		_ = r.worker.Stop(syscall.SIGINT, 20*time.Second)
	}
	if r.server != nil {
		r.server.Close(20 * time.Second)
	}
	if r.db != nil {
		r.db.Close()
	}
}

func (r *run) startStack(ctx context.Context) error {
	var err error
	var dbURL string
	if r.db, dbURL, err = systest.FreshDatabase(ctx, r.opts.ServerURL, benchDatabase, true); err != nil {
		return err
	}
	// The dev server as make demo runs it, on a free port and a SQLite file.
	if r.server, err = systest.StartDevServer(ctx, systest.DevServerOptions{Dir: r.opts.WorkDir, Env: os.Environ()}); err != nil {
		return err
	}
	r.temporal = r.server.Client()
	env := append(os.Environ(),
		"DATABASE_URL="+dbURL,
		"TEMPORAL_ADDRESS="+r.server.Address(),
		"BACKORDER_TASK_QUEUE="+taskQueue,
		"BACKORDER_TIMEZONE=UTC",
		"BACKORDER_METRICS_ADDR=",
		"WAREHOUSE_MANAGER_PHONE=+15555550100",
	)
	r.worker, err = localproc.Start("worker", filepath.Join(r.opts.WorkDir, "worker.log"), append(env, r.opts.WorkerEnv...), nil, r.opts.WorkerBinary)
	return err
}

func (r *run) seed(ctx context.Context) error {
	start := time.Now()
	sum, err := r.db.Seed(ctx, store.SeedOptions{
		Orders: r.opts.Orders, Overdue: r.opts.Overdue, AsOf: r.asOf, Seed: 1,
		Progress: func(done, total int) {
			if done%100_000 == 0 || done == total {
				r.progressf("seeded %d/%d orders", done, total)
			}
		},
	})
	if err != nil {
		return err
	}
	r.results.SeedSeconds = time.Since(start).Seconds()
	r.progressf("seeded %d orders, %d lines in %.1fs", sum.Orders, sum.Lines, r.results.SeedSeconds)
	return nil
}

// identify times the sweep's query over every page, as the sweep runs it,
// and checks its plan uses the partial index.
func (r *run) identify(ctx context.Context) error {
	const page = 500
	start := time.Now()
	found, after := 0, ""
	for {
		orders, err := r.db.OverdueBackorders(ctx, r.asOf, after, page)
		if err != nil {
			return err
		}
		found += len(orders)
		if len(orders) < page {
			break
		}
		after = orders[len(orders)-1].ID
	}
	r.results.IdentifyMS = float64(time.Since(start).Microseconds()) / 1000
	if found != r.opts.Overdue {
		return fmt.Errorf("identification found %d overdue orders, seeded %d", found, r.opts.Overdue)
	}
	plan, err := r.db.ExplainOverdueBackorders(ctx, r.asOf, "", page)
	if err != nil {
		return err
	}
	r.results.IdentifyUsesIndex = strings.Contains(plan, "orders_backordered_idx")
	r.progressf("identified %d overdue orders in %.1f ms (index used: %v)", found, r.results.IdentifyMS, r.results.IdentifyUsesIndex)
	return nil
}

// sweep runs the real thing and times it until every order's workflow has
// reached awaiting_fulfillment.
func (r *run) sweep(ctx context.Context) error {
	start := time.Now()
	sweepRun, err := r.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contract.SweepWorkflowID(asOfDate, "bench"), TaskQueue: taskQueue,
	}, contract.SweepWorkflowName, contract.SweepInput{AsOf: asOfDate})
	if err != nil {
		return err
	}
	err = r.waitFor(ctx, string(contract.StageAwaitingFulfillment), 60*time.Minute, func() (int, error) {
		// Through the partial index of backordered orders: a count over all
		// million orders, four times a second, would steal the CPU measured.
		return r.db.CountOverdueInCurrentStatus(ctx, r.asOf, awaitingStatus)
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if err := sweepRun.Get(ctx, nil); err != nil {
		return fmt.Errorf("sweep workflow: %w", err)
	}
	r.results.SweepSeconds = elapsed.Seconds()
	r.results.OrdersPerS = float64(r.opts.Overdue) / elapsed.Seconds()

	latencies, err := r.perOrderLatencies(ctx)
	if err != nil {
		return err
	}
	r.results.P50Seconds, r.results.P95Seconds, r.results.P99Seconds = percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)
	r.progressf("%d orders to awaiting_fulfillment in %.1fs: %.1f orders/s, p50 %.2fs p95 %.2fs p99 %.2fs",
		r.opts.Overdue, elapsed.Seconds(), r.results.OrdersPerS, r.results.P50Seconds, r.results.P95Seconds, r.results.P99Seconds)
	return nil
}

// perOrderLatencies: from each workflow's start (visibility) to the moment
// its order row was marked awaiting fulfillment.
func (r *run) perOrderLatencies(ctx context.Context) ([]float64, error) {
	started := map[string]time.Time{}
	var token []byte
	for {
		resp, err := r.temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: `WorkflowType = "BackorderWorkflow"`, PageSize: 1000, NextPageToken: token,
		})
		if err != nil {
			return nil, err
		}
		for _, e := range resp.Executions {
			started[e.Execution.WorkflowId] = e.StartTime.AsTime()
		}
		if token = resp.NextPageToken; len(token) == 0 {
			break
		}
	}
	orders, err := r.db.OrdersInCurrentStatus(ctx, awaitingStatus)
	if err != nil {
		return nil, err
	}
	latencies := make([]float64, 0, len(orders))
	for _, o := range orders {
		if s, ok := started[contract.BackorderWorkflowID(o.ID)]; ok {
			latencies = append(latencies, o.LastCheckedAt.Sub(s).Seconds())
		}
	}
	return latencies, nil
}

// history reads the per-order workflow's cost from the server: events and
// state transitions, and its shape for the calibration.
func (r *run) history(ctx context.Context) error {
	ids, err := r.sampleOrders(ctx, 20)
	if err != nil {
		return err
	}
	var events, transitions int64
	for _, id := range ids {
		d, err := r.temporal.DescribeWorkflow(ctx, contract.BackorderWorkflowID(id), "")
		if err != nil {
			return err
		}
		info := d.RawResponse.GetWorkflowExecutionInfo()
		events += info.GetHistoryLength()
		transitions += info.GetStateTransitionCount()
	}
	r.results.HistoryEventsPerOrder = float64(events) / float64(len(ids))
	r.results.StateTransitionsPerOrder = float64(transitions) / float64(len(ids))

	iter := r.temporal.GetWorkflowHistory(ctx, contract.BackorderWorkflowID(ids[0]), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var shape []string
	for iter.HasNext() {
		event, err := iter.Next()
		if err != nil {
			return err
		}
		switch event.EventType {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			shape = append(shape, stepActivity)
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			shape = append(shape, stepLocalActivity)
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			shape = append(shape, stepUpsert)
		}
	}
	r.results.WorkflowShape = shape
	r.progressf("per order: %.1f history events, %.1f state transitions; shape %v",
		r.results.HistoryEventsPerOrder, r.results.StateTransitionsPerOrder, shape)
	return nil
}

func (r *run) memory(context.Context) error {
	var err error
	if r.results.WorkerRSSMB, err = r.worker.RSSMB(); err != nil {
		return err
	}
	if r.results.ServerRSSMB, err = r.server.Process().RSSMB(); err != nil {
		return err
	}
	r.progressf("with %d workflows parked: worker %.0f MB, dev server %.0f MB resident",
		r.opts.Overdue, r.results.WorkerRSSMB, r.results.ServerRSSMB)
	return nil
}

// fulfil marks every order fulfilled and signals its workflow, as
// `starter fulfill` does, and times until all workflows completed.
func (r *run) fulfil(ctx context.Context) error {
	ids, err := r.sampleOrders(ctx, r.opts.Overdue)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := r.db.SetStatusByCurrentStatus(ctx, awaitingStatus, contract.OrderFulfilled); err != nil {
		return err
	}
	err = localproc.Parallel(ids, clientConcurrency, func(id string) error {
		return r.temporal.SignalWorkflow(ctx, contract.BackorderWorkflowID(id), "", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})
	})
	if err != nil {
		return err
	}
	err = r.waitFor(ctx, "completed", 60*time.Minute, func() (int, error) {
		// The workflow resolves its incident as its last step; counting that
		// in Postgres spares the dev server's SQLite visibility store, which
		// the measurement would otherwise load.
		return r.db.CountResolvedIncidents(ctx)
	})
	if err != nil {
		return err
	}
	r.results.FulfilSeconds = time.Since(start).Seconds()
	r.progressf("fulfilled %d orders in %.1fs", len(ids), r.results.FulfilSeconds)
	return nil
}

// calibrate runs the no-op twin of the per-order workflow for the same
// number of orders on the same dev server: the ceiling.
func (r *run) calibrate(ctx context.Context) error {
	w := worker.New(r.temporal, calibrationQueue, workflows.WorkerOptions())
	w.RegisterWorkflow(CalibrationWorkflow)
	w.RegisterActivity(Noop)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	ids := make([]string, r.opts.Overdue)
	for i := range ids {
		ids[i] = fmt.Sprintf("calibration-%d", i)
	}
	in := CalibrationInput{Steps: r.results.WorkflowShape}
	start := time.Now()
	err := localproc.Parallel(ids, clientConcurrency, func(id string) error {
		run, err := r.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: calibrationQueue}, CalibrationWorkflow, in)
		if err != nil {
			return err
		}
		return run.Get(ctx, nil)
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	r.results.CeilingSeconds = elapsed.Seconds()
	r.results.CeilingOrdersPerS = float64(len(ids)) / elapsed.Seconds()
	r.results.CeilingRatio = r.results.OrdersPerS / r.results.CeilingOrdersPerS
	r.progressf("calibration: %d no-op workflows in %.1fs: %.1f/s; real/ceiling %.0f%%",
		len(ids), elapsed.Seconds(), r.results.CeilingOrdersPerS, 100*r.results.CeilingRatio)
	return nil
}

// waitFor polls count until every overdue order is counted, reporting
// progress every ten seconds.
func (r *run) waitFor(ctx context.Context, what string, limit time.Duration, count func() (int, error)) error {
	n := 0
	wait := systest.Wait{What: what, Limit: limit, Every: 500 * time.Millisecond,
		Report: func(status string, _ time.Duration) { r.progressf("%s", status) }}
	err := wait.Until(ctx, func(context.Context) (bool, string, error) {
		var err error
		n, err = count()
		return n >= r.opts.Overdue, fmt.Sprintf("%d/%d %s", n, r.opts.Overdue, what), err
	})
	var notReached *systest.NotReachedError
	if errors.As(err, &notReached) {
		return fmt.Errorf("only %d of %d orders %s after %s", n, r.opts.Overdue, what, limit)
	}
	return err
}

// sampleOrders lists up to n order ids that reached awaiting_fulfillment
// (or later), in id order.
func (r *run) sampleOrders(ctx context.Context, n int) ([]string, error) {
	ids, err := r.db.OrdersWithIncidents(ctx, n)
	if err == nil && len(ids) == 0 {
		err = fmt.Errorf("no incidents recorded")
	}
	return ids, err
}

func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

// machine describes where the numbers came from.
func machine() string {
	cpu := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(info), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if info, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(strings.SplitN(string(info), "\n", 2)[0], "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/1024/1024)
		}
	}
	return fmt.Sprintf("%d cores %s%s, %s/%s, %s", runtime.NumCPU(), cpu, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

// WriteJSON writes the results where `make bench` keeps them.
func WriteJSON(path string, res Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
