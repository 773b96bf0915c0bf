// Package bench measures the whole backorder process on the local stack:
// seeding and identification, the sweep to awaiting_fulfillment against
// the honest ceiling (a no-op twin of the per-order workflow's recorded
// shapes, in their real mix, started and parked as the real ones are, on
// a fresh dev server of its own, in rounds that take turns with the real
// sweep's), the customer notices, a second sweep over every parked order,
// memory with them parked, fulfilment against the twin's (in rounds too),
// the invariants, a plain-loop baseline without Temporal, and the weekly
// report over a year of history. `make bench` runs it; it is a command,
// not a test, so `make test` never depends on timings.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/localproc"
	"github.com/acme/backorders/internal/testing/systest"
)

// Options size and place the run.
type Options struct {
	Orders  int
	Overdue int
	// ReportIncidents is how many incidents of a year's history the weekly
	// report is timed over.
	ReportIncidents int
	// ServerURL is a PostgreSQL URL; the benchmark creates (and recreates)
	// its own databases on that server.
	ServerURL string
	// WorkerBinary is bin/worker, run as its own process so its memory can
	// be measured.
	WorkerBinary string
	// WorkDir holds the dev servers' SQLite files and the logs.
	WorkDir string
	// WorkerEnv is extra environment for the worker (provider fakes).
	WorkerEnv []string
	// Skip names optional steps not to run (SkippableSteps): the scale
	// point measures memory, the second sweep and fulfilment at 100,000
	// parked orders, and a twin of that size would double its hours.
	Skip     map[string]bool
	Progress io.Writer
}

// SkippableSteps are the steps Options.Skip may name; every other step
// feeds a later one.
var SkippableSteps = []string{"ceiling", "baseline", "report"}

// Results is what bench/results.json holds.
type Results struct {
	Machine   string    `json:"machine"`
	StartedAt time.Time `json:"started_at"`
	Orders    int       `json:"orders"`
	Overdue   int       `json:"overdue"`

	SeedSeconds         float64 `json:"seed_seconds"`
	IdentifyFirstPageMS float64 `json:"identify_first_page_ms"`
	IdentifyAllMS       float64 `json:"identify_all_ms"`
	// IdentifyMS is IdentifyAllMS under its first name.
	IdentifyMS        float64 `json:"identify_ms"`
	IdentifyUsesIndex bool    `json:"identify_uses_index"`

	// The twin, on its own fresh dev server, taking turns with the real
	// sweep (Rounds).
	TwinShapes        []ShapeShare `json:"twin_shapes"`
	CeilingSeconds    float64      `json:"ceiling_seconds"`
	CeilingOrdersPerS float64      `json:"ceiling_orders_per_s"`
	CeilingP99Seconds float64      `json:"ceiling_p99_seconds"`
	CeilingRatio      float64      `json:"ceiling_ratio"`

	// The real sweep: start to every order awaiting, per-order latency,
	// and the last customer notice.
	SweepSeconds      float64 `json:"sweep_seconds"`
	OrdersPerS        float64 `json:"orders_per_s"`
	P50Seconds        float64 `json:"p50_seconds"`
	P95Seconds        float64 `json:"p95_seconds"`
	P99Seconds        float64 `json:"p99_seconds"`
	LastNoticeSeconds float64 `json:"last_notice_seconds"`
	// RequestsPerOrder: the worker's requests to Temporal during the
	// sweep and its notices, by operation, per order.
	RequestsPerOrder         map[string]float64 `json:"requests_per_order"`
	HistoryEventsPerOrder    float64            `json:"history_events_per_order"`
	StateTransitionsPerOrder float64            `json:"state_transitions_per_order"`
	RealShapes               []ShapeShare       `json:"real_shapes"`
	// Rounds are the turns the twin and the real system took, each
	// timed: the sweep's rate and the ceiling's are their sums'.
	Rounds []Round `json:"rounds,omitempty"`

	WorkerRSSMB float64 `json:"worker_rss_mb"`
	ServerRSSMB float64 `json:"server_rss_mb"`

	// The second sweep, over every parked order.
	ResweepSeconds       float64 `json:"resweep_seconds"`
	ResweepStartRequests int     `json:"resweep_start_requests"`

	FulfilSeconds            float64 `json:"fulfil_seconds"`
	FulfilOrdersPerS         float64 `json:"fulfil_orders_per_s"`
	FulfilCeilingOrdersPerS  float64 `json:"fulfil_ceiling_orders_per_s"`
	FulfilCeilingRatio       float64 `json:"fulfil_ceiling_ratio"`
	BaselineOrdersPerS       float64 `json:"baseline_orders_per_s"`
	ReportMS                 float64 `json:"report_ms"`
	ReportIncidents          int     `json:"report_incidents"`
	ReportHistorySeedSeconds float64 `json:"report_history_seed_seconds"`

	Invariants   []Invariant `json:"invariants"`
	InvariantsOK bool        `json:"invariants_ok"`
}

