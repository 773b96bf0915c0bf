package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/testing/fakes"
)

// Drills are the fault drills of the reliability contract, in order.
var Drills = []Drill{
	{
		Name: "worker-kill", Title: "worker SIGKILLed 3x mid-sweep, restarted",
		UncertainSends: true, Fault: killWorkerThrice,
	},
	{
		Name: "worker-sigterm", Title: "worker SIGTERMed while provider calls are in flight, restarted",
		Fault: termWorkerDuringSends,
	},
	{
		Name: "notice-kill", Title: "worker SIGKILLed the moment a customer notice reached the provider, restarted",
		UncertainSends: true, Fault: killWorkerMidNotice,
	},
	{
		Name: "server-kill", Title: "Temporal dev server SIGKILLed, restarted on its SQLite file",
		Fault: killServer,
	},
	{
		Name: "db-outage", Title: "PostgreSQL stopped mid-run, then started (private cluster)",
		PrivatePostgres: true, Fault: stopDatabase,
	},
	{
		Name: "provider-errors", Title: "SendGrid and Twilio answer 500/429, then recover",
		Fault: failProviders,
	},
	{
		Name: "slow-provider", Title: "SendGrid and Twilio accept, then answer after the client gave up",
		UncertainSends: true, Fault: slowProviders,
	},
	{
		Name: "lookup-hang", Title: "supplier lookup hangs past its timeout (suppliers locked)",
		Fault: lockSuppliers,
	},
	{
		Name: "signals-no-worker", Title: "task completion and fulfilment signalled with no worker",
		Fault: signalWithoutWorker, Fulfils: true,
	},
	{
		Name: "two-workers", Title: "two workers on the same task queue",
		Workers: 2, Fault: countWorkShare,
	},
}

// DrillNamed finds a drill by name.
func DrillNamed(name string) (Drill, bool) {
	for _, d := range Drills {
		if d.Name == name {
			return d, true
		}
	}
	return Drill{}, false
}

// killWorkerThrice: SIGKILL the worker at a quarter, half and three
// quarters of the sweep (or 3 s after the previous restart, whichever
// comes first), restarting it each time. Activities and workflow tasks the
// dead worker held are retried after their timeouts; local activities run
// again with their workflow task.
func killWorkerThrice(ctx context.Context, r *run) error {
	var at []string
	lastRestart := time.Now()
	for i := 1; i <= 3; i++ {
		target := i * r.n / 4
		since := lastRestart
		err := r.st.waitUntil(ctx, fmt.Sprintf("kill %d", i), r.opts.Limit, func(ctx context.Context) (bool, string, error) {
			got, err := r.st.Awaiting(ctx)
			return got >= target || (i > 1 && time.Since(since) >= 3*time.Second), fmt.Sprintf("%d awaiting", got), err
		})
		if err != nil {
			return err
		}
		at = append(at, fmt.Sprint(r.awaiting(ctx)))
		if err := r.st.KillWorkers(); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
		if err := r.st.StartWorker(); err != nil {
			return err
		}
		lastRestart = time.Now()
	}
	r.recoveredAt = lastRestart
	r.note("killed at %s/%d awaiting", strings.Join(at, ","), r.n)
	return nil
}

// killServer: SIGKILL the dev server a third into the sweep, keep it down
// for ServerDown, start it again on the same port and SQLite file. The
// worker keeps running and reconnects.
func killServer(ctx context.Context, r *run) error {
	if err := r.untilAwaiting(ctx, r.n/3); err != nil {
		return err
	}
	at := r.awaiting(ctx)
	if err := r.st.KillServer(); err != nil {
		return err
	}
	killed := time.Now()
	if err := sleep(ctx, r.opts.ServerDown); err != nil {
		return err
	}
	if err := r.st.StartServer(ctx); err != nil {
		return err
	}
	r.recoveredAt = time.Now()
	r.note("killed at %d/%d awaiting; down %.1fs (restart included)", at, r.n, r.recoveredAt.Sub(killed).Seconds())
	return nil
}

// stopDatabase: stop the private PostgreSQL (fast shutdown: connections
// cut, transactions rolled back) a third into the sweep, for DBOutage.
func stopDatabase(ctx context.Context, r *run) error {
	if err := r.untilAwaiting(ctx, r.n/3); err != nil {
		return err
	}
	at := r.awaiting(ctx)
	if err := r.st.StopDatabase(); err != nil {
		return err
	}
	stopped := time.Now()
	if err := sleep(ctx, r.opts.DBOutage); err != nil {
		return err
	}
	if err := r.st.StartDatabase(ctx); err != nil {
		return err
	}
	r.recoveredAt = time.Now()
	r.note("stopped at %d/%d awaiting; down %.0fs", at, r.n, r.recoveredAt.Sub(stopped).Seconds())
	return nil
}

