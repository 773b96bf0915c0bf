// Package activities holds the side effects of the backorder process:
// Postgres reads and writes, notifications, and the sweep's starts of
// per-order workflows. Each is idempotent, because Temporal runs an
// activity at least once. Their inputs and outputs are in
// internal/contract.
package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/messages"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
)

// Settings are the worker's business settings the activities apply.
type Settings struct {
	Location              *time.Location
	DefaultLeadTimeDays   int
	SMSThreshold          backorder.SMSThresholds
	WarehouseManagerPhone string
	// QuietHours: the warehouse manager is not texted in this daily window
	// (in Location).
	QuietHours backorder.QuietHours
	// SupportEmail is where customers are told to cancel or ask.
	SupportEmail string
	// ReportRecipients get the weekly report by email.
	ReportRecipients []string
	// MaxCustomerNotices caps the ETA notices a customer gets per episode
	// (BACKORDER_MAX_CUSTOMER_NOTICES); after that the episode escalates.
	MaxCustomerNotices int
}

// Activities holds the dependencies. The worker registers its methods
// under their own names, and workflows execute them by those names
// (contract.Activity...): renaming a method renames the activity.
type Activities struct {
	Store    *store.Store
	Notifier notify.Notifier
	// Temporal is where the sweep's start step starts per-order workflows.
	Temporal Temporal
	Settings Settings
}

func badData(errType string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, nil)
}

func openEpisode(e *store.OpenEpisode) *contract.OpenEpisode {
	return &contract.OpenEpisode{
		IncidentID: e.IncidentID, EpisodeKey: e.EpisodeKey,
		ETA: e.ETA.Format(backorder.DateLayout), ETAVersion: e.ETAVersion, Escalated: e.Escalated,
	}
}

// AssessBackorder calculates the order's delay in days and its backorder
// value (sum of backordered quantity x unit price), finds the open
// episode a new workflow would continue, and looks up the lead times (as
// LookupLeadTimes) from the same read.
func (a *Activities) AssessBackorder(ctx context.Context, in contract.AssessInput) (contract.Assessment, error) {
	today := a.today(time.Now())
	asOf := today.Date
	if in.AsOf != "" {
		var err error
		if asOf, err = backorder.ParseDate(in.AsOf); err != nil {
			return contract.Assessment{}, badData(contract.ErrTypeInvalidInput, fmt.Errorf("as-of date: %w", err))
		}
	}
	order, err := a.Store.Order(ctx, in.OrderID)
	if errors.Is(err, store.ErrNotFound) {
		return contract.Assessment{}, badData(contract.ErrTypeOrderNotFound, err)
	}
	if err != nil {
		return contract.Assessment{}, err
	}
	lines := make([]backorder.Line, len(order.Lines))
	for i, l := range order.Lines {
		lines[i] = backorder.Line{BackorderedQuantity: l.BackorderedQuantity, UnitPrice: l.UnitPrice}
	}
	value := backorder.Value(lines)
	episode, err := a.Store.OpenEpisodeOf(ctx, in.OrderID)
	if err != nil {
		return contract.Assessment{}, err
	}
	var open *contract.OpenEpisode
	if episode != nil {
		open = openEpisode(episode)
	}
	leadTimes := a.leadTimes(order)
	return contract.Assessment{
		LeadTimes:          &leadTimes,
		PromisedDate:       order.PromisedDate.Format(backorder.DateLayout),
		Today:              today.Date.Format(backorder.DateLayout),
		TodayEndsAt:        today.EndsAt,
		MaxCustomerNotices: a.Settings.MaxCustomerNotices,
		OpenEpisode:        open,
		OrderID:            order.ID,
		AsOf:               asOf.Format(backorder.DateLayout),
		Status:             order.Status,
		Currency:           order.Currency,
		DelayDays:          backorder.DelayDays(asOf, order.PromisedDate),
		BackorderValue:     backorder.FormatMoney(value),
		AlertWarehouse:     a.Settings.SMSThreshold.AlertsWarehouse(value, order.Currency),
	}, nil
}

func (a *Activities) today(now time.Time) contract.BusinessDay {
	date := backorder.DateOf(now, a.Settings.Location)
	return contract.BusinessDay{Date: date, EndsAt: backorder.DayEnds(date, a.Settings.Location).UTC()}
}

// BusinessDayOf is the business date at an instant and when that day ends:
// a waiting workflow refreshes its delay then. A local activity, because
// workflow code cannot load timezones.
func (a *Activities) BusinessDayOf(_ context.Context, in contract.BusinessDayInput) (contract.BusinessDay, error) {
	return a.today(in.At), nil
}