// Round is one turn of the twin and the real system over the same number
// of orders: the twins parked, then the orders swept to awaiting; later,
// the twins closed, then the orders fulfilled.
type Round struct {
	Orders            int     `json:"orders"`
	TwinSweepSeconds  float64 `json:"twin_sweep_seconds"`
	SweepSeconds      float64 `json:"sweep_seconds"`
	TwinFulfilSeconds float64 `json:"twin_fulfil_seconds,omitempty"`
	FulfilSeconds     float64 `json:"fulfil_seconds,omitempty"`
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
	pilotDatabase    = "backorders_bench_pilot"
	taskQueue        = "backorders-bench"
	pilotQueue       = "backorders-bench-pilot"
	twinQueue        = "backorders-bench-twin"
	// asOf is fixed so runs are comparable.
	asOfDate = "2026-11-27"
	// awaitingStatus is what the workflow writes to orders.current_status
	// when it reaches awaiting_fulfillment.
	awaitingStatus = contract.CurrentStatusAwaiting
	// clientConcurrency bounds the benchmark's own parallel calls (signals,
	// history reads).
	clientConcurrency = 64
	// defaultStallLimit is how long a wait's count may stand still before
	// the run reports a stall (a busy dev server answers well within it).
	defaultStallLimit = 5 * time.Minute
	// shapeSample: how many real orders' histories give the real mix.
	shapeSample = 200
	// metricsFlush: the worker reports its SDK counters every second.
	metricsFlush = 2 * time.Second
)

// stack is a dev server with the real worker on it and its database.
type stack struct {
	db       *store.Store
	dbURL    string
	server   *systest.DevServer
	temporal client.Client
	worker   *localproc.Process
	queue    string
	// metricsURL is the worker's /metrics; "" when it serves none.
	metricsURL string
}

func (s *stack) close() {
	if s.worker != nil {
		_ = s.worker.Stop(syscall.SIGINT, 20*time.Second)
		s.worker = nil
	}
	if s.server != nil {
		s.server.Close(20 * time.Second)
		s.server = nil
	}
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
}

type run struct {
	opts    Options
	results Results
	asOf    time.Time
	// The real system, and overdueIDs its overdue orders in the sweep's
	// order.
	*stack
	overdueIDs []string
	// twin is nil when the ceiling is skipped.
	twin *twinSide
	// lastRoundStart is when the sweep's last round started;
	// requestsBefore the worker's requests when the first round started.
	lastRoundStart time.Time
	requestsBefore map[string]float64
	// stallLimit: see defaultStallLimit.
	stallLimit time.Duration
	// analyzeEachTurn: the server runs without autovacuum, so the run
	// refreshes the planner's statistics before each of the real system's
	// turns, as autovacuum would once a round has changed a tenth of the
	// rows (turns of the twin touch no table).
	analyzeEachTurn bool
}

