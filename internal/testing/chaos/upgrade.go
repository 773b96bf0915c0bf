package chaos

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/internal/testing/localproc"
	"github.com/acme/backorders/internal/testing/systest"
)

// The upgrade drill: a rolling upgrade of the worker while backorders
// wait. An older release of the worker, built from git, sweeps half the
// orders alone and parks their workflows; the current build joins it and
// the other half is swept with both running; people fulfil, cancel and
// complete tasks; the old release is stopped as a rolling deploy stops it
// (SIGTERM) and the current build finishes alone, replaying every history
// the old code wrote. No workflow may fail, each order must end where its
// script says, and no customer may get an email twice. See
// docs/development.md, "Upgrading a running system".

// UpgradeFrom is the release the drill upgrades from unless UPGRADE_FROM
// names another: the last commit before the newest workflow.GetVersion
// change (lifecycle-2026-11 version 3, fewerRoundTrips), so its runs
// record version 2 and the current code must replay them. Move it to the
// commit before your change when you add one.
const UpgradeFrom = "d16fb35bf1e8cc8b8f31891ee3bdc717c2b50972"

// ErrReleaseUnavailable: the release to upgrade from cannot be built here
// (no git, not a checkout, or a clone without that commit).
var ErrReleaseUnavailable = errors.New("the release to upgrade from is not available")

// Release is an older build of the worker.
type Release struct {
	// Commit is the full hash it was built from.
	Commit string
	// Worker is the built binary.
	Worker string
}

// BuildWorkerRelease builds the worker of git revision rev (a commit, tag
// or branch) of the checkout around the current directory: the tree is
// exported with git archive (the checkout is not touched) and built with
// the go command (modules from the proxy). A commit's tree never changes,
// so the binary is kept in the tools cache (devstack.ToolsDir) and built
// once. It fails with ErrReleaseUnavailable when the revision cannot be
// had here.
func BuildWorkerRelease(ctx context.Context, rev string) (Release, error) {
	top, err := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return Release{}, fmt.Errorf("%w: not inside a git checkout (%v)", ErrReleaseUnavailable, err)
	}
	repo := strings.TrimSpace(string(top))
	commit, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--verify", "--quiet", rev+"^{commit}").Output()
	if err != nil {
		return Release{}, fmt.Errorf("%w: %s is not in this clone (a shallow clone? git fetch --unshallow)", ErrReleaseUnavailable, rev)
	}
	r := Release{Commit: strings.TrimSpace(string(commit))}
	r.Worker = filepath.Join(devstack.ToolsDir(), "worker-"+r.Commit)
	if _, err := os.Stat(r.Worker); err == nil {
		return r, nil
	}
	if err := os.MkdirAll(devstack.ToolsDir(), 0o755); err != nil {
		return r, err
	}
	dir, err := os.MkdirTemp(devstack.ToolsDir(), "worker-build-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	src, tarball, bin := filepath.Join(dir, "src"), filepath.Join(dir, "src.tar"), filepath.Join(dir, "worker")
	if err := os.Mkdir(src, 0o755); err != nil {
		return r, err
	}
	for _, step := range []*exec.Cmd{
		exec.CommandContext(ctx, "git", "-C", repo, "archive", "--format=tar", "--output="+tarball, r.Commit),
		exec.CommandContext(ctx, "tar", "-xf", tarball, "-C", src),
		exec.CommandContext(ctx, "go", "build", "-o", bin, "./worker"),
	} {
		step.Dir = src
		step.Env = append(os.Environ(), "GOWORK=off")
		if out, err := step.CombinedOutput(); err != nil {
			return r, fmt.Errorf("building the worker of %s: %s: %w\n%s", rev, strings.Join(step.Args, " "), err, out)
		}
	}
	// Whole or not at all, should two runs build it at once.
	return r, os.Rename(bin, r.Worker)
}