// ETAPassesAt is the instant the ETA's day is over in the business
// timezone: when an unfulfilled backorder is re-checked. A local activity,
// because workflow code cannot load timezones.
func (a *Activities) ETAPassesAt(_ context.Context, in contract.ETAPassesAtInput) (time.Time, error) {
	eta, err := backorder.ParseDate(in.ETA)
	if err != nil {
		return time.Time{}, badData(contract.ErrTypeInvalidInput, fmt.Errorf("ETA: %w", err))
	}
	return backorder.DayEnds(eta, a.Settings.Location).UTC(), nil
}

// MarkOrderChecked sets last_checked_at and current_status on the order.
func (a *Activities) MarkOrderChecked(ctx context.Context, in contract.MarkOrderCheckedInput) error {
	err := a.Store.MarkOrderChecked(ctx, in.OrderID, in.CurrentStatus)
	if errors.Is(err, store.ErrNotFound) {
		return badData(contract.ErrTypeOrderNotFound, err)
	}
	return err
}

// CreateTask creates a human task, or returns the one an earlier attempt
// created.
func (a *Activities) CreateTask(ctx context.Context, in contract.CreateTaskInput) (contract.TaskRef, error) {
	t, err := a.Store.CreateTask(ctx, newTask(in))
	if err != nil {
		return contract.TaskRef{}, err
	}
	return taskRef(t), nil
}

// BeginInvestigation is MarkOrderChecked and CreateTask (procurement's)
// in one transaction.
func (a *Activities) BeginInvestigation(ctx context.Context, in contract.BeginInvestigationInput) (contract.TaskRef, error) {
	t, err := a.Store.BeginInvestigation(ctx, in.OrderID, in.CurrentStatus, newTask(in.Task))
	if errors.Is(err, store.ErrNotFound) {
		return contract.TaskRef{}, badData(contract.ErrTypeOrderNotFound, err)
	}
	if err != nil {
		return contract.TaskRef{}, err
	}
	return taskRef(t), nil
}

// AwaitFulfilment is CreateTask (the clerk's), AlertWarehouse's alert for
// a high-value order, and MarkOrderChecked, in one transaction.
func (a *Activities) AwaitFulfilment(ctx context.Context, in contract.AwaitFulfilmentInput) (contract.AwaitFulfilmentResult, error) {
	awaiting := store.Awaiting{OrderID: in.OrderID, CurrentStatus: in.CurrentStatus, Task: newTask(in.Task)}
	if in.Alert != nil {
		alert := highValueAlert(*in.Alert)
		awaiting.Alert = &alert
	}
	t, err := a.Store.AwaitFulfilment(ctx, awaiting)
	if errors.Is(err, store.ErrNotFound) {
		return contract.AwaitFulfilmentResult{}, badData(contract.ErrTypeOrderNotFound, err)
	}
	if err != nil {
		return contract.AwaitFulfilmentResult{}, err
	}
	out := contract.AwaitFulfilmentResult{Task: taskRef(t)}
	if in.Alert != nil {
		out.Alert = a.textManager(ctx, in.OrderID)
	}
	return out, nil
}

// newTask is the task of in, once per episode, role and purpose.
func newTask(in contract.CreateTaskInput) store.NewTask {
	key := in.EpisodeKey + "/" + string(in.Role)
	if in.Purpose != "" {
		key += "/" + in.Purpose
	}
	return store.NewTask{IdemKey: key, OrderID: in.OrderID, IncidentID: in.IncidentID, Role: in.Role, Title: in.Title}
}

// taskRef is a task as its workflow sees it.
func taskRef(t store.Task) contract.TaskRef {
	status := t.Status
	if status == contract.TaskDone && !t.Acknowledged {
		// Completed while its workflow could not be told: open to the
		// workflow until the completion reaches it (the sweep sends it).
		status = contract.TaskOpen
	}
	return contract.TaskRef{ID: t.ID, Role: t.Role, Status: status}
}

// LookupLeadTimes fetches each backordered line's lead time: the product's,
// else the supplier's, else BACKORDER_DEFAULT_LEAD_TIME_DAYS.
func (a *Activities) LookupLeadTimes(ctx context.Context, in contract.LookupLeadTimesInput) (contract.LeadTimes, error) {
	order, err := a.Store.Order(ctx, in.OrderID)
	if errors.Is(err, store.ErrNotFound) {
		return contract.LeadTimes{}, badData(contract.ErrTypeOrderNotFound, err)
	}
	if err != nil {
		return contract.LeadTimes{}, err
	}
	return a.leadTimes(order), nil
}