// Run performs the whole benchmark.
func Run(ctx context.Context, opts Options) (Results, error) {
	r := &run{opts: opts, stack: &stack{queue: taskQueue}, stallLimit: defaultStallLimit}
	r.results = Results{Machine: machine(), StartedAt: time.Now().UTC(), Orders: opts.Orders, Overdue: opts.Overdue}
	r.asOf, _ = backorder.ParseDate(asOfDate)
	defer r.close()
	steps := []struct {
		name, title string
		fn          func(context.Context) error
	}{
		{"seed", "seed", r.seed},
		{"identify", "identify", r.identify},
		{"ceiling", "ceiling: the pilot and the twin's worker on a fresh dev server", r.ceiling},
		{"stack", "start the stack", r.startStack},
		{"sweep", "sweep, the twin and the real system in turns", r.sweep},
		{"notices", "customer notices", r.notices},
		{"history", "history", r.history},
		{"memory", "memory", r.memory},
		{"resweep", "second sweep", r.resweep},
		{"fulfil", "fulfil", r.fulfil},
		{"shapes", "real shapes", r.realShapes},
		{"invariants", "invariants", r.invariants},
		{"baseline", "baseline", r.baseline},
		{"report", "report", r.report},
	}
	for _, step := range steps {
		if opts.Skip[step.name] {
			r.progressf("== %s: skipped (BENCH_SKIP)", step.title)
			continue
		}
		r.progressf("== %s", step.title)
		if err := step.fn(ctx); err != nil {
			return r.results, fmt.Errorf("%s: %w", step.title, err)
		}
	}
	return r.results, nil
}

func (r *run) progressf(format string, args ...any) {
	fmt.Fprintf(r.opts.Progress, "bench: "+format+"\n", args...)
}

func (r *run) close() {
	if r.twin != nil {
		r.twin.shutdown()
	}
	r.stack.close()
}

// limitFor bounds a wait for n orders: generous (5 orders/s at least),
// so a slow machine at 100,000 orders is measured, not cut off.
func limitFor(n int) time.Duration {
	return 10*time.Minute + time.Duration(n)*200*time.Millisecond
}

func (r *run) seed(ctx context.Context) error {
	var err error
	if r.db, r.dbURL, err = systest.FreshDatabase(ctx, r.opts.ServerURL, benchDatabase, true); err != nil {
		return err
	}
	start := time.Now()
	sum, err := r.db.Seed(ctx, store.SeedOptions{
		Orders: r.opts.Orders, Overdue: r.opts.Overdue, AsOf: r.asOf, Seed: 1,
		Progress: func(done, total int) {
			if done%1_000_000 == 0 || done == total {
				r.progressf("seeded %d/%d orders", done, total)
			}
		},
	})
	if err != nil {
		return err
	}
	r.results.SeedSeconds = time.Since(start).Seconds()
	r.progressf("seeded %d orders, %d lines in %.1fs", sum.Orders, sum.Lines, r.results.SeedSeconds)
	var autovacuum string
	if err := r.db.Pool().QueryRow(ctx, "SHOW autovacuum").Scan(&autovacuum); err != nil {
		return err
	}
	if r.analyzeEachTurn = autovacuum != "on"; r.analyzeEachTurn {
		r.progressf("autovacuum is off on this PostgreSQL server: the tables are analyzed before each of the real system's turns, as autovacuum would")
	}
	return nil
}

// identify times the sweep's query, as the sweep runs it: the first page,
// and every page; and checks its plan uses the partial index.
func (r *run) identify(ctx context.Context) error {
	const page = 500
	start := time.Now()
	found, after := 0, ""
	for {
		orders, err := r.db.OverdueBackorders(ctx, r.asOf, after, page)
		if err != nil {
			return err
		}
		if after == "" {
			r.results.IdentifyFirstPageMS = milliseconds(time.Since(start))
		}
		found += len(orders)
		for _, o := range orders {
			r.overdueIDs = append(r.overdueIDs, o.ID)
		}
		if len(orders) < page {
			break
		}
		after = orders[len(orders)-1].ID
	}
	r.results.IdentifyAllMS = milliseconds(time.Since(start))
	r.results.IdentifyMS = r.results.IdentifyAllMS
	if found != r.opts.Overdue {
		return fmt.Errorf("identification found %d overdue orders, seeded %d", found, r.opts.Overdue)
	}
	plan, err := r.db.ExplainOverdueBackorders(ctx, r.asOf, "", page)
	if err != nil {
		return err
	}
	r.results.IdentifyUsesIndex = strings.Contains(plan, "orders_backordered_idx")
	r.progressf("identified %d overdue among %d orders: first page %.1f ms, all pages %.1f ms (index used: %v)",
		found, r.opts.Orders, r.results.IdentifyFirstPageMS, r.results.IdentifyAllMS, r.results.IdentifyUsesIndex)
	return nil
}

