package workflows

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/describe"
)

// The steps both phases of the per-order workflow take (the handling of
// steps 2 to 11 in backorder.go, the wait of step 13 in backorder_wait.go):
// each runs one activity, or sends a notice beside the other steps, and
// keeps the state in step with it. Then the helpers they share.

// escalate marks the incident escalated and gives procurement the
// decision: the customer has heard of as many dates as they will.
func (w *backorderWorkflow) escalate(ctx workflow.Context) error {
	s := &w.state
	s.Escalated = true
	reason := fmt.Sprintf("ETA missed %d times after %d customer notices", s.Rechecks, s.CustomerNotices)
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "escalate the incident: "+reason), contract.ActivityEscalateIncident, contract.EscalateIncidentInput{
		IncidentID: s.IncidentID, Reason: reason,
	}).Get(ctx, nil); err != nil {
		return err
	}
	return w.createTask(ctx, contract.RoleProcurementManager, "escalation",
		fmt.Sprintf("ETA missed %d times: expedite, substitute or cancel order %s", s.Rechecks, s.OrderID))
}

// waitingStatus is the order's current_status while the episode waits.
func (w *backorderWorkflow) waitingStatus() string {
	switch {
	case !w.state.Escalated:
		return contract.CurrentStatusAwaiting
	case w.state.Rechecks > 0:
		return fmt.Sprintf("Backorder: escalated (ETA missed %d times)", w.state.Rechecks)
	}
	// Adopted already escalated: this run has not counted the misses.
	return "Backorder: escalated"
}

func (w *backorderWorkflow) waitingStage() contract.Stage {
	if w.state.Escalated {
		return contract.StageEscalated
	}
	return contract.StageAwaitingFulfillment
}

func (w *backorderWorkflow) maxCustomerNotices() int {
	if w.state.MaxCustomerNotices > 0 {
		return w.state.MaxCustomerNotices
	}
	return config.DefaultMaxCustomerNotices
}

func (w *backorderWorkflow) reviseIncident(ctx workflow.Context, r revision) error {
	s := &w.state
	return workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "revise the incident: ETA "+r.eta+", "+r.reason), contract.ActivityReviseIncident, contract.ReviseIncidentInput{
		IncidentID: s.IncidentID, ETA: r.eta, ETAVersion: s.ETAVersion, DelayDays: s.DelayDays,
		LeadTimes: r.leadTimes, Reason: r.reason, RevisedBy: r.by, Note: r.note,
	}).Get(ctx, nil)
}

