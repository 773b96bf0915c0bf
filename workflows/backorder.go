package workflows

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/notify"
)

const (
	// continueAsNewAfterEvents bounds the history of a long wait: each
	// re-check, day or task completion adds events, and a backorder may wait
	// for months.
	continueAsNewAfterEvents = 2000
	// minRecheckDelay keeps a misconfigured clock from spinning re-checks.
	minRecheckDelay = time.Minute
	// lifecycleChange marks the lifecycle rework (notices beside the other
	// steps, a daily delay refresh, adoption, escalation). Runs started
	// before it replay their recorded order; see README "Changing workflows
	// safely". Delete the legacy branches once no such run remains.
	lifecycleChange = "lifecycle-2026-11"
)

// Versions of lifecycleChange.
const (
	lifecycleReworked = 1
	// adoptionMissesETA: an adopted episode whose ETA passed while no
	// workflow watched it has missed that ETA, as at a re-check: the
	// customer hears of the new date within the notice cap, and past the
	// cap the episode escalates.
	adoptionMissesETA = 2
)

// Order statuses the workflow reacts to.
const (
	orderBackordered = "Backordered"
	orderFulfilled   = "Fulfilled"
	orderCancelled   = "Cancelled"
)

// BackorderWorkflow handles one backordered order: it sizes the delay and
// the money at stake, gets people working on it, tells the customer, and
// waits for the order to be fulfilled or cancelled, re-checking whenever
// the estimated delivery date passes.
func BackorderWorkflow(ctx workflow.Context, in BackorderInput) (BackorderState, error) {
	w, err := newBackorderWorkflow(ctx, in)
	if err != nil {
		return BackorderState{}, err
	}
	return w.run(ctx)
}

type backorderWorkflow struct {
	state BackorderState
	// outcome ends the wait: "fulfilled", "cancelled" or "not_backordered".
	outcome string
	// legacy: the run started before lifecycleChange and keeps its
	// recorded order of steps.
	legacy bool
	// version is the run's lifecycleChange version.
	version   workflow.Version
	fulfilled workflow.ReceiveChannel
	cancelled workflow.ReceiveChannel
	completed workflow.ReceiveChannel
	// requests carries updates from their handlers to the main loop, so
	// every change of state happens there, one at a time.
	requests workflow.Channel
	// notices is the context notices are sent in; cancelling it at close
	// drops the ones not yet sent.
	notices       workflow.Context
	cancelNotices workflow.CancelFunc
	// sending counts notices in flight.
	sending int
	// adopted is the open episode this run took over, nil for a new one.
	adopted *activities.OpenEpisode
}

// request is one update waiting for the main loop.
type request struct {
	completion *TaskCompletedSignal
	revision   *ReviseETARequest
	done       bool
	err        error
}

func newBackorderWorkflow(ctx workflow.Context, in BackorderInput) (*backorderWorkflow, error) {
	w := &backorderWorkflow{
		fulfilled: workflow.GetSignalChannel(ctx, SignalOrderFulfilled),
		cancelled: workflow.GetSignalChannel(ctx, SignalOrderCancelled),
		completed: workflow.GetSignalChannel(ctx, SignalTaskCompleted),
		requests:  workflow.NewChannel(ctx),
		version:   workflow.GetVersion(ctx, lifecycleChange, workflow.DefaultVersion, adoptionMissesETA),
	}
	w.legacy = w.version < lifecycleReworked
	w.notices, w.cancelNotices = workflow.WithCancel(ctx)
	if in.Resume != nil {
		w.state = *in.Resume
	} else {
		if in.OrderID == "" {
			return nil, temporal.NewNonRetryableApplicationError("order id is empty", activities.ErrTypeInvalidInput, nil)
		}
		if _, err := backorder.ParseDate(in.AsOf); err != nil {
			return nil, temporal.NewNonRetryableApplicationError("as-of date: "+err.Error(), activities.ErrTypeInvalidInput, nil)
		}
		info := workflow.GetInfo(ctx)
		w.state = BackorderState{
			OrderID:    in.OrderID,
			Stage:      StageAssessing,
			AsOf:       in.AsOf,
			Tasks:      []TaskState{},
			EpisodeKey: info.WorkflowExecution.ID + "/" + info.FirstRunID,
		}
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (BackorderState, error) { return w.state, nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCompleteTask,
		func(ctx workflow.Context, in TaskCompletedSignal) (BackorderState, error) {
			return w.submit(ctx, &request{completion: &in})
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in TaskCompletedSignal) error {
			return w.completionProblem(ctx, in)
		}}); err != nil {
		return nil, err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateReviseETA,
		func(ctx workflow.Context, in ReviseETARequest) (BackorderState, error) {
			return w.submit(ctx, &request{revision: &in})
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in ReviseETARequest) error {
			return w.revisionProblem(ctx, in)
		}})
	return w, err
}