// startStack starts the real system's dev server, fresh, and the worker
// on the seeded database, serving its metrics to count its requests.
func (r *run) startStack(ctx context.Context) error {
	var err error
	if r.server, err = r.startDevServer(ctx, "real"); err != nil {
		return err
	}
	r.temporal = r.server.Client()
	port, err := localproc.FreePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	r.metricsURL = "http://" + addr + "/metrics"
	if r.worker, err = r.startWorker(r.stack, "worker.log", addr); err != nil {
		return err
	}
	// It serves its metrics once it has dialled Temporal.
	wait := systest.Wait{What: "the worker's metrics", Limit: time.Minute, Every: 200 * time.Millisecond, TolerateErrors: true,
		Guard: func() error {
			if r.worker.Exited() {
				return fmt.Errorf("the worker exited:\n%s", r.worker.Tail(2000))
			}
			return nil
		}}
	return wait.Until(ctx, func(ctx context.Context) (bool, string, error) {
		_, err := workerRequests(ctx, r.metricsURL)
		return err == nil, "", err
	})
}

// startDevServer starts a fresh dev server, as make demo runs it (the
// project's flags), on a free port and a SQLite file of its own.
func (r *run) startDevServer(ctx context.Context, name string) (*systest.DevServer, error) {
	dir := filepath.Join(r.opts.WorkDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return systest.StartDevServer(ctx, systest.DevServerOptions{Dir: dir, Env: os.Environ()})
}

// startWorker runs bin/worker on s's server, database and task queue.
func (r *run) startWorker(s *stack, logName, metricsAddr string) (*localproc.Process, error) {
	env := append(os.Environ(),
		"DATABASE_URL="+s.dbURL,
		"TEMPORAL_ADDRESS="+s.server.Address(),
		"BACKORDER_TASK_QUEUE="+s.queue,
		"BACKORDER_TIMEZONE=UTC",
		"BACKORDER_METRICS_ADDR="+metricsAddr,
		"WAREHOUSE_MANAGER_PHONE=+15555550100",
	)
	return localproc.Start("worker", filepath.Join(r.opts.WorkDir, logName), append(env, r.opts.WorkerEnv...), nil, r.opts.WorkerBinary)
}

// round is one turn's share of the overdue orders (and of the twins):
// indexes first to end, in the sweep's order.
type round struct{ first, end int }

// rounds splits the overdue orders into the turns the twin and the real
// system take: whole pages of the sweep, about a tenth of the run each.
// Without the twin the sweep runs in one.
func (r *run) rounds() []round {
	n := r.opts.Overdue
	if r.twin == nil {
		return []round{{0, n}}
	}
	size := max(1, (n/roundsPerRun+twinPageSize/2)/twinPageSize) * twinPageSize
	var out []round
	for first := 0; first < n; first += size {
		out = append(out, round{first, min(first+size, n)})
	}
	return out
}

// startSweep starts a sweep on s. after, when set, is the last order of
// the round before: the sweep picks up after it, as a sweep continued as
// new does, so the orders already parked are not read again (that is the
// second sweep's measure).
func startSweep(ctx context.Context, s *stack, suffix, after string) (client.WorkflowRun, error) {
	id := contract.SweepWorkflowID(asOfDate, suffix)
	in := contract.SweepInput{AsOf: asOfDate}
	if after != "" {
		in.Resume = &contract.SweepProgress{Cursor: after, Result: contract.SweepResult{
			SweepID: id, AsOf: asOfDate, SweepTally: contract.SweepTally{TotalBackorderValue: map[string]string{}},
		}}
	}
	return s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: s.queue}, contract.SweepWorkflowName, in)
}