// failProviders: once a quarter of the emails went out, both fakes answer
// every request with 500 or 429 (Retry-After: 1) in turn for
// ProviderOutage, then accept again.
func failProviders(ctx context.Context, r *run) error {
	if err := r.untilEmailsAccepted(ctx, max(r.n/4, 1)); err != nil {
		return err
	}
	sentBefore := len(r.st.SendGrid.Accepted())
	sgBefore, twBefore := len(r.st.SendGrid.Requests()), len(r.st.Twilio.Requests())
	// Far more errors than requests can arrive; what is left is drained.
	const queued = 20_000
	for _, s := range r.providerScripts() {
		replies := make([]fakes.Reply, queued)
		for i := range replies {
			if i%2 == 0 {
				replies[i] = fakes.Status(500)
			} else {
				replies[i] = fakes.RateLimited(time.Second)
			}
		}
		s.Push(replies...)
	}
	if err := sleep(ctx, r.opts.ProviderOutage); err != nil {
		return err
	}
	for _, s := range r.providerScripts() {
		for s.Next().Status != 0 {
		}
	}
	r.recoveredAt = time.Now()
	sgErrors, twErrors := 0, 0
	for _, req := range r.st.SendGrid.Requests()[sgBefore:] {
		if !req.Accepted {
			sgErrors++
		}
	}
	for _, req := range r.st.Twilio.Requests()[twBefore:] {
		if !req.Accepted {
			twErrors++
		}
	}
	r.note("failing %.0fs from %d/%d emails sent: %d SendGrid and %d Twilio requests refused", r.opts.ProviderOutage.Seconds(), sentBefore, r.n, sgErrors, twErrors)
	r.check("the providers refused requests during the fault", sgErrors > 0, "%d SendGrid, %d Twilio", sgErrors, twErrors)
	return nil
}

// slowProviders: once a quarter of the emails went out, both fakes accept
// every message and answer after SlowAnswer, longer than the client
// waits, for ProviderOutage; then they answer at once again. A send that
// timed out may have delivered: an email goes again once (two copies at
// most), an SMS never (it stays unknown, listed for a person).
func slowProviders(ctx context.Context, r *run) error {
	if err := r.untilEmailsAccepted(ctx, max(r.n/4, 1)); err != nil {
		return err
	}
	sgBefore, twBefore := len(r.st.SendGrid.Requests()), len(r.st.Twilio.Requests())
	r.queueSlowAnswers(20_000, r.opts.SlowAnswer)
	if err := sleep(ctx, r.opts.ProviderOutage); err != nil {
		return err
	}
	r.dropSlowAnswers()
	r.recoveredAt = time.Now()
	slow := len(r.st.SendGrid.Requests()) - sgBefore + len(r.st.Twilio.Requests()) - twBefore
	r.note("slow for %.0fs (answers after %.0fs): %d requests answered late", r.opts.ProviderOutage.Seconds(), r.opts.SlowAnswer.Seconds(), slow)
	r.check("requests were answered after the client gave up", slow > 0, "%d", slow)
	return nil
}

// termWorkerDuringSends: once a quarter of the emails went out, the fakes
// take 2 s to answer; with calls in flight the worker gets SIGTERM. It
// must let them finish (BACKORDER_WORKER_STOP_TIMEOUT) and exit; a new
// worker takes over. No outcome may be left unknown: every message is
// accepted exactly once.
func termWorkerDuringSends(ctx context.Context, r *run) error {
	if err := r.untilEmailsAccepted(ctx, max(r.n/4, 1)); err != nil {
		return err
	}
	const answerIn = 2 * time.Second
	r.queueSlowAnswers(4*r.n, answerIn)
	// Let calls start and be in the middle of their answer.
	if err := sleep(ctx, answerIn/2); err != nil {
		return err
	}
	inFlight := r.callsInFlight()
	took, err := r.st.TermWorkers(30 * time.Second)
	if err != nil {
		return err
	}
	r.dropSlowAnswers()
	if err := r.st.StartWorker(); err != nil {
		return err
	}
	r.recoveredAt = time.Now()
	r.note("SIGTERM with %d provider calls in flight; the worker exited %.1fs later", inFlight, took.Seconds())
	r.check("provider calls were in flight at SIGTERM", inFlight > 0, "%d", inFlight)
	return nil
}