func (w *backorderWorkflow) run(ctx workflow.Context) (BackorderState, error) {
	if w.state.Stage == StageAssessing {
		if err := w.handleBackorder(ctx); err != nil {
			return w.state, err
		}
	}
	if w.state.Stage == StageNotBackordered && w.outcome == "" {
		return w.state, w.refusePending(ctx)
	}
	if err := w.awaitOutcome(ctx); err != nil {
		return w.state, err
	}
	if err := w.close(ctx); err != nil {
		return w.state, err
	}
	return w.state, w.refusePending(ctx)
}

// handleBackorder walks steps 1 to 10 of the process.
func (w *backorderWorkflow) handleBackorder(ctx workflow.Context) error {
	db := databaseStep(ctx)
	s := &w.state

	// 1-2. Delay in days and backorder value.
	var assessed activities.Assessment
	if err := workflow.ExecuteLocalActivity(db, a.AssessBackorder, activities.AssessInput{OrderID: s.OrderID, AsOf: s.AsOf}).Get(ctx, &assessed); err != nil {
		return err
	}
	if assessed.Status != orderBackordered {
		workflow.GetLogger(ctx).Info("order is no longer backordered; nothing to do", "status", assessed.Status)
		if e := assessed.OpenEpisode; e != nil && !w.legacy {
			// A lost run's episode of an order closed meanwhile: close it.
			s.IncidentID, s.EpisodeKey = e.IncidentID, e.EpisodeKey
			w.outcome = outcomeOf(assessed.Status)
			return nil
		}
		return w.setStage(ctx, StageNotBackordered)
	}
	s.DelayDays, s.BackorderValue, s.Currency = assessed.DelayDays, assessed.BackorderValue, assessed.Currency
	if !w.legacy {
		s.PromisedDate, s.Today, s.TodayEndsAt = assessed.PromisedDate, assessed.Today, assessed.TodayEndsAt
		s.MaxCustomerNotices = assessed.MaxCustomerNotices
		w.adopt(assessed.OpenEpisode)
	}
	if err := w.setStage(ctx, StageAssessing); err != nil {
		return err
	}

	// 3. Keep the order record current.
	if err := w.markOrder(ctx, "Backorder: investigating shortage"); err != nil {
		return err
	}

	// 4. Procurement investigates the shortage.
	if err := w.createTask(ctx, RoleProcurementManager, "",
		fmt.Sprintf("Investigate shortage on order %s (%d days late, %s %s at stake)", s.OrderID, s.DelayDays, s.BackorderValue, s.Currency)); err != nil {
		return err
	}

	// 5-6. Supplier lead times and the new estimated delivery date.
	leadTimes, err := w.lookupLeadTimes(ctx)
	if err != nil {
		return err
	}
	eta, version := w.firstETA(ctx, leadTimes)
	if err := w.setETA(ctx, eta); err != nil {
		return err
	}

	// 7. Incident log entry with its mitigation plan (an adopted episode
	// keeps its incident; a date that passed meanwhile is revised on it).
	if err := workflow.ExecuteLocalActivity(db, a.OpenIncident, activities.OpenIncidentInput{
		EpisodeKey: s.EpisodeKey, OrderID: s.OrderID, DelayDays: s.DelayDays,
		BackorderValue: s.BackorderValue, Currency: s.Currency, ETA: eta, LeadTimes: leadTimes,
	}).Get(ctx, &s.IncidentID); err != nil {
		return err
	}
	s.ETAVersion = version
	tell := true
	if w.adopted != nil && version > w.adopted.ETAVersion {
		if err := w.reviseIncident(ctx, revision{eta: eta, leadTimes: leadTimes.Lines,
			reason: "the previous estimate passed while no workflow watched the order"}); err != nil {
			return err
		}
		if w.version >= adoptionMissesETA {
			s.Rechecks++
			tell = s.CustomerNotices < w.maxCustomerNotices()
			if !tell && !s.Escalated {
				if err := w.escalate(ctx); err != nil {
					return err
				}
			}
		}
	}

	// Fulfilled or cancelled while we worked: do not tell anyone of a delay.
	if w.receiveOutcome() {
		return nil
	}

	notice := activities.NotifyCustomerInput{IncidentID: s.IncidentID, OrderID: s.OrderID, ETA: eta, ETAVersion: s.ETAVersion}
	if w.legacy {
		if err := w.notifyAlertAndTaskInRecordedOrder(ctx, notice, assessed.AlertWarehouse); err != nil {
			return err
		}
	} else {
		// 10. The inventory clerk adjusts expected arrivals.
		if err := w.createTask(ctx, RoleInventoryClerk, "",
			fmt.Sprintf("Adjust expected stock arrivals for order %s (new ETA %s)", s.OrderID, eta)); err != nil {
			return err
		}
		// 9. High value: an active alert now; the SMS goes out beside the
		// rest, once quiet hours allow.
		if assessed.AlertWarehouse {
			if err := w.alertWarehouse(ctx); err != nil {
				return err
			}
		}
		// 8. Tell the customer, beside the rest: a slow or failing email
		// provider holds up nothing else.
		if !tell {
			workflow.GetLogger(ctx).Info("customer not told of the revised ETA: notice cap reached", "notices", s.CustomerNotices)
		} else if err := w.tellCustomer(ctx, notice); err != nil {
			return err
		}
	}

	if err := w.markOrder(ctx, w.waitingStatus()); err != nil {
		return err
	}
	return w.setStage(ctx, w.waitingStage())
}