// waitSwept waits until n overdue orders of s await fulfilment.
func (r *run) waitSwept(ctx context.Context, s *stack, n int) error {
	// Open incidents first, through a table of the run's size only: the
	// exact count below reads the partial index of every backordered
	// order, which at ten million orders would steal the CPU measured.
	err := r.waitFor(ctx, n, "incidents opened", func() (int, error) { return s.db.CountUnresolvedIncidents(ctx) })
	if err != nil {
		return err
	}
	return r.waitFor(ctx, n, string(contract.StageAwaitingFulfillment), func() (int, error) {
		return s.db.CountOverdueInCurrentStatus(ctx, r.asOf, awaitingStatus)
	})
}

// inTurns runs each of rounds as the twin's turn, when there is a twin,
// then the real system's, and returns the times of each side's turns.
func (r *run) inTurns(ctx context.Context, rounds []round, twinTurn, realTurn func(k int, rd round) (time.Duration, error)) (twin, real []time.Duration, err error) {
	for k, rd := range rounds {
		if r.twin != nil {
			d, err := twinTurn(k, rd)
			if err != nil {
				return nil, nil, fmt.Errorf("the twin's round %d: %w", k+1, err)
			}
			twin = append(twin, d)
			r.progressf("round %d of %d: the twin's %d in %.1fs", k+1, len(rounds), rd.end-rd.first, d.Seconds())
		}
		if r.analyzeEachTurn {
			if _, err := r.db.Pool().Exec(ctx, "ANALYZE"); err != nil {
				return nil, nil, fmt.Errorf("analyzing before round %d: %w", k+1, err)
			}
		}
		d, err := realTurn(k, rd)
		if err != nil {
			return nil, nil, fmt.Errorf("round %d: %w", k+1, err)
		}
		real = append(real, d)
		r.progressf("round %d of %d: the real system's %d in %.1fs", k+1, len(rounds), rd.end-rd.first, d.Seconds())
	}
	return twin, real, nil
}

func totalTime(turns []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range turns {
		sum += d
	}
	return sum
}

// sweep runs the real thing, round by round, each timed from its sweep's
// start until every order of it has reached awaiting_fulfillment, each
// after the twin's round of the same size. The orders of later rounds
// wait as Pending, which no sweep picks up, until their turn.
func (r *run) sweep(ctx context.Context) error {
	before, err := workerRequests(ctx, r.metricsURL)
	if err != nil {
		return err
	}
	r.requestsBefore = before
	rounds := r.rounds()
	if err := r.db.SetStatusOf(ctx, r.overdueIDs[rounds[0].end:], contract.OrderPending); err != nil {
		return err
	}
	twinTurns, turns, err := r.inTurns(ctx, rounds, func(_ int, rd round) (time.Duration, error) {
		return r.twin.park(ctx, r, rd)
	}, func(k int, rd round) (time.Duration, error) {
		return r.sweepRound(ctx, k, rd)
	})
	if err != nil {
		return err
	}
	r.results.Rounds = make([]Round, len(rounds))
	for k, rd := range rounds {
		r.results.Rounds[k] = Round{Orders: rd.end - rd.first, SweepSeconds: turns[k].Seconds()}
		if twinTurns != nil {
			r.results.Rounds[k].TwinSweepSeconds = twinTurns[k].Seconds()
		}
	}
	swept, twinSwept := totalTime(turns), totalTime(twinTurns)
	n := float64(r.opts.Overdue)
	r.results.SweepSeconds = swept.Seconds()
	r.results.OrdersPerS = n / swept.Seconds()
	if r.twin != nil {
		r.results.CeilingSeconds = twinSwept.Seconds()
		r.results.CeilingOrdersPerS = n / twinSwept.Seconds()
		r.results.CeilingP99Seconds = percentile(r.twin.progress.latencies(), 99)
	}
	r.results.CeilingRatio = ratio(r.results.OrdersPerS, r.results.CeilingOrdersPerS)

	latencies, err := r.perOrderLatencies(ctx)
	if err != nil {
		return err
	}
	r.results.P50Seconds, r.results.P95Seconds, r.results.P99Seconds = percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)
	r.progressf("%d orders to awaiting_fulfillment in %.1fs: %.1f orders/s (%.0f%% of the twin's %.1f, p99 %.2fs), p50 %.2fs p95 %.2fs p99 %.2fs",
		r.opts.Overdue, swept.Seconds(), r.results.OrdersPerS, 100*r.results.CeilingRatio, r.results.CeilingOrdersPerS,
		r.results.CeilingP99Seconds, r.results.P50Seconds, r.results.P95Seconds, r.results.P99Seconds)
	return nil
}