// tellCustomer sends a customer notice beside the other steps; runs
// started before lifecycleChange wait for it, as recorded. One that cannot
// be delivered (bad address, refused) is on the ledger and the incident;
// the process goes on without it.
func (w *backorderWorkflow) tellCustomer(ctx workflow.Context, in contract.NotifyCustomerInput) error {
	w.state.CustomerNotices++
	w.send(func(ctx workflow.Context) {
		var sent contract.NotificationOutcome
		if err := workflow.ExecuteActivity(withNotificationOptions(ctx, describe.CustomerNotice(in)), contract.ActivityNotifyCustomer, in).Get(ctx, &sent); err != nil {
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
	var alert contract.AlertOutcome
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "raise the warehouse alert: high value"), contract.ActivityAlertWarehouse, w.alertInput()).Get(ctx, &alert); err != nil {
		return err
	}
	if !alert.TextManager {
		return nil
	}
	return w.textWhenAllowed(ctx)
}

// textWhenAllowed texts the warehouse manager now or, in quiet hours,
// from the wait for fulfilment when they end.
func (w *backorderWorkflow) textWhenAllowed(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	var allowedAt time.Time
	if err := workflow.ExecuteLocalActivity(withClockOptions(ctx, "when quiet hours allow the warehouse SMS"), contract.ActivitySMSAllowedAt, contract.SMSAllowedAtInput{At: now}).Get(ctx, &allowedAt); err != nil {
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
		var sent contract.NotificationOutcome
		if err := workflow.ExecuteActivity(withNotificationOptions(ctx, describe.WarehouseText(in)), contract.ActivityTextWarehouse, in).Get(ctx, &sent); err != nil {
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

func (w *backorderWorkflow) alertInput() contract.AlertWarehouseInput {
	s := &w.state
	return contract.AlertWarehouseInput{
		IncidentID: s.IncidentID, OrderID: s.OrderID, BackorderValue: s.BackorderValue, Currency: s.Currency, ETA: s.NewETA,
	}
}

// openTask is the order's task id if it is still open; otherwise why not.
func (w *backorderWorkflow) openTask(id string) (*contract.TaskState, error) {
	task := w.task(id)
	if task == nil {
		return nil, fmt.Errorf("task %q is not a task of order %s: list them with `starter tasks`", id, w.state.OrderID)
	}
	if task.Status != contract.TaskOpen {
		return nil, fmt.Errorf("task %s is already %s", id, task.Status)
	}
	return task, nil
}

func (w *backorderWorkflow) task(id string) *contract.TaskState {
	for i := range w.state.Tasks {
		if w.state.Tasks[i].ID == id {
			return &w.state.Tasks[i]
		}
	}
	return nil
}

// createTask creates a human task once per episode, role and purpose (an
// adopted episode gets its own tasks back, done ones included).
func (w *backorderWorkflow) createTask(ctx workflow.Context, role contract.Role, purpose, title string) error {
	var task contract.TaskRef
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "create a task for "+string(role)+": "+title), contract.ActivityCreateTask, w.taskInput(role, purpose, title)).Get(ctx, &task); err != nil {
		return err
	}
	w.addTask(task)
	return nil
}

func (w *backorderWorkflow) taskInput(role contract.Role, purpose, title string) contract.CreateTaskInput {
	return contract.CreateTaskInput{
		EpisodeKey: w.state.EpisodeKey, OrderID: w.state.OrderID, IncidentID: w.state.IncidentID,
		Role: role, Title: title, Purpose: purpose,
	}
}

// addTask keeps a created task in the state, once.
func (w *backorderWorkflow) addTask(task contract.TaskRef) {
	if w.task(task.ID) == nil {
		w.state.Tasks = append(w.state.Tasks, contract.TaskState{ID: task.ID, Role: task.Role, Status: task.Status})
	}
}

// investigationStatus is the order's current_status while procurement
// investigates.
const investigationStatus = "Backorder: investigating shortage"

// beginInvestigation is steps 4 and 5: the order record current, a task
// for procurement; one transaction since fewerRoundTrips.
func (w *backorderWorkflow) beginInvestigation(ctx workflow.Context) error {
	s := &w.state
	title := fmt.Sprintf("Investigate shortage on order %s (%d days late, %s %s at stake)", s.OrderID, s.DelayDays, s.BackorderValue, s.Currency)
	if w.version < fewerRoundTrips {
		if err := w.markOrder(ctx, investigationStatus); err != nil {
			return err
		}
		return w.createTask(ctx, contract.RoleProcurementManager, "", title)
	}
	var task contract.TaskRef
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "mark the order and create a task for "+string(contract.RoleProcurementManager)+": "+title),
		contract.ActivityBeginInvestigation, contract.BeginInvestigationInput{
			OrderID: s.OrderID, CurrentStatus: investigationStatus, Task: w.taskInput(contract.RoleProcurementManager, "", title),
		}).Get(ctx, &task); err != nil {
		return err
	}
	w.addTask(task)
	return nil
}

func (w *backorderWorkflow) clerkTaskTitle(eta string) string {
	return fmt.Sprintf("Adjust expected stock arrivals for order %s (new ETA %s)", w.state.OrderID, eta)
}

// clerkTaskAndAlert is steps 11 and 10 as runs started before
// fewerRoundTrips take them: a step each.
func (w *backorderWorkflow) clerkTaskAndAlert(ctx workflow.Context, eta string, highValue bool) error {
	if err := w.createTask(ctx, contract.RoleInventoryClerk, "", w.clerkTaskTitle(eta)); err != nil {
		return err
	}
	if !highValue {
		return nil
	}
	return w.alertWarehouse(ctx)
}