// notifyAlertAndTaskInRecordedOrder is steps 8 to 10 as runs started
// before lifecycleChange recorded them: each notice finished before the
// next step.
func (w *backorderWorkflow) notifyAlertAndTaskInRecordedOrder(ctx workflow.Context, notice activities.NotifyCustomerInput, alert bool) error {
	if err := w.tellCustomer(ctx, notice); err != nil {
		return err
	}
	if alert {
		if err := w.alertWarehouse(ctx); err != nil {
			return err
		}
	}
	return w.createTask(ctx, RoleInventoryClerk, "",
		fmt.Sprintf("Adjust expected stock arrivals for order %s (new ETA %s)", w.state.OrderID, notice.ETA))
}

// adopt takes over the open episode of a run that ended without closing
// it: same incident, same episode key (so the same tasks and ledger keys),
// and the notices it already gave count against the cap.
func (w *backorderWorkflow) adopt(e *activities.OpenEpisode) {
	if e == nil {
		return
	}
	w.adopted = e
	s := &w.state
	s.Adopted, s.EpisodeKey, s.Escalated = true, e.EpisodeKey, e.Escalated
	// The versions before the current one were told; the current one is
	// told (again, the ledger key makes a repeat a no-op) below.
	s.CustomerNotices = e.ETAVersion - 1
}

// firstETA is the episode's ETA and its version: from the lead times, or,
// for an adopted episode, the date already told while it has not passed.
func (w *backorderWorkflow) firstETA(ctx workflow.Context, leadTimes activities.LeadTimes) (string, int) {
	today := w.today(ctx)
	eta := backorder.ETA(mustDate(w.state.AsOf), today, leadTimes.MaxDays).Format(backorder.DateLayout)
	e := w.adopted
	if e == nil {
		return eta, 1
	}
	if told := mustDate(e.ETA); !told.Before(today) {
		return e.ETA, e.ETAVersion
	}
	w.state.CustomerNotices = e.ETAVersion
	return eta, e.ETAVersion + 1
}