// sweepRound releases the round's orders (the first round's never
// waited) and sweeps them, picking up after the round before, timed until
// every one of them awaits fulfilment.
func (r *run) sweepRound(ctx context.Context, k int, rd round) (time.Duration, error) {
	after := ""
	if k > 0 {
		after = r.overdueIDs[rd.first-1]
		if err := r.db.SetStatusOf(ctx, r.overdueIDs[rd.first:rd.end], contract.OrderBackordered); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	r.lastRoundStart = start
	sweepRun, err := startSweep(ctx, r.stack, fmt.Sprintf("bench-%d", k+1), after)
	if err == nil {
		err = r.waitSwept(ctx, r.stack, rd.end)
	}
	d := time.Since(start)
	if err == nil {
		err = sweepRun.Get(ctx, nil)
	}
	return d, err
}

// perOrderLatencies: from each workflow's start (visibility) to the moment
// its order row was marked awaiting fulfillment.
func (r *run) perOrderLatencies(ctx context.Context) ([]float64, error) {
	executions, err := systest.ListWorkflows(ctx, r.temporal, `WorkflowType = "BackorderWorkflow"`)
	if err != nil {
		return nil, err
	}
	started := make(map[string]time.Time, len(executions))
	for _, e := range executions {
		started[e.Execution.WorkflowId] = e.StartTime.AsTime()
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

// notices waits until every order's customer notice is on the ledger,
// and times the last one from the sweep's start, the twin's turns left
// out: notices go beside the other steps, so awaiting fulfilment alone
// does not mean the customer was told. The worker's requests from the
// sweep's start to here are the cost of the orders' way to awaiting,
// notices included.
func (r *run) notices(ctx context.Context) error {
	var last time.Time
	err := r.waitFor(ctx, r.opts.Overdue, "customer notices accepted", func() (int, error) {
		n, at, err := r.db.CustomerNotices(ctx)
		last = at
		return n, err
	})
	if err != nil {
		return err
	}
	// The rounds before the last one, then the last one up to the notice.
	rounds := r.results.Rounds
	for _, rd := range rounds[:len(rounds)-1] {
		r.results.LastNoticeSeconds += rd.SweepSeconds
	}
	r.results.LastNoticeSeconds += last.Sub(r.lastRoundStart).Seconds()
	time.Sleep(metricsFlush)
	after, err := workerRequests(ctx, r.metricsURL)
	if err != nil {
		return err
	}
	r.results.RequestsPerOrder = map[string]float64{}
	for op, n := range after {
		if d := n - r.requestsBefore[op]; d > 0 {
			r.results.RequestsPerOrder[op] = d / float64(r.opts.Overdue)
		}
	}
	r.progressf("last customer notice accepted %.1fs after the sweep started; worker requests per order: %v",
		r.results.LastNoticeSeconds, r.results.RequestsPerOrder)
	return nil
}

// history reads the per-order workflow's cost from the server at
// awaiting: events and state transitions, averaged over a sample.
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
	r.progressf("per order at awaiting: %.1f history events, %.1f state transitions",
		r.results.HistoryEventsPerOrder, r.results.StateTransitionsPerOrder)
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

// resweep runs a second sweep over every parked order and counts the
// start requests the worker made for it (the sweep's own start is the
// benchmark's, not the worker's): a parked order needs none.
func (r *run) resweep(ctx context.Context) error {
	before, err := workerRequests(ctx, r.metricsURL)
	if err != nil {
		return err
	}
	start := time.Now()
	sweepRun, err := r.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contract.SweepWorkflowID(asOfDate, "bench-again"), TaskQueue: taskQueue,
	}, contract.SweepWorkflowName, contract.SweepInput{AsOf: asOfDate})
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, limitFor(r.opts.Overdue))
	defer cancel()
	var result contract.SweepResult
	if err := sweepRun.Get(wctx, &result); err != nil {
		return fmt.Errorf("second sweep: %w", err)
	}
	r.results.ResweepSeconds = time.Since(start).Seconds()
	time.Sleep(metricsFlush)
	after, err := workerRequests(ctx, r.metricsURL)
	if err != nil {
		return err
	}
	r.results.ResweepStartRequests = int(after[startRequest] - before[startRequest])
	r.progressf("second sweep over %d parked orders in %.1fs: %d already running, %d started, %d start requests",
		result.OrdersFound, r.results.ResweepSeconds, result.AlreadyRunning, result.WorkflowsStarted, r.results.ResweepStartRequests)
	if result.AlreadyRunning != r.opts.Overdue {
		return fmt.Errorf("the second sweep counted %d of %d parked orders as already running", result.AlreadyRunning, r.opts.Overdue)
	}
	return nil
}