// short is a commit's abbreviation in logs and titles.
func short(commit string) string { return commit[:min(12, len(commit))] }

// upgradeAction is what a person does to an order, as the starter does it
// (internal/operations).
type upgradeAction int

const (
	noAction upgradeAction = iota
	fulfilOrder
	cancelOrder
	completeProcurementTask
)

func (a upgradeAction) String() string {
	return [...]string{"nothing", "fulfil", "cancel", "complete the procurement task"}[a]
}

// orderScript is one order's part in the drill: what is done to it while
// both releases run and once the old one stopped, and where it must end.
type orderScript struct {
	whileBoth, afterOld upgradeAction
	end                 contract.Stage
}

// want is the order's stage and procurement task status at the end, as
// finalState writes them.
func (s orderScript) want() string {
	task := contract.TaskObsolete // closed with its episode
	switch {
	case s.whileBoth == completeProcurementTask || s.afterOld == completeProcurementTask:
		task = contract.TaskDone
	case s.end == contract.StageAwaitingFulfillment:
		task = contract.TaskOpen
	}
	return fmt.Sprintf("%s, procurement %s", s.end, task)
}

// upgradeScripts are dealt out in turn to the orders of each half.
var upgradeScripts = []orderScript{
	{whileBoth: fulfilOrder, end: contract.StageFulfilled},
	{whileBoth: cancelOrder, end: contract.StageCancelled},
	{whileBoth: completeProcurementTask, afterOld: fulfilOrder, end: contract.StageFulfilled},
	{afterOld: completeProcurementTask, end: contract.StageAwaitingFulfillment},
	{afterOld: cancelOrder, end: contract.StageCancelled},
	{end: contract.StageAwaitingFulfillment},
}

// upgradeRun is the upgrade drill in progress.
type upgradeRun struct {
	*run
	ops     *operations.Service
	old     *localproc.Process
	newPID  int
	scripts map[string]orderScript
	// closed counts the orders fulfilled or cancelled so far.
	closed int
	// early are the orders the old release swept alone, late the ones
	// swept with both running.
	early, late []string
}

// RunUpgradeDrill runs the upgrade drill from release from to the build
// in opts.WorkerBinary, at opts.Orders overdue orders (at least 12, so
// that each half plays every script), on a stack of its own.
func RunUpgradeDrill(ctx context.Context, from Release, opts Options) (res Result) {
	opts = opts.withDefaults()
	res = Result{Drill: "upgrade", Title: "rolling upgrade from " + short(from.Commit) + " to this build, old and new side by side",
		Orders: opts.Orders, Recovery: -1, Dir: filepath.Join(opts.WorkDir, "upgrade")}
	logf := func(format string, args ...any) { opts.Logf("[upgrade] "+format, args...) }
	fail := func(err error) Result {
		res.OK, res.Err, res.Detail = false, err, firstLine(err.Error())
		return res
	}
	if opts.Orders < 2*len(upgradeScripts) {
		return fail(fmt.Errorf("the upgrade drill needs at least %d orders, got %d", 2*len(upgradeScripts), opts.Orders))
	}
	if err := os.MkdirAll(res.Dir, 0o755); err != nil {
		return fail(err)
	}
	st, err := NewStack(ctx, StackOptions{WorkerBinary: opts.WorkerBinary, ServerURL: opts.ServerURL, Dir: res.Dir, Logf: logf})
	if err != nil {
		return fail(fmt.Errorf("starting the stack: %w", err))
	}
	defer st.Close()
	exp, err := st.Seed(ctx, opts.Orders, opts.AsOf)
	if err != nil {
		return fail(fmt.Errorf("seeding: %w", err))
	}
	u := &upgradeRun{
		run:     &run{opts: opts, st: st, exp: exp, n: len(exp.Orders), recovery: -1},
		ops:     &operations.Service{Store: st.Store, Temporal: st.Temporal, Config: config.Config{Location: time.UTC, TemporalAddress: st.TemporalAddress()}},
		scripts: map[string]orderScript{},
	}
	for i, id := range exp.Orders {
		if i%2 == 0 {
			u.early = append(u.early, id)
		} else {
			u.late = append(u.late, id)
		}
		u.scripts[id] = upgradeScripts[(i/2)%len(upgradeScripts)]
	}
	if err := u.upgrade(ctx, from); err != nil {
		// What the histories say (a nondeterminism error on the current
		// build, say) usually explains it.
		var v Verdict
		if herr := u.checkHistories(ctx, &v); herr == nil {
			err = fmt.Errorf("%w\n%s", err, strings.Join(append(v.Failed(), v.Notes...), "\n"))
		}
		res = fail(err)
		res.Err = fmt.Errorf("%w\nold release's log (end):\n%s\ncurrent build's log (end):\n%s", err,
			localproc.TailFile(u.oldLog(from), 3000), st.WorkerLogTail(3000))
		return res
	}
	v, err := u.check(ctx)
	if err != nil {
		return fail(fmt.Errorf("checking: %w", err))
	}
	res.Verdict, res.OK = v, v.OK()
	detail := v.Notes
	if !res.OK {
		detail = append(v.Failed(), detail...)
	}
	res.Detail = strings.Join(detail, "; ")
	logf("done: ok=%v %s", res.OK, res.Detail)
	return res
}