// awaitOutcome is step 11: wait for fulfilment or cancellation, handle task
// completions and ETA revisions meanwhile, keep the delay current, and
// re-check when the ETA passes.
func (w *backorderWorkflow) awaitOutcome(ctx workflow.Context) error {
	for w.outcome == "" {
		if w.historyIsLarge(ctx) {
			if err := w.drainMessages(ctx); err != nil {
				return err
			}
			if w.outcome != "" {
				break
			}
			// Notices in flight and update callers finish in this run.
			if err := workflow.Await(ctx, func() bool { return w.sending == 0 && workflow.AllHandlersFinished(ctx) }); err != nil {
				return err
			}
			state := w.state
			return workflow.NewContinueAsNewError(ctx, BackorderWorkflow, BackorderInput{OrderID: state.OrderID, AsOf: state.AsOf, Resume: &state})
		}
		if !w.legacy && w.state.Today == "" {
			// Continued from a run that did not keep the business day.
			if err := w.refreshDay(ctx); err != nil {
				return err
			}
		}

		timerCtx, cancelTimers := workflow.WithCancel(ctx)
		etaPassed, smsDue, dayEnded := false, false, false
		var handlerErr error
		selector := workflow.NewSelector(ctx)
		selector.AddReceive(w.fulfilled, func(c workflow.ReceiveChannel, _ bool) {
			w.onFulfilled(receiveText(ctx, c, "note"))
		})
		selector.AddReceive(w.cancelled, func(c workflow.ReceiveChannel, _ bool) {
			w.onCancelled(receiveText(ctx, c, "reason"))
		})
		selector.AddReceive(w.completed, func(c workflow.ReceiveChannel, _ bool) {
			var in TaskCompletedSignal
			c.Receive(ctx, &in)
			handlerErr = w.onCompletedSignal(ctx, in)
		})
		selector.AddReceive(w.requests, func(c workflow.ReceiveChannel, _ bool) {
			var r *request
			c.Receive(ctx, &r)
			handlerErr = w.serve(ctx, r)
		})
		selector.AddFuture(workflow.NewTimer(timerCtx, w.untilETAPasses(ctx)), func(f workflow.Future) {
			etaPassed = f.Get(ctx, nil) == nil
		})
		if w.state.SMSDueAt != nil {
			selector.AddFuture(workflow.NewTimer(timerCtx, w.state.SMSDueAt.Sub(workflow.Now(ctx))), func(f workflow.Future) {
				smsDue = f.Get(ctx, nil) == nil
			})
		}
		if !w.legacy {
			selector.AddFuture(workflow.NewTimer(timerCtx, max(w.state.TodayEndsAt.Sub(workflow.Now(ctx)), time.Second)), func(f workflow.Future) {
				dayEnded = f.Get(ctx, nil) == nil
			})
		}
		selector.Select(ctx)
		cancelTimers()
		if handlerErr != nil {
			return handlerErr
		}
		if smsDue {
			if err := w.textWarehouse(ctx); err != nil {
				return err
			}
		}
		if dayEnded {
			if err := w.refreshDay(ctx); err != nil {
				return err
			}
		}
		if etaPassed {
			if err := w.recheck(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *backorderWorkflow) untilETAPasses(ctx workflow.Context) time.Duration {
	return max(w.state.RecheckAt.Sub(workflow.Now(ctx)), minRecheckDelay)
}

func (w *backorderWorkflow) onFulfilled(note string) {
	w.outcome, w.state.FulfilmentNote = StageFulfilled, note
}

func (w *backorderWorkflow) onCancelled(reason string) {
	w.outcome, w.state.CancelReason = StageCancelled, reason
}

// receiveText takes a signal sent from anywhere (this CLI, the Web UI,
// `temporal workflow signal`) and reads its note or reason: a JSON object
// with that field, a bare string, or nothing at all. The signal counts
// whatever its payload: a fulfilment must never be dropped for its note.
// The data converter decodes the payload into an interface value, so
// workflow code only switches on its type.
func receiveText(ctx workflow.Context, c workflow.ReceiveChannel, field string) string {
	var payload any
	c.Receive(ctx, &payload)
	return payloadText(payload, field)
}

func payloadText(payload any, field string) string {
	switch p := payload.(type) {
	case string:
		return p
	case map[string]any:
		text, _ := p[field].(string)
		return text
	}
	return ""
}

// onCompletedSignal handles task-completed from any sender. What the
// complete-task update would refuse is logged and ignored here; a confirmed
// ETA that is not a date after today is dropped, the completion kept.
func (w *backorderWorkflow) onCompletedSignal(ctx workflow.Context, in TaskCompletedSignal) error {
	logger := workflow.GetLogger(ctx)
	if in.ConfirmedETA != "" && w.etaProblem(ctx, in.ConfirmedETA) != nil {
		logger.Warn("ignoring confirmed ETA that is not a date after today", "task_id", in.TaskID, "eta", in.ConfirmedETA)
		in.ConfirmedETA = ""
	}
	refused, err := w.completeTask(ctx, in)
	if refused != nil {
		logger.Warn("ignoring task completion", "task_id", in.TaskID, "reason", refused)
	}
	return err
}

// submit queues an update for the main loop and waits for its answer.
func (w *backorderWorkflow) submit(ctx workflow.Context, r *request) (BackorderState, error) {
	w.requests.Send(ctx, r)
	if err := workflow.Await(ctx, func() bool { return r.done }); err != nil {
		return w.state, err
	}
	return w.state, r.err
}

// serve answers one update in the main loop. A refusal goes back to the
// caller; only a failure of the workflow's own steps is returned.
func (w *backorderWorkflow) serve(ctx workflow.Context, r *request) error {
	var err error
	switch {
	case r.completion != nil:
		if r.err = w.completionProblem(ctx, *r.completion); r.err == nil {
			r.err, err = w.completeTask(ctx, *r.completion)
		}
	case r.revision != nil:
		if r.err = w.revisionProblem(ctx, *r.revision); r.err == nil {
			err = w.reviseETA(ctx, revision{
				eta: r.revision.ETA, reason: "procurement revised the date",
				by: r.revision.RevisedBy, note: r.revision.Note,
			})
		}
	}
	r.done = true
	return err
}

// refusePending answers updates that arrive after the episode ended.
func (w *backorderWorkflow) refusePending(ctx workflow.Context) error {
	for {
		var r *request
		if !w.requests.ReceiveAsync(&r) {
			break
		}
		r.err, r.done = w.closedProblem(), true
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// completionProblem is the complete-task validator: what makes a completion
// impossible, before anything is written.
func (w *backorderWorkflow) completionProblem(ctx workflow.Context, in TaskCompletedSignal) error {
	if err := w.closedProblem(); err != nil {
		return err
	}
	if _, err := w.openTask(in.TaskID); err != nil {
		return err
	}
	if in.ConfirmedETA != "" {
		if err := w.etaProblem(ctx, in.ConfirmedETA); err != nil {
			return fmt.Errorf("confirmed ETA: %w", err)
		}
	}
	return nil
}

// revisionProblem is the revise-eta validator.
func (w *backorderWorkflow) revisionProblem(ctx workflow.Context, in ReviseETARequest) error {
	if err := w.closedProblem(); err != nil {
		return err
	}
	if w.state.IncidentID == "" {
		return fmt.Errorf("order %s's incident is not logged yet: try again in a moment", w.state.OrderID)
	}
	if err := w.etaProblem(ctx, in.ETA); err != nil {
		return fmt.Errorf("ETA: %w", err)
	}
	return nil
}

func (w *backorderWorkflow) closedProblem() error {
	if w.outcome != "" || isFinal(w.state.Stage) {
		return fmt.Errorf("order %s's backorder has ended (%s)", w.state.OrderID, max(w.outcome, w.state.Stage))
	}
	return nil
}

// etaProblem: an ETA a person gives must be a date after today.
func (w *backorderWorkflow) etaProblem(ctx workflow.Context, eta string) error {
	d, err := backorder.ParseDate(eta)
	if err != nil {
		return err
	}
	if today := w.today(ctx); !d.After(today) {
		return fmt.Errorf("%s is not after today (%s): give the date the goods will arrive", eta, today.Format(backorder.DateLayout))
	}
	return nil
}

// today is the business date now, from the last day boundary the workflow
// learnt (runs started before lifecycleChange know only their as-of date).
func (w *backorderWorkflow) today(ctx workflow.Context) time.Time {
	d, err := backorder.ParseDate(w.state.Today)
	if err != nil {
		return mustDate(w.state.AsOf)
	}
	if now := workflow.Now(ctx); !w.state.TodayEndsAt.IsZero() && !now.Before(w.state.TodayEndsAt) {
		d = d.AddDate(0, 0, 1+int(now.Sub(w.state.TodayEndsAt)/(24*time.Hour)))
	}
	return d
}

// completeTask records a human task as done. refused says why a
// completion cannot be applied; err is a failure of the step itself. A
// procurement completion with a confirmed ETA that differs from the
// current one revises the ETA.
func (w *backorderWorkflow) completeTask(ctx workflow.Context, in TaskCompletedSignal) (refused, err error) {
	task, refused := w.openTask(in.TaskID)
	if refused != nil {
		return refused, nil
	}
	if in.CompletedAt == "" {
		in.CompletedAt = workflow.Now(ctx).UTC().Format(time.RFC3339)
	}
	err = workflow.ExecuteLocalActivity(databaseStep(ctx), a.CompleteTask, activities.CompleteTaskInput{
		TaskID: in.TaskID, CompletedBy: in.CompletedBy, Note: in.Note,
		ConfirmedETA: in.ConfirmedETA, CompletedAt: in.CompletedAt,
	}).Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return errors.New(appErr.Message()), nil
	}
	if err != nil {
		return nil, err
	}
	task.Status, task.CompletedBy, task.Note = TaskDone, in.CompletedBy, in.Note
	if task.Role != RoleProcurementManager || in.ConfirmedETA == "" || in.ConfirmedETA == w.state.NewETA {
		return nil, nil
	}
	return nil, w.reviseETA(ctx, revision{
		eta: in.ConfirmedETA, reason: "procurement confirmed a new supplier date", by: in.CompletedBy, note: in.Note,
	})
}

// recheck runs when the ETA passed unfulfilled: an order no longer
// backordered ends its episode; otherwise fresh lead times give a revised
// ETA, the incident is updated and the customer told, up to the notice cap,
// after which the episode escalates.
func (w *backorderWorkflow) recheck(ctx workflow.Context) error {
	s := &w.state
	if err := w.setStage(ctx, StageRechecking); err != nil {
		return err
	}
	var assessed activities.Assessment
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.AssessBackorder, activities.AssessInput{OrderID: s.OrderID}).Get(ctx, &assessed); err != nil {
		return err
	}
	if assessed.Status != orderBackordered && (!w.legacy || assessed.Status == orderFulfilled || assessed.Status == orderCancelled) {
		w.outcome = outcomeOf(assessed.Status)
		return nil
	}
	s.Rechecks++
	s.DelayDays, s.BackorderValue = assessed.DelayDays, assessed.BackorderValue
	if !w.legacy {
		s.Today, s.TodayEndsAt = assessed.Today, assessed.TodayEndsAt
	}
	leadTimes, err := w.lookupLeadTimes(ctx)
	if err != nil {
		return err
	}
	if !s.Escalated && s.CustomerNotices >= w.maxCustomerNotices() {
		if err := w.escalate(ctx); err != nil {
			return err
		}
	}
	eta := backorder.ETA(mustDate(assessed.AsOf), w.today(ctx), leadTimes.MaxDays).Format(backorder.DateLayout)
	if err := w.reviseETA(ctx, revision{eta: eta, leadTimes: leadTimes.Lines, reason: "the previous estimate passed without delivery"}); err != nil || w.outcome != "" {
		return err
	}
	current := "Backorder: awaiting fulfillment (ETA revised)"
	if s.Escalated {
		current = w.waitingStatus()
	}
	if err := w.markOrder(ctx, current); err != nil {
		return err
	}
	return w.setStage(ctx, w.waitingStage())
}

// escalate marks the incident escalated and gives procurement the
// decision: the customer has heard of as many dates as they will.
func (w *backorderWorkflow) escalate(ctx workflow.Context) error {
	s := &w.state
	s.Escalated = true
	reason := fmt.Sprintf("ETA missed %d times after %d customer notices", s.Rechecks, s.CustomerNotices)
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.EscalateIncident, activities.EscalateIncidentInput{
		IncidentID: s.IncidentID, Reason: reason,
	}).Get(ctx, nil); err != nil {
		return err
	}
	return w.createTask(ctx, RoleProcurementManager, "escalation",
		fmt.Sprintf("ETA missed %d times: expedite, substitute or cancel order %s", s.Rechecks, s.OrderID))
}

// waitingStatus is the order's current_status while the episode waits.
func (w *backorderWorkflow) waitingStatus() string {
	switch {
	case !w.state.Escalated:
		return activities.CurrentStatusAwaiting
	case w.state.Rechecks > 0:
		return fmt.Sprintf("Backorder: escalated (ETA missed %d times)", w.state.Rechecks)
	}
	// Adopted already escalated: this run has not counted the misses.
	return "Backorder: escalated"
}

func (w *backorderWorkflow) waitingStage() string {
	if w.state.Escalated {
		return StageEscalated
	}
	return StageAwaitingFulfillment
}

func (w *backorderWorkflow) maxCustomerNotices() int {
	if w.state.MaxCustomerNotices > 0 {
		return w.state.MaxCustomerNotices
	}
	return config.DefaultMaxCustomerNotices
}

// revision is a new ETA, with why and who set it (nobody when the process
// did).
type revision struct {
	eta       string
	leadTimes []backorder.LineLeadTime
	reason    string
	by, note  string
}

// reviseETA moves the ETA, records it on the incident and tells the
// customer within the notice cap; the ETA version keys both, so retries
// change nothing twice.
func (w *backorderWorkflow) reviseETA(ctx workflow.Context, r revision) error {
	s := &w.state
	previous := s.NewETA
	s.ETAVersion++
	if err := w.setETA(ctx, r.eta); err != nil {
		return err
	}
	if err := w.reviseIncident(ctx, r); err != nil {
		return err
	}
	// Fulfilled or cancelled meanwhile: a "new date" email would be wrong.
	if w.receiveOutcome() {
		return nil
	}
	if s.CustomerNotices >= w.maxCustomerNotices() {
		workflow.GetLogger(ctx).Info("customer not told of the revised ETA: notice cap reached", "notices", s.CustomerNotices)
		return nil
	}
	return w.tellCustomer(ctx, activities.NotifyCustomerInput{
		IncidentID: s.IncidentID, OrderID: s.OrderID, ETA: r.eta, ETAVersion: s.ETAVersion,
		PreviousETA: previous, Reason: r.reason,
	})
}

func (w *backorderWorkflow) reviseIncident(ctx workflow.Context, r revision) error {
	s := &w.state
	return workflow.ExecuteLocalActivity(databaseStep(ctx), a.ReviseIncident, activities.ReviseIncidentInput{
		IncidentID: s.IncidentID, ETA: r.eta, ETAVersion: s.ETAVersion, DelayDays: s.DelayDays,
		LeadTimes: r.leadTimes, Reason: r.reason, RevisedBy: r.by, Note: r.note,
	}).Get(ctx, nil)
}

// tellCustomer sends a customer notice beside the other steps; runs
// started before lifecycleChange wait for it, as recorded. One that cannot
// be delivered (bad address, refused) is on the ledger and the incident;
// the process goes on without it.
func (w *backorderWorkflow) tellCustomer(ctx workflow.Context, in activities.NotifyCustomerInput) error {
	w.state.CustomerNotices++
	w.send(func(ctx workflow.Context) {
		var sent notify.Outcome
		if err := workflow.ExecuteActivity(notificationStep(ctx), a.NotifyCustomer, in).Get(ctx, &sent); err != nil {
			workflow.GetLogger(ctx).Warn("customer notice not sent", "eta_version", in.ETAVersion, "error", err)
			return
		}
		if !sent.Delivered() {
			workflow.GetLogger(ctx).Warn("customer notice not delivered", "eta_version", in.ETAVersion, "status", sent.Status, "error", sent.Error)
			return
		}
		w.state.CustomerNotified = true
	})
	return w.awaitLegacySend(ctx)
}

// send runs a notice in the notices context: cancelled at close, so a
// notice not yet sent when the order is fulfilled or cancelled never goes.
func (w *backorderWorkflow) send(notice func(ctx workflow.Context)) {
	w.sending++
	workflow.Go(w.notices, func(ctx workflow.Context) {
		defer func() { w.sending-- }()
		notice(ctx)
	})
}

func (w *backorderWorkflow) awaitLegacySend(ctx workflow.Context) error {
	if !w.legacy {
		return nil
	}
	return workflow.Await(ctx, func() bool { return w.sending == 0 })
}

// alertWarehouse records the active alert at once. The SMS goes out now,
// or, in quiet hours, from the wait for fulfilment when they end (skipped
// if the order closes first).
func (w *backorderWorkflow) alertWarehouse(ctx workflow.Context) error {
	var alert activities.AlertOutcome
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.AlertWarehouse, w.alertInput()).Get(ctx, &alert); err != nil {
		return err
	}
	if !alert.TextManager {
		return nil
	}
	now := workflow.Now(ctx)
	var allowedAt time.Time
	if err := workflow.ExecuteLocalActivity(clockStep(ctx), a.SMSAllowedAt, activities.SMSAllowedAtInput{At: now}).Get(ctx, &allowedAt); err != nil {
		return err
	}
	if allowedAt.After(now) {
		workflow.GetLogger(ctx).Info("warehouse SMS waits for the end of quiet hours", "due_at", allowedAt)
		w.state.SMSDueAt = &allowedAt
		return nil
	}
	return w.textWarehouse(ctx)
}

// textWarehouse sends the warehouse manager's SMS with the order's
// current figures, beside the other steps. One that cannot be delivered
// leaves warehouse_alerted false; the process goes on.
func (w *backorderWorkflow) textWarehouse(ctx workflow.Context) error {
	w.state.SMSDueAt = nil
	in := w.alertInput()
	w.send(func(ctx workflow.Context) {
		var sent notify.Outcome
		if err := workflow.ExecuteActivity(notificationStep(ctx), a.TextWarehouse, in).Get(ctx, &sent); err != nil {
			workflow.GetLogger(ctx).Warn("warehouse SMS not sent", "error", err)
			return
		}
		w.state.WarehouseAlerted = sent.Delivered()
		if !sent.Delivered() {
			workflow.GetLogger(ctx).Warn("warehouse SMS not delivered", "status", sent.Status, "error", sent.Error)
		}
	})
	return w.awaitLegacySend(ctx)
}

func (w *backorderWorkflow) alertInput() activities.AlertWarehouseInput {
	s := &w.state
	return activities.AlertWarehouseInput{
		IncidentID: s.IncidentID, OrderID: s.OrderID, BackorderValue: s.BackorderValue, Currency: s.Currency, ETA: s.NewETA,
	}
}

// close is step 12: drop notices not yet sent, clear alerts, resolve the
// incident with the note or reason that came with the outcome, close open
// tasks, and record the order's status, in one transaction.
func (w *backorderWorkflow) close(ctx workflow.Context) error {
	w.cancelNotices()
	w.state.SMSDueAt = nil
	note := w.state.FulfilmentNote
	if w.outcome == StageCancelled {
		note = w.state.CancelReason
	}
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.CloseBackorder, activities.CloseBackorderInput{
		OrderID: w.state.OrderID, IncidentID: w.state.IncidentID, Outcome: w.outcome, Note: note,
	}).Get(ctx, nil); err != nil {
		return err
	}
	for i := range w.state.Tasks {
		if w.state.Tasks[i].Status == TaskOpen {
			w.state.Tasks[i].Status = TaskObsolete
		}
	}
	return w.setStage(ctx, w.outcome)
}

