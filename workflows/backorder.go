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
	"github.com/acme/backorders/internal/notify"
)

const (
	// continueAsNewAfterEvents bounds the history of a long wait: each
	// re-check or task completion adds events, and a backorder may wait for
	// months.
	continueAsNewAfterEvents = 2000
	// minRecheckDelay keeps a misconfigured clock from spinning re-checks.
	minRecheckDelay = time.Minute
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
	// outcome is set by a fulfilment or cancellation: "fulfilled" or
	// "cancelled".
	outcome   string
	fulfilled workflow.ReceiveChannel
	cancelled workflow.ReceiveChannel
	completed workflow.ReceiveChannel
}

func newBackorderWorkflow(ctx workflow.Context, in BackorderInput) (*backorderWorkflow, error) {
	w := &backorderWorkflow{
		fulfilled: workflow.GetSignalChannel(ctx, SignalOrderFulfilled),
		cancelled: workflow.GetSignalChannel(ctx, SignalOrderCancelled),
		completed: workflow.GetSignalChannel(ctx, SignalTaskCompleted),
	}
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
	err := workflow.SetQueryHandler(ctx, QueryStatus, func() (BackorderState, error) { return w.state, nil })
	return w, err
}

func (w *backorderWorkflow) run(ctx workflow.Context) (BackorderState, error) {
	if w.state.Stage == StageAssessing {
		if err := w.handleBackorder(ctx); err != nil {
			return w.state, err
		}
		if w.state.Stage == StageNotBackordered {
			return w.state, nil
		}
	}
	if err := w.awaitOutcome(ctx); err != nil {
		return w.state, err
	}
	return w.state, w.close(ctx)
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
		return w.setStage(ctx, StageNotBackordered)
	}
	s.DelayDays, s.BackorderValue, s.Currency = assessed.DelayDays, assessed.BackorderValue, assessed.Currency
	if err := w.setStage(ctx, StageAssessing); err != nil {
		return err
	}

	// 3. Keep the order record current.
	if err := w.markOrder(ctx, "Backorder: investigating shortage"); err != nil {
		return err
	}

	// 4. Procurement investigates the shortage.
	if err := w.createTask(ctx, RoleProcurementManager,
		fmt.Sprintf("Investigate shortage on order %s (%d days late, %s %s at stake)", s.OrderID, s.DelayDays, s.BackorderValue, s.Currency)); err != nil {
		return err
	}

	// 5-6. Supplier lead times and the new estimated delivery date.
	leadTimes, err := w.lookupLeadTimes(ctx)
	if err != nil {
		return err
	}
	eta := backorder.ETA(mustDate(s.AsOf), leadTimes.MaxDays).Format(backorder.DateLayout)
	if err := w.setETA(ctx, eta); err != nil {
		return err
	}

	// 7. Incident log entry with its mitigation plan.
	if err := workflow.ExecuteLocalActivity(db, a.OpenIncident, activities.OpenIncidentInput{
		EpisodeKey: s.EpisodeKey, OrderID: s.OrderID, DelayDays: s.DelayDays,
		BackorderValue: s.BackorderValue, Currency: s.Currency, ETA: eta, LeadTimes: leadTimes,
	}).Get(ctx, &s.IncidentID); err != nil {
		return err
	}
	s.ETAVersion = 1

	// Fulfilled or cancelled while we worked: do not tell anyone of a delay.
	if w.receiveOutcome() {
		return nil
	}

	// 8. Tell the customer.
	if err := w.notifyCustomer(ctx, activities.NotifyCustomerInput{
		IncidentID: s.IncidentID, OrderID: s.OrderID, ETA: eta, ETAVersion: s.ETAVersion,
	}); err != nil {
		return err
	}

	// 9. High value: keep an active alert and text the warehouse manager,
	// once quiet hours allow.
	if assessed.AlertWarehouse {
		if err := w.alertWarehouse(ctx); err != nil {
			return err
		}
	}

	// 10. The inventory clerk adjusts expected arrivals.
	if err := w.createTask(ctx, RoleInventoryClerk,
		fmt.Sprintf("Adjust expected stock arrivals for order %s (new ETA %s)", s.OrderID, eta)); err != nil {
		return err
	}

	if err := w.markOrder(ctx, activities.CurrentStatusAwaiting); err != nil {
		return err
	}
	return w.setStage(ctx, StageAwaitingFulfillment)
}