// fulfil marks every order fulfilled and signals its workflow, as
// `starter fulfill` does, in the sweep's rounds, each after the twin's
// closing round, and times each until its workflows completed.
func (r *run) fulfil(ctx context.Context) error {
	twinTurns, turns, err := r.inTurns(ctx, r.rounds(), func(_ int, rd round) (time.Duration, error) {
		return r.twin.fulfil(ctx, r, rd)
	}, func(_ int, rd round) (time.Duration, error) {
		return r.fulfilOrders(ctx, r.stack, r.overdueIDs[rd.first:rd.end], rd.end)
	})
	if err != nil {
		return err
	}
	for k := range turns {
		r.results.Rounds[k].FulfilSeconds = turns[k].Seconds()
		if twinTurns != nil {
			r.results.Rounds[k].TwinFulfilSeconds = twinTurns[k].Seconds()
		}
	}
	fulfilled, twinFulfilled := totalTime(turns), totalTime(twinTurns)
	n := float64(r.opts.Overdue)
	r.results.FulfilSeconds = fulfilled.Seconds()
	r.results.FulfilOrdersPerS = n / fulfilled.Seconds()
	if r.twin != nil {
		r.results.FulfilCeilingOrdersPerS = n / twinFulfilled.Seconds()
	}
	r.results.FulfilCeilingRatio = ratio(r.results.FulfilOrdersPerS, r.results.FulfilCeilingOrdersPerS)
	r.progressf("fulfilled %d orders in %.1fs: %.1f orders/s (%.0f%% of the twin's %.1f)",
		r.opts.Overdue, fulfilled.Seconds(), r.results.FulfilOrdersPerS, 100*r.results.FulfilCeilingRatio, r.results.FulfilCeilingOrdersPerS)
	return nil
}

// fulfilOrders marks the orders ids of s fulfilled and signals their
// workflows, and times until resolved incidents of s number n.
func (r *run) fulfilOrders(ctx context.Context, s *stack, ids []string, n int) (time.Duration, error) {
	start := time.Now()
	if err := s.db.SetStatusOf(ctx, ids, contract.OrderFulfilled); err != nil {
		return 0, err
	}
	// The workflow resolves its incident as its last step; counting that
	// in Postgres spares the dev server's SQLite visibility store, which
	// the measurement would otherwise load.
	err := r.signalUntil(ctx, ids, func(ctx context.Context, id string) error {
		return s.temporal.SignalWorkflow(ctx, contract.BackorderWorkflowID(id), "", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})
	}, n, "completed", func() (int, error) { return s.db.CountResolvedIncidents(ctx) })
	return time.Since(start), err
}