// killWorkerMidNotice: make the providers slow, SIGKILL the worker as soon
// as a call reaches one (well inside the attempt's first second, before
// it ever heartbeats), restart it. The attempts it held must be given up
// at the 5 s heartbeat timeout, timed from their start, not at the 30 s
// start-to-close: every notice cut by the kill is settled within
// RecoveryBound of it.
func killWorkerMidNotice(ctx context.Context, r *run) error {
	if err := r.untilEmailsAccepted(ctx, max(r.n/10, 1)); err != nil {
		return err
	}
	r.queueSlowAnswers(4*r.n, time.Minute)
	err := r.st.waitUntil(ctx, "a provider call in flight", r.opts.Limit, func(context.Context) (bool, string, error) {
		n := r.callsInFlight()
		return n > 0, fmt.Sprintf("%d in flight", n), nil
	})
	if err != nil {
		return err
	}
	if err := r.st.KillWorkers(); err != nil {
		return err
	}
	killed := time.Now()
	cut, err := within(ctx, r.st.Store.PendingNotificationKeys)
	if err != nil {
		return err
	}
	r.dropSlowAnswers()
	if err := r.st.StartWorker(); err != nil {
		return err
	}
	r.recoveredAt = time.Now()
	err = r.st.waitUntil(ctx, "the notices cut by the kill settled", r.opts.Limit, func(ctx context.Context) (bool, string, error) {
		got, err := within(ctx, func(ctx context.Context) (int, error) { return r.st.Store.CountNotificationsSettled(ctx, cut) })
		return got == len(cut), fmt.Sprintf("%d of %d settled", got, len(cut)), err
	})
	if err != nil {
		return err
	}
	settled := time.Since(killed)
	r.note("SIGKILL with %d notices in flight, settled %.1fs later", len(cut), settled.Seconds())
	r.check("notices were in flight at SIGKILL", len(cut) > 0, "%d", len(cut))
	r.check(fmt.Sprintf("the notices cut by the kill settled within %s of it", RecoveryBound), settled <= RecoveryBound, "%.1fs", settled.Seconds())
	return nil
}

// providerScripts are the reply queues of both provider fakes.
func (r *run) providerScripts() []*fakes.Script {
	return []*fakes.Script{&r.st.SendGrid.Script, &r.st.Twilio.Script}
}

// queueSlowAnswers has each fake take its next n messages and answer
// after d.
func (r *run) queueSlowAnswers(n int, d time.Duration) {
	replies := make([]fakes.Reply, n)
	for i := range replies {
		replies[i] = fakes.Slow(d)
	}
	for _, s := range r.providerScripts() {
		s.Push(replies...)
	}
}

// dropSlowAnswers takes the slow answers not yet given off both queues:
// the fakes answer at once again.
func (r *run) dropSlowAnswers() {
	for _, s := range r.providerScripts() {
		for s.Next().Delay != 0 {
		}
	}
}

// callsInFlight counts the provider calls being answered now.
func (r *run) callsInFlight() int { return r.st.SendGrid.InFlight() + r.st.Twilio.InFlight() }

// untilEmailsAccepted waits until the SendGrid fake accepted k emails.
func (r *run) untilEmailsAccepted(ctx context.Context, k int) error {
	return r.st.waitUntil(ctx, fmt.Sprintf("%d emails accepted", k), r.opts.Limit, func(context.Context) (bool, string, error) {
		got := len(r.st.SendGrid.Accepted())
		return got >= k, fmt.Sprintf("%d emails accepted", got), nil
	})
}