func (a *Activities) leadTimes(order store.OrderDetail) contract.LeadTimes {
	var out contract.LeadTimes
	for _, l := range order.Lines {
		if l.BackorderedQuantity == 0 {
			continue
		}
		days, source := backorder.LeadTime(l.ProductLeadTimeDays, l.SupplierLeadTimeDays, a.Settings.DefaultLeadTimeDays)
		out.Lines = append(out.Lines, backorder.LineLeadTime{SKU: l.SKU, SupplierID: l.SupplierID, Days: days, Source: source})
	}
	out.MaxDays, out.UsedDefault = backorder.LongestLeadTime(out.Lines, a.Settings.DefaultLeadTimeDays)
	return out
}

// OpenIncident logs the incident with its mitigation plan, once per episode.
func (a *Activities) OpenIncident(ctx context.Context, in contract.OpenIncidentInput) (string, error) {
	eta, err := backorder.ParseDate(in.ETA)
	if err != nil {
		return "", badData(contract.ErrTypeInvalidInput, fmt.Errorf("ETA: %w", err))
	}
	value, err := backorder.ParseMoney(in.BackorderValue)
	if err != nil {
		return "", badData(contract.ErrTypeInvalidInput, fmt.Errorf("backorder value: %w", err))
	}
	id, err := a.Store.OpenIncident(ctx, store.Incident{
		EpisodeKey: in.EpisodeKey, OrderID: in.OrderID, DelayDays: in.DelayDays,
		BackorderValue: value, Currency: in.Currency, ETA: eta,
		LeadTimes: in.LeadTimes.Lines, UsedDefaultLeadTime: in.LeadTimes.UsedDefault,
		MitigationPlan: backorder.MitigationPlan(in.LeadTimes.Lines, eta),
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", badData(contract.ErrTypeOrderNotFound, err)
	}
	return id, err
}

// ReviseIncident records the new ETA on the incident, once per version.
func (a *Activities) ReviseIncident(ctx context.Context, in contract.ReviseIncidentInput) error {
	eta, err := backorder.ParseDate(in.ETA)
	if err != nil {
		return badData(contract.ErrTypeInvalidInput, fmt.Errorf("ETA: %w", err))
	}
	return a.Store.ReviseIncident(ctx, store.IncidentRevision{
		IncidentID: in.IncidentID, ETA: eta, ETAVersion: in.ETAVersion, DelayDays: in.DelayDays,
		LeadTimes: in.LeadTimes, Reason: in.Reason, RevisedBy: in.RevisedBy, Note: in.Note,
	})
}

// EscalateIncident marks the incident escalated, once.
func (a *Activities) EscalateIncident(ctx context.Context, in contract.EscalateIncidentInput) error {
	return a.Store.EscalateIncident(ctx, in.IncidentID, in.Reason)
}

// NotifyCustomer emails the customer the backordered lines and the ETA,
// once per incident and ETA version. An address that cannot be mailed is
// an outcome (failed), not an error: the order's workflow goes on.
func (a *Activities) NotifyCustomer(ctx context.Context, in contract.NotifyCustomerInput) (contract.NotificationOutcome, error) {
	ctx, stop := notify.Attempt(ctx)
	defer stop()
	order, err := a.Store.Order(ctx, in.OrderID)
	if errors.Is(err, store.ErrNotFound) {
		return contract.NotificationOutcome{}, badData(contract.ErrTypeOrderNotFound, err)
	}
	if err != nil {
		return contract.NotificationOutcome{}, retrySoon(ctx, err)
	}
	notice := messages.CustomerNotice{
		CustomerName: order.CustomerName, OrderID: order.ID, ETA: in.ETA,
		PreviousETA: in.PreviousETA, Reason: in.Reason, SupportEmail: a.Settings.SupportEmail,
	}
	for _, l := range order.Lines {
		if l.BackorderedQuantity > 0 {
			notice.Lines = append(notice.Lines, messages.Line{SKU: l.SKU, Name: l.ProductName, Quantity: l.BackorderedQuantity})
		}
	}
	email, err := messages.Customer(notice)
	if err != nil {
		return contract.NotificationOutcome{}, badData(contract.ErrTypeInvalidInput, err)
	}
	sent, err := a.Notifier.Send(ctx, notify.Message{
		Key:     fmt.Sprintf("%s/customer-eta/v%d", in.IncidentID, in.ETAVersion),
		OrderID: order.ID, IncidentID: in.IncidentID, Channel: notify.Email,
		Recipient: order.CustomerEmail, Subject: email.Subject, Body: email.Text, HTMLBody: email.HTML,
	})
	return sent, retrySoon(ctx, err)
}

// AlertWarehouse records an active alert for the order, once per incident.
// The SMS is TextWarehouse's, when quiet hours allow; without
// WAREHOUSE_MANAGER_PHONE there is nobody to text.
func (a *Activities) AlertWarehouse(ctx context.Context, in contract.AlertWarehouseInput) (contract.AlertOutcome, error) {
	if err := a.Store.RaiseAlert(ctx, highValueAlert(in)); err != nil {
		return contract.AlertOutcome{}, err
	}
	return a.textManager(ctx, in.OrderID), nil
}

// highValueAlert is the order's active alert, once per incident.
func highValueAlert(in contract.AlertWarehouseInput) store.Alert {
	return store.Alert{
		Key: in.IncidentID + "/high-value", OrderID: in.OrderID, IncidentID: in.IncidentID,
		Kind: "high_value_backorder", Message: messages.WarehouseAlert(in.OrderID, in.BackorderValue, in.Currency, in.ETA),
	}
}

// textManager says whether there is a warehouse manager to text.
func (a *Activities) textManager(ctx context.Context, orderID string) contract.AlertOutcome {
	if a.Settings.WarehouseManagerPhone == "" {
		activity.GetLogger(ctx).Warn("high-value backorder not texted: WAREHOUSE_MANAGER_PHONE is not set", "order_id", orderID)
		return contract.AlertOutcome{}
	}
	return contract.AlertOutcome{TextManager: true}
}

// SMSAllowedAt is when the warehouse manager may be texted: At itself, or
// the end of WAREHOUSE_SMS_QUIET_HOURS when At falls in them. A local
// activity, because workflow code cannot load timezones.
func (a *Activities) SMSAllowedAt(_ context.Context, in contract.SMSAllowedAtInput) (time.Time, error) {
	return a.Settings.QuietHours.AllowedAt(in.At, a.Settings.Location).UTC(), nil
}

// TextWarehouse texts the warehouse manager about a high-value backorder,
// once per incident. A recipient that cannot be texted is an outcome
// (failed), not an error: the order's workflow goes on without the SMS.
func (a *Activities) TextWarehouse(ctx context.Context, in contract.AlertWarehouseInput) (contract.NotificationOutcome, error) {
	ctx, stop := notify.Attempt(ctx)
	defer stop()
	sent, err := a.Notifier.Send(ctx, notify.Message{
		Key:     in.IncidentID + "/warehouse-sms",
		OrderID: in.OrderID, IncidentID: in.IncidentID, Channel: notify.SMS,
		Recipient: a.Settings.WarehouseManagerPhone,
		Body:      messages.WarehouseAlert(in.OrderID, in.BackorderValue, in.Currency, in.ETA),
	})
	return sent, retrySoon(ctx, err)
}

// CompleteTask marks the task done in Postgres and records that its
// workflow knows (a completion recorded without the workflow is told to it
// by the next sweep). Repeating it is harmless.
func (a *Activities) CompleteTask(ctx context.Context, in contract.CompleteTaskInput) error {
	c := store.TaskCompletion{TaskID: in.TaskID, CompletedBy: in.CompletedBy, Note: in.Note, Acknowledged: true}
	var err error
	if c.At, err = time.Parse(time.RFC3339, in.CompletedAt); err != nil {
		return badData(contract.ErrTypeInvalidInput, fmt.Errorf("completed_at %q is not an RFC 3339 time", in.CompletedAt))
	}
	if in.ConfirmedETA != "" {
		eta, err := backorder.ParseDate(in.ConfirmedETA)
		if err != nil {
			return badData(contract.ErrTypeInvalidInput, fmt.Errorf("confirmed ETA: %w", err))
		}
		c.ConfirmedETA = &eta
	}
	_, err = a.Store.CompleteTask(ctx, c)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTaskClosed) {
		return badData(contract.ErrTypeTaskNotFound, err)
	}
	return err
}

// CloseBackorder deletes the order's temporary alerts, resolves the
// incident, closes still-open tasks as obsolete and records the order's
// status and current_status, in one transaction. The notification ledger
// is history and stays.
func (a *Activities) CloseBackorder(ctx context.Context, in contract.CloseBackorderInput) error {
	closure := store.EpisodeClosure{OrderID: in.OrderID, IncidentID: in.IncidentID, Note: in.Note}
	switch in.Outcome {
	case contract.StageFulfilled:
		closure.IncidentStatus, closure.CurrentStatus, closure.OrderStatus = "resolved", "Fulfilled: backorder closed", contract.OrderFulfilled
	case contract.StageCancelled:
		closure.IncidentStatus, closure.CurrentStatus, closure.OrderStatus = "cancelled", "Cancelled: backorder closed", contract.OrderCancelled
	case contract.StageNotBackordered:
		closure.IncidentStatus, closure.CurrentStatus = "resolved", "No longer backordered: backorder closed"
	default:
		return badData(contract.ErrTypeInvalidInput, fmt.Errorf("outcome %q must be fulfilled, cancelled or not_backordered", in.Outcome))
	}
	return a.Store.CloseEpisode(ctx, closure)
}