// signalUntil signals each of ids, clientConcurrency at a time, and waits
// meanwhile until count reaches n, so progress shows (and a stall is
// caught) while the signals go out, not only once the last was sent.
func (r *run) signalUntil(ctx context.Context, ids []string, signal func(ctx context.Context, id string) error, n int, what string, count func() (int, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sent := make(chan error, 1)
	go func(sent chan<- error) {
		sent <- localproc.Parallel(ids, clientConcurrency, func(id string) error { return signal(ctx, id) })
	}(sent)
	err := r.waitFor(ctx, n, what, count, func() error {
		select {
		case err := <-sent:
			sent = nil // received: a nil channel is never ready again
			return err
		default:
			return nil
		}
	})
	if sent == nil {
		return err
	}
	if err != nil {
		cancel()
	}
	if signalErr := <-sent; err == nil {
		err = signalErr
	}
	return err
}

// realShapes reads the shapes of a random sample of the run's orders,
// now that they closed, for the mix the twin is held against.
func (r *run) realShapes(ctx context.Context) error {
	ids, err := r.db.OrdersWithIncidents(ctx, r.opts.Overdue)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	shapes, err := shapesOf(ctx, r.temporal, ids[:min(shapeSample, len(ids))])
	if err != nil {
		return err
	}
	r.results.RealShapes = shares(shapes)
	for _, s := range r.results.RealShapes {
		r.progressf("real: %.1f%% of a sample of %d: %s", 100*s.Share, len(shapes), s.Shape)
	}
	return nil
}

// shapesOf reads the shape of each order's workflow.
func shapesOf(ctx context.Context, c client.Client, orderIDs []string) ([]Shape, error) {
	shapes := make([]Shape, len(orderIDs))
	index := make(map[string]int, len(orderIDs))
	for i, id := range orderIDs {
		index[id] = i
	}
	err := localproc.Parallel(orderIDs, clientConcurrency, func(id string) error {
		var events []*historypb.HistoryEvent
		iter := c.GetWorkflowHistory(ctx, contract.BackorderWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			e, err := iter.Next()
			if err != nil {
				return err
			}
			events = append(events, e)
		}
		sh, err := shapeOf(events)
		if err != nil {
			return fmt.Errorf("the workflow of order %s: %w", id, err)
		}
		shapes[index[id]] = sh
		return nil
	})
	return shapes, err
}

// shares groups shapes, the most common first.
func shares(shapes []Shape) []ShapeShare {
	count := map[string]int{}
	for _, s := range shapes {
		count[s.String()]++
	}
	out := make([]ShapeShare, 0, len(count))
	for shape, n := range count {
		out = append(out, ShapeShare{Shape: shape, Orders: n, Share: float64(n) / float64(len(shapes))})
	}
	slices.SortFunc(out, func(a, b ShapeShare) int {
		if a.Orders != b.Orders {
			return b.Orders - a.Orders
		}
		return strings.Compare(a.Shape, b.Shape)
	})
	return out
}

// waitFor polls count until it reaches n, reporting progress every ten
// seconds, within limitFor(n). It gives up sooner when count stands still
// for r.stallLimit: a stalled run should say so, not wait out its hours.
// guard, when set, runs after every poll; its error ends the wait.
func (r *run) waitFor(ctx context.Context, n int, what string, count func() (int, error), guard ...func() error) error {
	got, last, lastMoved := 0, -1, time.Now()
	limit := limitFor(n)
	wait := systest.Wait{What: what, Limit: limit, Every: 500 * time.Millisecond,
		Report: func(status string, _ time.Duration) { r.progressf("%s", status) },
		Guard: func() error {
			if got != last {
				last, lastMoved = got, time.Now()
			} else if time.Since(lastMoved) > r.stallLimit {
				return fmt.Errorf("stalled: %d of %d orders %s, no change for %s", got, n, what, r.stallLimit)
			}
			for _, g := range guard {
				if err := g(); err != nil {
					return err
				}
			}
			return nil
		}}
	err := wait.Until(ctx, func(context.Context) (bool, string, error) {
		var err error
		got, err = count()
		return got >= n, fmt.Sprintf("%d/%d %s", got, n, what), err
	})
	var notReached *systest.NotReachedError
	if errors.As(err, &notReached) {
		return fmt.Errorf("only %d of %d orders %s after %s", got, n, what, limit)
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

// ratio is 0 when the ceiling was skipped: JSON has no NaN or Inf.
func ratio(real, ceiling float64) float64 {
	if ceiling == 0 {
		return 0
	}
	return real / ceiling
}

func milliseconds(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

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