// lockSuppliers: early in the sweep, a second connection takes an
// ACCESS EXCLUSIVE lock on suppliers and holds it for LockHold, longer
// than the database steps' 10 s start-to-close timeout. Every lookup that
// joins suppliers (the lead-time lookup, and the order load of the other
// steps) hangs; those that hang past the timeout are cancelled and
// retried; after the release all complete. The drill watches
// pg_stat_activity to prove lookups were blocked and gave up at their
// timeout while the lock was still held.
func lockSuppliers(ctx context.Context, r *run) error {
	// Early: as soon as the first order was assessed, the others are
	// still assessing and looking up lead times (database steps, 10 s
	// start-to-close); later ones would block only in the email step,
	// whose 30 s timeout outlasts the lock.
	err := r.st.waitUntil(ctx, "the first order assessed", r.opts.Limit, func(ctx context.Context) (bool, string, error) {
		got, err := within(ctx, r.st.Store.CountCheckedOrders)
		return got >= 1, fmt.Sprintf("%d assessed", got), err
	})
	if err != nil {
		return err
	}
	at := r.awaiting(ctx)
	conn, err := pgx.Connect(ctx, r.st.dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	monitor, err := pgx.Connect(ctx, r.st.dbURL)
	if err != nil {
		return err
	}
	defer monitor.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, `LOCK TABLE suppliers IN ACCESS EXCLUSIVE MODE`); err != nil {
		return err
	}
	locked := time.Now()
	r.st.opts.Logf("suppliers locked at %d/%d awaiting", at, r.n)

	// An attempt is one backend's query, by its start time.
	type attempt struct {
		pid   int32
		start time.Time
	}
	lastSeen := map[attempt]time.Time{}
	for time.Since(locked) < r.opts.LockHold {
		rows, err := monitor.Query(ctx, `SELECT pid, query_start FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`, conn.PgConn().PID())
		if err != nil {
			return err
		}
		var a attempt
		now := time.Now()
		_, err = pgx.ForEachRow(rows, []any{&a.pid, &a.start}, func() error {
			lastSeen[a] = now
			return nil
		})
		if err != nil {
			return err
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		return err
	}
	released := time.Now()
	r.recoveredAt = released
	gaveUp := 0
	var longest time.Duration
	for a, seen := range lastSeen {
		if released.Sub(seen) > time.Second {
			gaveUp++ // stopped waiting while the lock was still held
			longest = max(longest, seen.Sub(a.start))
		}
	}
	r.note("suppliers locked %.0fs from %d/%d awaiting: %d queries blocked, %d gave up at their timeout (after ~%.0fs) and were retried",
		released.Sub(locked).Seconds(), at, r.n, len(lastSeen), gaveUp, longest.Seconds())
	r.check("a lookup hung past its timeout and was retried", gaveUp > 0, "%d of %d blocked queries cancelled while the lock was held", gaveUp, len(lastSeen))
	return nil
}

// signalWithoutWorker: once every order awaits fulfilment the worker is
// killed; each order's procurement task is completed and the order
// fulfilled, as `starter task complete` and `starter fulfill` do (the row
// first, then the signal), while no worker runs. Nothing may move until a
// worker starts again; then every workflow must act on both signals.
func signalWithoutWorker(ctx context.Context, r *run) error {
	if err := r.untilAwaiting(ctx, r.n); err != nil {
		return err
	}
	if err := r.st.KillWorkers(); err != nil {
		return err
	}
	if err := r.st.CompleteProcurementTasks(ctx, r.exp.Orders); err != nil {
		return fmt.Errorf("completing tasks: %w", err)
	}
	if err := r.st.Fulfil(ctx, r.exp.Orders); err != nil {
		return fmt.Errorf("fulfilling: %w", err)
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	early, err := r.st.Completed(ctx)
	if err != nil {
		return err
	}
	r.check("nothing moves without a worker", early == 0, "%d workflows completed before the restart", early)
	if err := r.st.StartWorker(); err != nil {
		return err
	}
	r.recoveredAt = time.Now()
	if err := r.st.waitCompleted(ctx, r.n, r.opts.Limit); err != nil {
		return err
	}
	r.recovery = time.Since(r.recoveredAt)
	r.note("%d task completions and %d fulfilments signalled while down", r.n, r.n)

	// Each workflow's final state must show both signals acted on.
	var wrong []string
	for _, id := range r.exp.Orders {
		st, err := r.st.Result(ctx, id)
		if err != nil {
			return fmt.Errorf("result of %s: %w", id, err)
		}
		roles := map[contract.Role]contract.TaskStatus{}
		for _, t := range st.Tasks {
			roles[t.Role] = t.Status
		}
		if st.Stage != contract.StageFulfilled || roles[contract.RoleProcurementManager] != contract.TaskDone || roles[contract.RoleInventoryClerk] != contract.TaskObsolete {
			wrong = append(wrong, fmt.Sprintf("%s(%s, procurement %s, clerk %s)", id, st.Stage,
				roles[contract.RoleProcurementManager], roles[contract.RoleInventoryClerk]))
		}
	}
	r.check("both signals acted on (fulfilled, procurement task done)", len(wrong) == 0, "%d/%d%s", r.n-len(wrong), r.n, badList(wrong))
	return nil
}

// countWorkShare: no fault; both workers must take part and nothing may
// happen twice.
func countWorkShare(_ context.Context, r *run) error {
	r.onDone = func() {
		var shares []string
		for i := 1; i <= 2; i++ {
			data, _ := os.ReadFile(filepath.Join(r.st.opts.Dir, fmt.Sprintf("worker-%d.log", i)))
			shares = append(shares, fmt.Sprint(strings.Count(string(data), "notification sent")))
		}
		r.note("messages sent per worker: %s", strings.Join(shares, "/"))
	}
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
