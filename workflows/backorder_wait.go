package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/describe"
)

// Step 13 begins with the wait for the order's outcome: fulfilment or cancellation
// signals end it; task completions and ETA revisions (updates, or the
// task-completed signal) are served meanwhile; the delay is refreshed each
// business day and the order re-checked whenever its ETA passes; a long
// wait continues as new.

const (
	// continueAsNewAfterEvents bounds the history of a long wait: each
	// re-check, day or task completion adds events, and a backorder may wait
	// for months.
	continueAsNewAfterEvents = 2000
	// minRecheckDelay keeps a misconfigured clock from spinning re-checks.
	minRecheckDelay = time.Minute
)

// awaitOutcome is the wait of step 13: for fulfilment or cancellation,
// handling task completions and ETA revisions meanwhile, keeping the delay
// current, and re-checking when the ETA passes.
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
			return workflow.NewContinueAsNewError(ctx, contract.BackorderWorkflowName, contract.BackorderInput{OrderID: state.OrderID, AsOf: state.AsOf, Resume: &state})
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
			var in contract.TaskCompletedSignal
			c.Receive(ctx, &in)
			handlerErr = w.onCompletedSignal(ctx, in)
		})
		selector.AddReceive(w.requests, func(c workflow.ReceiveChannel, _ bool) {
			var r *request
			c.Receive(ctx, &r)
			handlerErr = w.serve(ctx, r)
		})
		selector.AddFuture(workflow.NewTimerWithOptions(timerCtx, w.untilETAPasses(ctx), workflow.TimerOptions{Summary: describe.UntilETAPasses(w.state.NewETA)}), func(f workflow.Future) {
			etaPassed = f.Get(ctx, nil) == nil
		})
		if w.state.SMSDueAt != nil {
			selector.AddFuture(workflow.NewTimerWithOptions(timerCtx, w.state.SMSDueAt.Sub(workflow.Now(ctx)), workflow.TimerOptions{Summary: describe.UntilQuietHoursEnd(*w.state.SMSDueAt)}), func(f workflow.Future) {
				smsDue = f.Get(ctx, nil) == nil
			})
		}
		if !w.legacy {
			selector.AddFuture(workflow.NewTimerWithOptions(timerCtx, max(w.state.TodayEndsAt.Sub(workflow.Now(ctx)), time.Second), workflow.TimerOptions{Summary: describe.UntilDayEnds}), func(f workflow.Future) {
				dayEnded = f.Get(ctx, nil) == nil
			})
		}
		// Task completions and revisions change what it waits on, not
		// only stage changes.
		workflow.SetCurrentDetails(ctx, describe.CurrentDetails(w.state))
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

func (w *backorderWorkflow) historyIsLarge(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > continueAsNewAfterEvents
}

// drainMessages handles every signal and update already received, so none
// is lost to continue-as-new.
func (w *backorderWorkflow) drainMessages(ctx workflow.Context) error {
	for {
		var in contract.TaskCompletedSignal
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

// refreshDay moves the workflow to the business day now and the delay with
// it, so the DelayDays search attribute and the status query are current
// to the day.
func (w *backorderWorkflow) refreshDay(ctx workflow.Context) error {
	s := &w.state
	var day contract.BusinessDay
	if err := workflow.ExecuteLocalActivity(withClockOptions(ctx, "which business day it is now"), contract.ActivityBusinessDayOf, contract.BusinessDayInput{At: workflow.Now(ctx)}).Get(ctx, &day); err != nil {
		return err
	}
	s.Today, s.TodayEndsAt = day.Date.Format(backorder.DateLayout), day.EndsAt
	if promised, err := backorder.ParseDate(s.PromisedDate); err == nil {
		s.DelayDays = backorder.DelayDays(day.Date, promised)
	}
	return workflow.UpsertTypedSearchAttributes(ctx, contract.DelayDaysKey.ValueSet(int64(s.DelayDays)))
}

// recheck runs when the ETA passed unfulfilled: an order no longer
// backordered ends its episode; otherwise fresh lead times give a revised
// ETA, the incident is updated and the customer told, up to the notice cap,
// after which the episode escalates.
func (w *backorderWorkflow) recheck(ctx workflow.Context) error {
	s := &w.state
	if err := w.setStage(ctx, contract.StageRechecking); err != nil {
		return err
	}
	var assessed contract.Assessment
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "re-check the order: ETA "+s.NewETA+" passed"), contract.ActivityAssessBackorder, contract.AssessInput{OrderID: s.OrderID}).Get(ctx, &assessed); err != nil {
		return err
	}
	if assessed.Status != contract.OrderBackordered && (!w.legacy || assessed.Status == contract.OrderFulfilled || assessed.Status == contract.OrderCancelled) {
		w.outcome = outcomeOf(assessed.Status)
		return nil
	}
	s.Rechecks++
	s.DelayDays, s.BackorderValue = assessed.DelayDays, assessed.BackorderValue
	if !w.legacy {
		s.Today, s.TodayEndsAt = assessed.Today, assessed.TodayEndsAt
	}
	leadTimes, err := w.leadTimes(ctx, assessed)
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
	return w.tellCustomer(ctx, contract.NotifyCustomerInput{
		IncidentID: s.IncidentID, OrderID: s.OrderID, ETA: r.eta, ETAVersion: s.ETAVersion,
		PreviousETA: previous, Reason: r.reason,
	})
}

func (w *backorderWorkflow) onFulfilled(note string) {
	w.outcome, w.state.FulfilmentNote = contract.StageFulfilled, note
}

func (w *backorderWorkflow) onCancelled(reason string) {
	w.outcome, w.state.CancelReason = contract.StageCancelled, reason
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
func (w *backorderWorkflow) onCompletedSignal(ctx workflow.Context, in contract.TaskCompletedSignal) error {
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

// request is one update waiting for the main loop.
type request struct {
	completion *contract.TaskCompletedSignal
	revision   *contract.ReviseETARequest
	done       bool
	err        error
}

// submit queues an update for the main loop and waits for its answer.
func (w *backorderWorkflow) submit(ctx workflow.Context, r *request) (contract.BackorderState, error) {
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
func (w *backorderWorkflow) completionProblem(ctx workflow.Context, in contract.TaskCompletedSignal) error {
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
func (w *backorderWorkflow) revisionProblem(ctx workflow.Context, in contract.ReviseETARequest) error {
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

// completeTask records a human task as done. refused says why a
// completion cannot be applied; err is a failure of the step itself. A
// procurement completion with a confirmed ETA that differs from the
// current one revises the ETA.
func (w *backorderWorkflow) completeTask(ctx workflow.Context, in contract.TaskCompletedSignal) (refused, err error) {
	task, refused := w.openTask(in.TaskID)
	if refused != nil {
		return refused, nil
	}
	if in.CompletedAt == "" {
		in.CompletedAt = workflow.Now(ctx).UTC().Format(time.RFC3339)
	}
	err = workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "complete task "+in.TaskID), contract.ActivityCompleteTask, contract.CompleteTaskInput(in)).Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return errors.New(appErr.Message()), nil
	}
	if err != nil {
		return nil, err
	}
	task.Status, task.CompletedBy, task.Note = contract.TaskDone, in.CompletedBy, in.Note
	if task.Role != contract.RoleProcurementManager || in.ConfirmedETA == "" || in.ConfirmedETA == w.state.NewETA {
		return nil, nil
	}
	return nil, w.reviseETA(ctx, revision{
		eta: in.ConfirmedETA, reason: "procurement confirmed a new supplier date", by: in.CompletedBy, note: in.Note,
	})
}