func (u *upgradeRun) oldLog(from Release) string {
	return filepath.Join(u.st.opts.Dir, "worker-"+short(from.Commit)+".log")
}

// upgrade plays the rolling upgrade, phase by phase.
func (u *upgradeRun) upgrade(ctx context.Context, from Release) error {
	st, logf := u.st, u.st.opts.Logf
	// The late half is not backordered yet: the old release's sweep must
	// not see it.
	if err := u.setStatus(ctx, u.late, contract.OrderPending); err != nil {
		return err
	}

	// 1. The old release alone.
	var err error
	if u.old, err = st.startRelease(u.oldLog(from), from.Worker); err != nil {
		return err
	}
	if err := u.sweep(ctx, 1, len(u.early)); err != nil {
		return err
	}
	logf("old release alone: %d orders awaiting fulfilment", len(u.early))

	// 2. The current build joins; the late half becomes backordered and
	// is swept with both running; people act on both halves.
	if err := st.StartWorker(); err != nil {
		return err
	}
	st.mu.Lock()
	u.newPID = st.workers[len(st.workers)-1].PID() // the one StartWorker added
	st.mu.Unlock()
	if err := u.setStatus(ctx, u.late, contract.OrderBackordered); err != nil {
		return err
	}
	if err := u.sweep(ctx, 2, u.n); err != nil {
		return err
	}
	if err := u.act(ctx, func(s orderScript) upgradeAction { return s.whileBoth }); err != nil {
		return err
	}
	logf("both running: %d orders swept, people acted", u.n)

	// 3. The old release stops as a rolling deploy stops it; the current
	// build finishes alone, and its sweep passes over every parked order.
	if err := st.stopRelease(u.old, 30*time.Second); err != nil {
		return err
	}
	if err := u.act(ctx, func(s orderScript) upgradeAction { return s.afterOld }); err != nil {
		return err
	}
	if err := u.sweep(ctx, 3, 0); err != nil {
		return err
	}
	logf("old release stopped; the current build finished")
	return nil
}

// setStatus sets the orders' status in PostgreSQL, as an order import
// does.
func (u *upgradeRun) setStatus(ctx context.Context, ids []string, status contract.OrderStatus) error {
	return localproc.Parallel(ids, clientConcurrency, func(id string) error {
		return u.st.Store.SetOrderStatus(ctx, id, status)
	})
}