// receiveOutcome takes a fulfilment or cancellation that has arrived,
// without waiting.
func (w *backorderWorkflow) receiveOutcome() bool {
	var payload any
	switch {
	case w.fulfilled.ReceiveAsync(&payload):
		w.onFulfilled(payloadText(payload, "note"))
	case w.cancelled.ReceiveAsync(&payload):
		w.onCancelled(payloadText(payload, "reason"))
	}
	return w.outcome != ""
}

// drainMessages handles every signal and update already delivered, so none
// is lost to continue-as-new.
func (w *backorderWorkflow) drainMessages(ctx workflow.Context) error {
	for {
		var in TaskCompletedSignal
		if !w.completed.ReceiveAsync(&in) {
			break
		}
		if err := w.onCompletedSignal(ctx, in); err != nil {
			return err
		}
	}
	for {
		var r *request
		if !w.requests.ReceiveAsync(&r) {
			break
		}
		if err := w.serve(ctx, r); err != nil {
			return err
		}
	}
	w.receiveOutcome()
	return nil
}

func (w *backorderWorkflow) historyIsLarge(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAsNewAfterEvents
}

// openTask is the order's task id if it is still open; otherwise why not.
func (w *backorderWorkflow) openTask(id string) (*TaskState, error) {
	task := w.task(id)
	if task == nil {
		return nil, fmt.Errorf("task %q is not a task of order %s: list them with `starter tasks`", id, w.state.OrderID)
	}
	if task.Status != TaskOpen {
		return nil, fmt.Errorf("task %s is already %s", id, task.Status)
	}
	return task, nil
}