// awaitOutcome is step 11: wait for fulfilment or cancellation, handle task
// completions meanwhile, and re-check when the ETA passes.
func (w *backorderWorkflow) awaitOutcome(ctx workflow.Context) error {
	for w.outcome == "" {
		if w.historyIsLarge(ctx) {
			if err := w.drainSignals(ctx); err != nil {
				return err
			}
			if w.outcome != "" {
				break
			}
			state := w.state
			return workflow.NewContinueAsNewError(ctx, BackorderWorkflow, BackorderInput{OrderID: state.OrderID, AsOf: state.AsOf, Resume: &state})
		}

		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		etaPassed, smsDue := false, false
		var handlerErr error
		selector := workflow.NewSelector(ctx)
		selector.AddReceive(w.fulfilled, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			w.outcome = StageFulfilled
		})
		selector.AddReceive(w.cancelled, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			w.outcome = StageCancelled
		})
		selector.AddReceive(w.completed, func(c workflow.ReceiveChannel, _ bool) {
			var signal TaskCompletedSignal
			c.Receive(ctx, &signal)
			handlerErr = w.onTaskCompleted(ctx, signal)
		})
		selector.AddFuture(workflow.NewTimer(timerCtx, w.untilETAPasses(ctx)), func(f workflow.Future) {
			etaPassed = f.Get(ctx, nil) == nil
		})
		if w.state.SMSDueAt != nil {
			selector.AddFuture(workflow.NewTimer(timerCtx, w.state.SMSDueAt.Sub(workflow.Now(ctx))), func(f workflow.Future) {
				smsDue = f.Get(ctx, nil) == nil
			})
		}
		selector.Select(ctx)
		cancelTimer()
		if handlerErr != nil {
			return handlerErr
		}
		if smsDue {
			if err := w.textWarehouse(ctx); err != nil {
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

// onTaskCompleted records a human task as done. Unknown or repeated
// completions are logged and ignored. A procurement completion with a
// confirmed ETA that differs from the current one revises the ETA.
func (w *backorderWorkflow) onTaskCompleted(ctx workflow.Context, signal TaskCompletedSignal) error {
	logger := workflow.GetLogger(ctx)
	task := w.task(signal.TaskID)
	if task == nil {
		logger.Warn("ignoring completion of a task that is not this order's", "task_id", signal.TaskID)
		return nil
	}
	if task.Status != "open" {
		logger.Info("ignoring repeated completion", "task_id", signal.TaskID)
		return nil
	}
	confirmedETA := signal.ConfirmedETA
	if _, err := backorder.ParseDate(confirmedETA); confirmedETA != "" && err != nil {
		logger.Warn("ignoring confirmed ETA that is not a date", "task_id", signal.TaskID, "eta", confirmedETA)
		confirmedETA = ""
	}
	err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.CompleteTask, activities.CompleteTaskInput{
		TaskID: signal.TaskID, CompletedBy: signal.CompletedBy, Note: signal.Note,
		ConfirmedETA: confirmedETA, CompletedAt: signal.CompletedAt,
	}).Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		logger.Warn("task completion rejected", "task_id", signal.TaskID, "error", err)
		return nil
	}
	if err != nil {
		return err
	}
	task.Status, task.CompletedBy, task.Note = "done", signal.CompletedBy, signal.Note
	if task.Role != RoleProcurementManager || confirmedETA == "" || confirmedETA == w.state.NewETA {
		return nil
	}
	return w.reviseETA(ctx, confirmedETA, nil, "procurement confirmed a new supplier date")
}

// recheck runs when the ETA passed unfulfilled: fresh lead times, a revised
// ETA, the incident updated and the customer told.
func (w *backorderWorkflow) recheck(ctx workflow.Context) error {
	s := &w.state
	if err := w.setStage(ctx, StageRechecking); err != nil {
		return err
	}
	var assessed activities.Assessment
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.AssessBackorder, activities.AssessInput{OrderID: s.OrderID}).Get(ctx, &assessed); err != nil {
		return err
	}
	switch assessed.Status {
	case orderFulfilled:
		w.outcome = StageFulfilled
		return nil
	case orderCancelled:
		w.outcome = StageCancelled
		return nil
	}
	s.Rechecks++
	s.DelayDays, s.BackorderValue = assessed.DelayDays, assessed.BackorderValue
	leadTimes, err := w.lookupLeadTimes(ctx)
	if err != nil {
		return err
	}
	eta := backorder.ETA(mustDate(assessed.AsOf), leadTimes.MaxDays).Format(backorder.DateLayout)
	if err := w.reviseETA(ctx, eta, leadTimes.Lines, "the previous estimate passed without delivery"); err != nil || w.outcome != "" {
		return err
	}
	if err := w.markOrder(ctx, "Backorder: awaiting fulfillment (ETA revised)"); err != nil {
		return err
	}
	return w.setStage(ctx, StageAwaitingFulfillment)
}

