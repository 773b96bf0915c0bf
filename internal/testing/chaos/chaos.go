// Package chaos runs the fault drills of the reliability contract: for
// each drill, a whole system (a Temporal dev server persisting to SQLite,
// a fresh database, the worker binary as a process, fake SendGrid and
// Twilio servers) sweeps N overdue orders; a fault is injected mid-run and
// taken away; the drill waits for every order to reach
// awaiting_fulfillment, fulfils them all, waits for every workflow to
// complete, and checks the invariants (CheckInvariants). The time from the
// end of the fault to every order awaiting fulfilment is the recovery
// time.
//
// `make chaos` runs every drill at a few hundred orders and prints a
// table (cmd/chaos); `make test` runs each at 30 orders (chaos_test.go).
package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/acme/backorders/internal/backorder"
)

// Options size and place a run of drills.
type Options struct {
	// Orders is how many overdue orders each drill sweeps (a few more that
	// are not overdue are seeded too).
	Orders int
	// WorkerBinary is the built worker.
	WorkerBinary string
	// ServerURL is the shared PostgreSQL server the drills create their
	// databases on (not the outage drill: it brings its own).
	ServerURL string
	// WorkDir is where each drill keeps its SQLite file and logs, in a
	// directory of its own.
	WorkDir string

	// ServerDown is how long the dev server stays dead (default 3 s).
	ServerDown time.Duration
	// DBOutage is how long PostgreSQL stays stopped (default 30 s).
	DBOutage time.Duration
	// ProviderOutage is how long the fakes answer 500 and 429 (default 20 s).
	ProviderOutage time.Duration
	// SlowAnswer is how long a slow provider takes to answer a message it
	// accepted: longer than the client waits (notify.DefaultTimeout)
	// (default 7 s).
	SlowAnswer time.Duration
	// LockHold is how long the suppliers table stays locked; it must
	// outlast the lookup's start-to-close timeout (10 s) (default 15 s).
	LockHold time.Duration
	// Limit bounds every wait (default 5 min).
	Limit time.Duration
	// AsOf is the sweep's date (default 2026-11-27, or today once that is
	// more than two days past, so that no ETA is already over).
	AsOf time.Time

	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.ServerDown, 3*time.Second)
	def(&o.DBOutage, 30*time.Second)
	def(&o.ProviderOutage, 20*time.Second)
	def(&o.LockHold, 15*time.Second)
	def(&o.SlowAnswer, 7*time.Second)
	def(&o.Limit, 5*time.Minute)
	if o.AsOf.IsZero() {
		o.AsOf = DefaultAsOf(time.Now())
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// DefaultAsOf is the fixed as-of date 2026-11-27 while it is recent enough
// that every projected ETA (at least three days after it) is still ahead
// of the clock; after that, today. An ETA already past would make the
// workflows re-check and email again a minute in, which no drill expects.
func DefaultAsOf(now time.Time) time.Time {
	fixed := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	today := backorder.DateOf(now, time.UTC)
	if today.After(fixed.AddDate(0, 0, 2)) {
		return today
	}
	return fixed
}

// RecoveryBound is docs/reliability.md's promise: every drill's system is back to
// work within this long of its fault's end.
const RecoveryBound = 15 * time.Second

// Result is one drill's line in the table.
type Result struct {
	Drill  string
	Title  string
	OK     bool
	Orders int
	// Recovery runs from the moment the fault was taken away (the last
	// restart, the database back, ...) to every order awaiting fulfilment
	// (for the signals drill: every workflow completed); negative when the
	// drill has no fault to recover from.
	Recovery time.Duration
	Detail   string
	Verdict  Verdict
	Err      error
	// Dir holds the drill's logs.
	Dir string
}

// Drill is one fault scenario.
type Drill struct {
	Name  string
	Title string
	// PrivatePostgres: the drill stops the database, so it gets a
	// throwaway cluster.
	PrivatePostgres bool
	// Workers started before the sweep (default 1).
	Workers int
	// UncertainSends: the fault can leave a provider call's outcome
	// unknown (see CheckOptions).
	UncertainSends bool
	// Fault runs while the sweep does: it waits for the right moment,
	// injects the fault, takes it away and sets r.recoveredAt. With
	// Fulfils, it also fulfils the orders and sets r.recovery itself.
	Fault   func(ctx context.Context, r *run) error
	Fulfils bool
}

// run is one drill in progress.
type run struct {
	opts Options
	st   *Stack
	exp  Expected
	n    int
	// recoveredAt is when the fault was taken away.
	recoveredAt time.Time
	// recovery, when the drill measured it itself.
	recovery time.Duration
	notes    []string
	// checks are the drill's own, added to the invariants.
	checks []Check
	// onDone, when set, runs once every workflow completed.
	onDone func()
}

func (r *run) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *run) check(name string, ok bool, format string, args ...any) {
	r.checks = append(r.checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// awaiting is how many orders are awaiting fulfilment, for the notes.
func (r *run) awaiting(ctx context.Context) int {
	n, _ := r.st.Awaiting(ctx)
	return n
}

// untilAwaiting waits, mid-run, until k orders are awaiting fulfilment.
func (r *run) untilAwaiting(ctx context.Context, k int) error {
	return r.st.waitAwaiting(ctx, k, r.opts.Limit)
}

// RunDrill runs one drill on a stack of its own and always tears it down.
func RunDrill(ctx context.Context, d Drill, opts Options) (res Result) {
	opts = opts.withDefaults()
	res = Result{Drill: d.Name, Title: d.Title, Orders: opts.Orders, Recovery: -1}
	logf := func(format string, args ...any) { opts.Logf("["+d.Name+"] "+format, args...) }
	res.Dir = filepath.Join(opts.WorkDir, d.Name)
	fail := func(err error) Result {
		res.OK, res.Err = false, err
		res.Detail = firstLine(err.Error())
		return res
	}
	if err := os.MkdirAll(res.Dir, 0o755); err != nil {
		return fail(err)
	}
	st, err := NewStack(ctx, StackOptions{
		WorkerBinary: opts.WorkerBinary, ServerURL: opts.ServerURL, PrivatePostgres: d.PrivatePostgres,
		Dir: res.Dir, Logf: logf,
	})
	if err != nil {
		return fail(fmt.Errorf("starting the stack: %w", err))
	}
	defer st.Close()

	exp, err := st.Seed(ctx, opts.Orders, opts.AsOf)
	if err != nil {
		return fail(fmt.Errorf("seeding: %w", err))
	}
	r := &run{opts: opts, st: st, exp: exp, n: len(exp.Orders), recovery: -1}
	logf("seeded %d overdue orders (%d high value), as of %s", r.n, len(exp.HighValue), exp.AsOf)
	for range max(d.Workers, 1) {
		if err := st.StartWorker(); err != nil {
			return fail(err)
		}
	}
	sweepStart := time.Now()
	if err := st.StartSweep(ctx, exp.AsOf); err != nil {
		return fail(fmt.Errorf("starting the sweep: %w", err))
	}
	withLog := func(err error) Result {
		res = fail(err)
		res.Err = fmt.Errorf("%w\nworker log (end):\n%s", err, st.WorkerLogTail(4000))
		return res
	}
	if d.Fault != nil {
		if err := d.Fault(ctx, r); err != nil {
			return withLog(err)
		}
	}
	if !d.Fulfils {
		if err := st.waitAwaiting(ctx, r.n, opts.Limit); err != nil {
			return withLog(err)
		}
		settled := time.Now()
		if !r.recoveredAt.IsZero() {
			r.recovery = settled.Sub(r.recoveredAt)
		} else {
			r.note("sweep to all awaiting %.1fs", settled.Sub(sweepStart).Seconds())
		}
		logf("all %d orders awaiting fulfilment", r.n)
		if err := st.Fulfil(ctx, exp.Orders); err != nil {
			return withLog(fmt.Errorf("fulfilling: %w", err))
		}
		if err := st.waitCompleted(ctx, r.n, opts.Limit); err != nil {
			return withLog(err)
		}
	}
	if r.onDone != nil {
		r.onDone()
	}
	// Visibility lags a little behind the last completion.
	var v Verdict
	var checkErr error
	_ = st.waitUntil(ctx, "invariants", 15*time.Second, func(ctx context.Context) (bool, string, error) {
		v, checkErr = st.CheckInvariants(ctx, exp, CheckOptions{UncertainSends: d.UncertainSends})
		return checkErr == nil && v.OK(), strings.Join(v.Failed(), "; "), checkErr
	})
	if checkErr != nil {
		return withLog(fmt.Errorf("checking invariants: %w", checkErr))
	}
	if r.recovery >= 0 {
		r.check(fmt.Sprintf("recovered within %s of the fault's end", RecoveryBound), r.recovery <= RecoveryBound,
			"%.1fs", r.recovery.Seconds())
	}
	v.Checks = append(v.Checks, r.checks...)
	v.Notes = append(r.notes, v.Notes...)
	res.Verdict, res.Recovery = v, r.recovery
	res.OK = v.OK()
	detail := v.Notes
	if !res.OK {
		detail = append(v.Failed(), detail...)
	}
	res.Detail = strings.Join(detail, "; ")
	logf("done: ok=%v %s", res.OK, res.Detail)
	return res
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