func (w *backorderWorkflow) task(id string) *TaskState {
	for i := range w.state.Tasks {
		if w.state.Tasks[i].ID == id {
			return &w.state.Tasks[i]
		}
	}
	return nil
}

// createTask creates a human task once per episode, role and purpose (an
// adopted episode gets its own tasks back, done ones included).
func (w *backorderWorkflow) createTask(ctx workflow.Context, role, purpose, title string) error {
	var task activities.TaskRef
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.CreateTask, activities.CreateTaskInput{
		EpisodeKey: w.state.EpisodeKey, OrderID: w.state.OrderID, IncidentID: w.state.IncidentID,
		Role: role, Title: title, Purpose: purpose,
	}).Get(ctx, &task); err != nil {
		return err
	}
	if w.task(task.ID) == nil {
		w.state.Tasks = append(w.state.Tasks, TaskState{ID: task.ID, Role: task.Role, Status: task.Status})
	}
	return nil
}

func (w *backorderWorkflow) lookupLeadTimes(ctx workflow.Context) (activities.LeadTimes, error) {
	var leadTimes activities.LeadTimes
	err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.LookupLeadTimes, activities.LookupLeadTimesInput{OrderID: w.state.OrderID}).Get(ctx, &leadTimes)
	return leadTimes, err
}