// reviseETA moves the ETA, records it on the incident and tells the
// customer; the ETA version keys both, so retries change nothing twice.
func (w *backorderWorkflow) reviseETA(ctx workflow.Context, eta string, leadTimes []backorder.LineLeadTime, reason string) error {
	s := &w.state
	previous := s.NewETA
	s.ETAVersion++
	if err := w.setETA(ctx, eta); err != nil {
		return err
	}
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.ReviseIncident, activities.ReviseIncidentInput{
		IncidentID: s.IncidentID, ETA: eta, ETAVersion: s.ETAVersion, DelayDays: s.DelayDays,
		LeadTimes: leadTimes, Reason: reason,
	}).Get(ctx, nil); err != nil {
		return err
	}
	// Fulfilled or cancelled meanwhile: a "new date" email would be wrong.
	if w.receiveOutcome() {
		return nil
	}
	return w.notifyCustomer(ctx, activities.NotifyCustomerInput{
		IncidentID: s.IncidentID, OrderID: s.OrderID, ETA: eta, ETAVersion: s.ETAVersion,
		PreviousETA: previous, Reason: reason,
	})
}

// notifyCustomer sends a customer notice. One that cannot be delivered
// (bad address, refused) is on the ledger and the incident; the process
// goes on without it.
func (w *backorderWorkflow) notifyCustomer(ctx workflow.Context, in activities.NotifyCustomerInput) error {
	var sent notify.Outcome
	if err := workflow.ExecuteActivity(notificationStep(ctx), a.NotifyCustomer, in).Get(ctx, &sent); err != nil {
		return err
	}
	if !sent.Delivered() {
		workflow.GetLogger(ctx).Warn("customer notice not delivered", "eta_version", in.ETAVersion, "status", sent.Status, "error", sent.Error)
		return nil
	}
	w.state.CustomerNotified = true
	return nil
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
// current figures. One that cannot be delivered leaves warehouse_alerted
// false; the process goes on.
func (w *backorderWorkflow) textWarehouse(ctx workflow.Context) error {
	w.state.SMSDueAt = nil
	var sent notify.Outcome
	if err := workflow.ExecuteActivity(notificationStep(ctx), a.TextWarehouse, w.alertInput()).Get(ctx, &sent); err != nil {
		return err
	}
	w.state.WarehouseAlerted = sent.Delivered()
	if !sent.Delivered() {
		workflow.GetLogger(ctx).Warn("warehouse SMS not delivered", "status", sent.Status, "error", sent.Error)
	}
	return nil
}

func (w *backorderWorkflow) alertInput() activities.AlertWarehouseInput {
	s := &w.state
	return activities.AlertWarehouseInput{
		IncidentID: s.IncidentID, OrderID: s.OrderID, BackorderValue: s.BackorderValue, Currency: s.Currency, ETA: s.NewETA,
	}
}

// close is step 12: clear alerts, resolve the incident, close open tasks.
// An SMS still waiting for quiet hours to end is not sent.
func (w *backorderWorkflow) close(ctx workflow.Context) error {
	w.state.SMSDueAt = nil
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.CloseBackorder, activities.CloseBackorderInput{
		OrderID: w.state.OrderID, IncidentID: w.state.IncidentID, Outcome: w.outcome,
	}).Get(ctx, nil); err != nil {
		return err
	}
	for i := range w.state.Tasks {
		if w.state.Tasks[i].Status == "open" {
			w.state.Tasks[i].Status = "obsolete"
		}
	}
	return w.setStage(ctx, w.outcome)
}

// receiveOutcome takes a fulfilment or cancellation that has arrived,
// without waiting.
func (w *backorderWorkflow) receiveOutcome() bool {
	switch {
	case w.fulfilled.ReceiveAsync(nil):
		w.outcome = StageFulfilled
	case w.cancelled.ReceiveAsync(nil):
		w.outcome = StageCancelled
	}
	return w.outcome != ""
}

// drainSignals handles every signal already delivered, so none is lost to
// continue-as-new.
func (w *backorderWorkflow) drainSignals(ctx workflow.Context) error {
	for {
		var signal TaskCompletedSignal
		if !w.completed.ReceiveAsync(&signal) {
			break
		}
		if err := w.onTaskCompleted(ctx, signal); err != nil {
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

func (w *backorderWorkflow) task(id string) *TaskState {
	for i := range w.state.Tasks {
		if w.state.Tasks[i].ID == id {
			return &w.state.Tasks[i]
		}
	}
	return nil
}

func (w *backorderWorkflow) createTask(ctx workflow.Context, role, title string) error {
	var task activities.TaskRef
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.CreateTask, activities.CreateTaskInput{
		EpisodeKey: w.state.EpisodeKey, OrderID: w.state.OrderID, IncidentID: w.state.IncidentID, Role: role, Title: title,
	}).Get(ctx, &task); err != nil {
		return err
	}
	w.state.Tasks = append(w.state.Tasks, TaskState{ID: task.ID, Role: task.Role, Status: task.Status})
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

// mustDate parses a date the workflow validated or an activity produced.
func mustDate(s string) time.Time {
	d, err := backorder.ParseDate(s)
	if err != nil {
		panic(err) // a bug, not bad input: panicking fails the task, not the workflow
	}
	return d
}