// sweep runs the k-th sweep (the same id each time: the previous one must
// have completed) and waits until it completed and awaiting orders are
// awaiting fulfilment with their notices settled.
func (u *upgradeRun) sweep(ctx context.Context, k, awaiting int) error {
	if err := u.st.StartSweep(ctx, u.exp.AsOf); err != nil {
		return fmt.Errorf("starting sweep %d: %w", k, err)
	}
	if err := u.st.waitAwaiting(ctx, awaiting, u.opts.Limit); err != nil {
		return err
	}
	return u.st.waitUntil(ctx, fmt.Sprintf("sweep %d completed", k), u.opts.Limit, func(ctx context.Context) (bool, string, error) {
		got, err := u.st.countWorkflows(ctx, `WorkflowType = "SweepWorkflow" AND ExecutionStatus = "Completed"`)
		return got >= k, fmt.Sprintf("%d sweeps completed", got), err
	})
}

// act does each order's action of a phase, as `starter fulfill`,
// `starter cancel` and `starter task complete` do, and waits until the
// workflows of every order closed so far completed.
func (u *upgradeRun) act(ctx context.Context, phase func(orderScript) upgradeAction) error {
	var ids []string
	for _, id := range u.exp.Orders {
		switch phase(u.scripts[id]) {
		case noAction:
			continue
		case fulfilOrder, cancelOrder:
			u.closed++
		}
		ids = append(ids, id)
	}
	err := localproc.Parallel(ids, clientConcurrency, func(id string) error {
		a := phase(u.scripts[id])
		if err := u.do(ctx, a, id); err != nil {
			return fmt.Errorf("%s %s: %w", a, id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return u.st.waitCompleted(ctx, u.closed, u.opts.Limit)
}

func (u *upgradeRun) do(ctx context.Context, a upgradeAction, orderID string) error {
	switch a {
	case fulfilOrder, cancelOrder:
		to := contract.OrderFulfilled
		if a == cancelOrder {
			to = contract.OrderCancelled
		}
		done, err := u.ops.CloseOrder(ctx, operations.CloseOrder{OrderID: orderID, To: to, Note: "upgrade drill", By: "upgrade drill"})
		if err == nil && !done.WorkflowTold {
			err = errors.New("its workflow was not told")
		}
		return err
	case completeProcurementTask:
		tasks, err := u.st.Store.ListTasks(ctx, store.TaskFilter{OrderID: orderID, Role: contract.RoleProcurementManager})
		if err != nil {
			return err
		}
		if len(tasks) != 1 {
			return fmt.Errorf("%d procurement tasks, want 1", len(tasks))
		}
		done, err := u.ops.CompleteTask(ctx, operations.CompleteTask{TaskID: tasks[0].ID, By: "upgrade drill", Note: "supplier chased"})
		if err == nil && done.Deferred != "" {
			err = errors.New("its workflow did not take the completion: " + done.Deferred)
		}
		return err
	}
	return nil
}

// check checks the drill's promises once every phase is through:
// nothing failed, every order where its script says, once each, and no
// message twice; and it notes what the histories say about the
// releases.
func (u *upgradeRun) check(ctx context.Context) (Verdict, error) {
	var v Verdict
	add := func(name string, ok bool, format string, args ...any) {
		v.Checks = append(v.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	ending := map[contract.Stage]int{}
	for _, s := range u.scripts {
		ending[s.end]++
	}
	closed := ending[contract.StageFulfilled] + ending[contract.StageCancelled]

	// Visibility lags a little behind the last completion.
	counts := map[string]int{}
	queries := []struct{ name, query string }{
		{"failed", `ExecutionStatus = "Failed" OR ExecutionStatus = "TimedOut" OR ExecutionStatus = "Terminated" OR ExecutionStatus = "Canceled"`},
		{"completed", `WorkflowType = "BackorderWorkflow" AND ExecutionStatus = "Completed"`},
		{"running", `WorkflowType = "BackorderWorkflow" AND ExecutionStatus = "Running"`},
		{"sweeps", `WorkflowType = "SweepWorkflow" AND ExecutionStatus = "Completed"`},
	}
	err := u.st.waitUntil(ctx, "visibility", 15*time.Second, func(ctx context.Context) (bool, string, error) {
		for _, q := range queries {
			got, err := u.st.countWorkflows(ctx, q.query)
			if err != nil {
				return false, "", err
			}
			counts[q.name] = got
		}
		return counts["completed"] == closed && counts["running"] == u.n-closed, fmt.Sprint(counts), nil
	})
	var notReached *systest.NotReachedError
	if err != nil && !errors.As(err, &notReached) {
		return v, err
	}
	add("no workflow failed, timed out, or was terminated or cancelled", counts["failed"] == 0, "%d", counts["failed"])
	add("one workflow per order: closed ones completed, the rest running", counts["completed"] == closed && counts["running"] == u.n-closed,
		"%d completed (want %d), %d running (want %d)", counts["completed"], closed, counts["running"], u.n-closed)
	add("the three sweeps completed", counts["sweeps"] == 3, "%d", counts["sweeps"])

	var wrong []string
	for _, id := range u.exp.Orders {
		got, err := u.finalState(ctx, id)
		if err != nil {
			return v, fmt.Errorf("state of %s: %w", id, err)
		}
		if want := u.scripts[id].want(); got != want {
			wrong = append(wrong, fmt.Sprintf("%s(%s; want %s)", id, got, want))
		}
	}
	add("every order where its script says (stage, procurement task)", len(wrong) == 0, "%d/%d%s", u.n-len(wrong), u.n, badList(wrong))

	incidents, err := u.st.Store.IncidentsPerOrder(ctx)
	if err != nil {
		return v, err
	}
	bad := offenders(u.exp.Orders, incidents, func(string) int { return 1 })
	add("exactly one incident per order", len(bad) == 0, "%d incidents%s", sum(incidents), badList(bad))
	// A fulfilled order's incident is resolved, a cancelled one's
	// cancelled, a waiting one's open.
	unresolved, err := within(ctx, u.st.Store.CountUnresolvedIncidents)
	if err != nil {
		return v, err
	}
	want := u.n - ending[contract.StageFulfilled]
	add("incidents resolved for the fulfilled orders only", unresolved == want, "%d not resolved (want %d)", unresolved, want)
	taskCounts, err := u.st.Store.TaskCounts(ctx)
	if err != nil {
		return v, err
	}
	tasks := map[string]int{}
	for _, c := range taskCounts {
		tasks[c.OrderID+"/"+string(c.Role)] = c.Tasks
	}
	var wantTasks []string
	for _, id := range u.exp.Orders {
		wantTasks = append(wantTasks, id+"/"+string(contract.RoleProcurementManager), id+"/"+string(contract.RoleInventoryClerk))
	}
	bad = offenders(wantTasks, tasks, func(string) int { return 1 })
	add("two tasks per order (one per role)", len(bad) == 0, "%d tasks%s", sum(tasks), badList(bad))
	if err := u.checkNotices(ctx, &v); err != nil {
		return v, err
	}
	return v, u.checkHistories(ctx, &v)
}

// finalState is an order's stage and procurement task status: from the
// result of a completed workflow, from the status query of a running one
// (which the current build answers by replaying the history).
func (u *upgradeRun) finalState(ctx context.Context, orderID string) (string, error) {
	var state contract.BackorderState
	var err error
	if u.scripts[orderID].end == contract.StageAwaitingFulfillment {
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var answer converter.EncodedValue
		if answer, err = u.st.Temporal.QueryWorkflow(qctx, contract.BackorderWorkflowID(orderID), "", contract.QueryStatus); err == nil {
			err = answer.Get(&state)
		}
	} else {
		state, err = u.st.Result(ctx, orderID)
	}
	if err != nil {
		return "", err
	}
	task := contract.TaskStatus("missing")
	for _, t := range state.Tasks {
		if t.Role == contract.RoleProcurementManager {
			task = t.Status
		}
	}
	return fmt.Sprintf("%s, procurement %s", state.Stage, task), nil
}

// checkNotices: the customer email once per order and the SMS once per
// high-value order, whichever release sent it.
func (u *upgradeRun) checkNotices(ctx context.Context, v *Verdict) error {
	ledger, err := u.st.ledger(ctx)
	if err != nil {
		return err
	}
	emailKeys, smsKeys := u.st.acceptedLedgerKeys()
	overdue := map[string]bool{}
	var high []string
	for _, id := range u.exp.Orders {
		overdue[id] = true
		if u.exp.HighValue[id] {
			high = append(high, id)
		}
	}
	u.st.checkMessages(v, "email", emailKeys, ledger, u.exp.Orders, overdue, CheckOptions{})
	u.st.checkMessages(v, "sms", smsKeys, ledger, high, u.exp.HighValue, CheckOptions{})
	return nil
}

// acceptedLedgerKeys are the ledger keys of the messages the fakes
// accepted: SendGrid's custom argument, the key on Twilio's status
// callback.
func (s *Stack) acceptedLedgerKeys() (email, sms []string) {
	for _, r := range s.SendGrid.Accepted() {
		email = append(email, r.Mail.CustomArgs["ledger_key"])
	}
	for _, r := range s.Twilio.Accepted() {
		key := ""
		if u, err := url.Parse(r.Message.StatusCallback); err == nil {
			key = u.Query().Get("key")
		}
		sms = append(sms, key)
	}
	return email, sms
}

// histories is what the drill reads from every workflow's history.
type histories struct {
	// startedBy is which worker ("old", "new") completed a workflow's
	// first workflow task, by workflow id.
	startedBy map[string]string
	// paths counts per-order runs by half and GetVersion markers, e.g.
	// "early: lifecycle-2026-11 v1".
	paths map[string]int
	// work counts workflow tasks and activities by worker.
	work map[string]int
	// failures are the WorkflowTaskFailed events, "worker: cause: message":
	// the server retries such a task; the workflow goes on.
	failures    map[string]int
	failedOnNew []string
}

// readHistories reads every workflow's history.
func (u *upgradeRun) readHistories(ctx context.Context) (histories, error) {
	h := histories{startedBy: map[string]string{}, paths: map[string]int{}, work: map[string]int{}, failures: map[string]int{}}
	who := func(identity string) string {
		switch {
		case u.old != nil && strings.HasPrefix(identity, fmt.Sprintf("%d@", u.old.PID())):
			return "old"
		case strings.HasPrefix(identity, fmt.Sprintf("%d@", u.newPID)):
			return "new"
		}
		return "unknown worker " + identity
	}
	early := map[string]bool{}
	for _, id := range u.early {
		early[contract.BackorderWorkflowID(id)] = true
	}
	executions, err := systest.ListWorkflows(ctx, u.st.Temporal, "")
	if err != nil {
		return h, err
	}
	for _, e := range executions {
		id := e.Execution.WorkflowId
		var markers []string
		it := u.st.Temporal.GetWorkflowHistory(ctx, id, e.Execution.RunId, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return h, fmt.Errorf("history of %s: %w", id, err)
			}
			switch a := ev.Attributes.(type) {
			case *historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes:
				by := who(a.WorkflowTaskCompletedEventAttributes.Identity)
				h.work[by+" workflow tasks"]++
				if _, ok := h.startedBy[id]; !ok {
					h.startedBy[id] = by
				}
			case *historypb.HistoryEvent_ActivityTaskStartedEventAttributes:
				h.work[who(a.ActivityTaskStartedEventAttributes.Identity)+" activities"]++
			case *historypb.HistoryEvent_WorkflowTaskFailedEventAttributes:
				f := a.WorkflowTaskFailedEventAttributes
				by := who(f.Identity)
				failure := fmt.Sprintf("%s: %s: %s", by, f.Cause, firstLine(f.GetFailure().GetMessage()))
				h.failures[failure]++
				if by != "old" {
					h.failedOnNew = append(h.failedOnNew, id+" "+failure)
				}
			case *historypb.HistoryEvent_MarkerRecordedEventAttributes:
				if change, version, ok := versionMarker(a.MarkerRecordedEventAttributes); ok {
					markers = append(markers, fmt.Sprintf("%s v%d", change, version))
				}
			}
		}
		if e.Type.Name == contract.BackorderWorkflowName {
			half := "late"
			if early[id] {
				half = "early"
			}
			path := "no GetVersion marker"
			if len(markers) > 0 {
				path = strings.Join(markers, ", ")
			}
			h.paths[half+": "+path]++
		}
	}
	return h, nil
}

// checkHistories: the old release must have started the orders it swept
// alone (or the drill upgraded nothing), and no workflow task may have
// failed on the current build: it must replay everything the old code
// wrote. It notes which code paths the runs took, who did the work and
// every workflow-task failure.
func (u *upgradeRun) checkHistories(ctx context.Context, v *Verdict) error {
	h, err := u.readHistories(ctx)
	if err != nil {
		return err
	}
	var notOld []string
	for _, id := range u.early {
		if by := h.startedBy[contract.BackorderWorkflowID(id)]; by != "old" {
			notOld = append(notOld, id+"("+by+")")
		}
	}
	v.Checks = append(v.Checks,
		Check{Name: "the old release started every order it swept alone", OK: len(notOld) == 0,
			Detail: fmt.Sprintf("%d/%d%s", len(u.early)-len(notOld), len(u.early), badList(notOld))},
		Check{Name: "no workflow task failed on the current build (it replays what the old code wrote)", OK: len(h.failedOnNew) == 0,
			Detail: fmt.Sprintf("%d%s", len(h.failedOnNew), badList(h.failedOnNew))})
	lateBy := map[string]int{}
	for _, id := range u.late {
		lateBy[h.startedBy[contract.BackorderWorkflowID(id)]]++
	}
	failures := 0
	for _, n := range h.failures {
		failures += n
	}
	v.Notes = append(v.Notes,
		"late half started on "+tally(lateBy)+" (the sweep starts workflows on the worker that runs its start step)",
		"code paths: "+tally(h.paths),
		"work: "+tally(h.work),
		fmt.Sprintf("workflow-task failures: %d (%s)", failures, tally(h.failures)))
	return nil
}

// versionMarker decodes a workflow.GetVersion marker.
func versionMarker(m *historypb.MarkerRecordedEventAttributes) (string, int, bool) {
	if m.MarkerName != "Version" {
		return "", 0, false
	}
	var change string
	var version int
	dc := converter.GetDefaultDataConverter()
	if dc.FromPayloads(m.Details["change-id"], &change) != nil || dc.FromPayloads(m.Details["version"], &version) != nil {
		return "", 0, false
	}
	return change, version, true
}

// tally writes counts as "a×2, b×1", sorted.
func tally(counts map[string]int) string {
	if len(counts) == 0 {
		return "none"
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// startRelease runs a worker process from another build (the release the
// drill upgrades from), logging to logPath; stopRelease stops it alone.
func (s *Stack) startRelease(logPath, binary string) (*localproc.Process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startWorkerLocked("worker "+filepath.Base(binary), logPath, binary)
}

// stopRelease sends the worker SIGTERM, as a rolling deploy does, and
// waits up to limit for it to exit on its own.
func (s *Stack) stopRelease(p *localproc.Process, limit time.Duration) error {
	s.mu.Lock()
	for i, w := range s.workers {
		if w == p {
			s.workers = append(s.workers[:i], s.workers[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	s.opts.Logf("SIGTERM worker (pid %d)", p.PID())
	return p.Stop(syscall.SIGTERM, limit)
}