func (w *backorderWorkflow) setETA(ctx workflow.Context, eta string) error {
	w.state.NewETA = eta
	return workflow.ExecuteLocalActivity(clockStep(ctx), a.ETAPassesAt, activities.ETAPassesAtInput{ETA: eta}).Get(ctx, &w.state.RecheckAt)
}

// refreshDay moves the workflow to the business day now and the delay with
// it, so the DelayDays search attribute and the status query are current
// to the day.
func (w *backorderWorkflow) refreshDay(ctx workflow.Context) error {
	s := &w.state
	var day activities.BusinessDay
	if err := workflow.ExecuteLocalActivity(clockStep(ctx), a.BusinessDayOf, activities.BusinessDayInput{At: workflow.Now(ctx)}).Get(ctx, &day); err != nil {
		return err
	}
	s.Today, s.TodayEndsAt = day.Date.Format(backorder.DateLayout), day.EndsAt
	if promised, err := backorder.ParseDate(s.PromisedDate); err == nil {
		s.DelayDays = backorder.DelayDays(day.Date, promised)
	}
	return workflow.UpsertTypedSearchAttributes(ctx, DelayDaysKey.ValueSet(int64(s.DelayDays)))
}

func (w *backorderWorkflow) markOrder(ctx workflow.Context, currentStatus string) error {
	return workflow.ExecuteLocalActivity(databaseStep(ctx), a.MarkOrderChecked, activities.MarkOrderCheckedInput{
		OrderID: w.state.OrderID, CurrentStatus: currentStatus,
	}).Get(ctx, nil)
}

// setStage moves the workflow to a stage and shows it in the Web UI.
func (w *backorderWorkflow) setStage(ctx workflow.Context, stage string) error {
	w.state.Stage = stage
	value, _ := decimal.NewFromString(w.state.BackorderValue)
	return workflow.UpsertTypedSearchAttributes(ctx,
		OrderIDKey.ValueSet(w.state.OrderID),
		BackorderStageKey.ValueSet(stage),
		BackorderValueKey.ValueSet(value.InexactFloat64()),
		DelayDaysKey.ValueSet(int64(w.state.DelayDays)),
	)
}

// outcomeOf is how an episode ends for an order row's status.
func outcomeOf(orderStatus string) string {
	switch orderStatus {
	case orderFulfilled:
		return StageFulfilled
	case orderCancelled:
		return StageCancelled
	default:
		return StageNotBackordered
	}
}

func isFinal(stage string) bool {
	return stage == StageFulfilled || stage == StageCancelled || stage == StageNotBackordered
}

// mustDate parses a date the workflow validated or an activity produced.
func mustDate(s string) time.Time {
	d, err := backorder.ParseDate(s)
	if err != nil {
		panic(err) // a bug, not bad input: panicking fails the task, not the workflow
	}
	return d
}