// awaitFulfilment is steps 11, 10's alert and 4 in one transaction: the
// clerk's task, the active alert of a high-value order, the order record
// saying it waits. The SMS goes out beside the rest, once quiet hours
// allow.
func (w *backorderWorkflow) awaitFulfilment(ctx workflow.Context, eta string, highValue bool) error {
	status := w.waitingStatus()
	in := contract.AwaitFulfilmentInput{
		OrderID: w.state.OrderID, CurrentStatus: status,
		Task: w.taskInput(contract.RoleInventoryClerk, "", w.clerkTaskTitle(eta)),
	}
	summary := "create a task for " + string(contract.RoleInventoryClerk) + ", mark the order: " + status
	if highValue {
		alert := w.alertInput()
		in.Alert = &alert
		summary = "create a task for " + string(contract.RoleInventoryClerk) + ", raise the warehouse alert (high value), mark the order: " + status
	}
	var out contract.AwaitFulfilmentResult
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, summary), contract.ActivityAwaitFulfilment, in).Get(ctx, &out); err != nil {
		return err
	}
	w.addTask(out.Task)
	if !out.Alert.TextManager {
		return nil
	}
	return w.textWhenAllowed(ctx)
}

// leadTimes are step 6's: with the assessment since fewerRoundTrips, a
// step of their own before.
func (w *backorderWorkflow) leadTimes(ctx workflow.Context, assessed contract.Assessment) (contract.LeadTimes, error) {
	if w.version >= fewerRoundTrips && assessed.LeadTimes != nil {
		return *assessed.LeadTimes, nil
	}
	return w.lookupLeadTimes(ctx)
}

func (w *backorderWorkflow) lookupLeadTimes(ctx workflow.Context) (contract.LeadTimes, error) {
	var leadTimes contract.LeadTimes
	err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "look up supplier lead times"), contract.ActivityLookupLeadTimes, contract.LookupLeadTimesInput{OrderID: w.state.OrderID}).Get(ctx, &leadTimes)
	return leadTimes, err
}

func (w *backorderWorkflow) setETA(ctx workflow.Context, eta string) error {
	w.state.NewETA = eta
	return workflow.ExecuteLocalActivity(withClockOptions(ctx, "when ETA "+eta+" passes in the business timezone"), contract.ActivityETAPassesAt, contract.ETAPassesAtInput{ETA: eta}).Get(ctx, &w.state.RecheckAt)
}

func (w *backorderWorkflow) markOrder(ctx workflow.Context, currentStatus string) error {
	return workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "mark the order: "+currentStatus), contract.ActivityMarkOrderChecked, contract.MarkOrderCheckedInput{
		OrderID: w.state.OrderID, CurrentStatus: currentStatus,
	}).Get(ctx, nil)
}

// setStage moves the workflow to a stage and shows it in the Web UI: the
// search attributes, and what it does or waits on now.
func (w *backorderWorkflow) setStage(ctx workflow.Context, stage contract.Stage) error {
	w.showStage(ctx, stage)
	value, _ := decimal.NewFromString(w.state.BackorderValue)
	return workflow.UpsertTypedSearchAttributes(ctx,
		contract.OrderIDKey.ValueSet(w.state.OrderID),
		contract.BackorderStageKey.ValueSet(string(stage)),
		contract.BackorderValueKey.ValueSet(value.InexactFloat64()),
		contract.DelayDaysKey.ValueSet(int64(w.state.DelayDays)),
	)
}

// showStage moves the workflow to a stage its search attributes show
// already, and says in the Web UI what it does or waits on now.
func (w *backorderWorkflow) showStage(ctx workflow.Context, stage contract.Stage) {
	w.state.Stage = stage
	workflow.SetCurrentDetails(ctx, describe.CurrentDetails(w.state))
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

// outcomeOf is how an episode ends for an order row's status.
func outcomeOf(orderStatus contract.OrderStatus) contract.Stage {
	switch orderStatus {
	case contract.OrderFulfilled:
		return contract.StageFulfilled
	case contract.OrderCancelled:
		return contract.StageCancelled
	default:
		return contract.StageNotBackordered
	}
}

func isFinal(stage contract.Stage) bool {
	return stage == contract.StageFulfilled || stage == contract.StageCancelled || stage == contract.StageNotBackordered
}

// mustDate parses a date the workflow validated or an activity produced.
func mustDate(s string) time.Time {
	d, err := backorder.ParseDate(s)
	if err != nil {
		panic(err) // a bug, not bad input: panicking fails the task, not the workflow
	}
	return d
}
