// Package activities holds the side effects of the backorder process:
// Postgres reads and writes and notifications. Each is idempotent, because
// Temporal runs an activity at least once.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/backorder"
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

// Activities holds the dependencies; workflows refer to its methods
// through a nil *Activities.
type Activities struct {
	Store    *store.Store
	Notifier notify.Notifier
	// Starter starts per-order workflows for the sweep.
	Starter  WorkflowStarter
	Settings Settings
	Log      *slog.Logger
}

// Non-retryable error types: bad data that no retry can fix.
const (
	ErrTypeOrderNotFound = "OrderNotFound"
	ErrTypeTaskNotFound  = "TaskNotFound"
	ErrTypeInvalidInput  = "InvalidInput"
)

func badData(errType string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, nil)
}

// AssessInput names the order and the date to measure the delay at.
type AssessInput struct {
	OrderID string `json:"order_id"`
	// AsOf (YYYY-MM-DD) defaults to today in the business timezone.
	AsOf string `json:"as_of,omitempty"`
}

// Assessment is the delay and value of a backorder.
type Assessment struct {
	OrderID        string `json:"order_id"`
	AsOf           string `json:"as_of"`
	Status         string `json:"status"`
	Currency       string `json:"currency"`
	DelayDays      int    `json:"delay_days"`
	BackorderValue string `json:"backorder_value"`
	// AlertWarehouse: the value is strictly above BACKORDER_SMS_THRESHOLD.
	AlertWarehouse bool   `json:"alert_warehouse"`
	PromisedDate   string `json:"promised_date"`
	// Today is the business date now, and TodayEndsAt when it ends.
	Today       string    `json:"today"`
	TodayEndsAt time.Time `json:"today_ends_at"`
	// MaxCustomerNotices is the configured cap, read once per episode.
	MaxCustomerNotices int `json:"max_customer_notices"`
	// OpenEpisode is the order's open incident, if one is open: the
	// episode of a workflow that ended without closing it, to be continued.
	OpenEpisode *OpenEpisode `json:"open_episode,omitempty"`
}

func openEpisode(e *store.OpenEpisode) *OpenEpisode {
	return &OpenEpisode{
		IncidentID: e.IncidentID, EpisodeKey: e.EpisodeKey,
		ETA: e.ETA.Format(backorder.DateLayout), ETAVersion: e.ETAVersion, Escalated: e.Escalated,
	}
}

// OpenEpisode is an open incident a new workflow takes over.
type OpenEpisode struct {
	IncidentID string `json:"incident_id"`
	EpisodeKey string `json:"episode_key"`
	ETA        string `json:"eta"`
	ETAVersion int    `json:"eta_version"`
	Escalated  bool   `json:"escalated"`
}

// AssessBackorder calculates the order's delay in days and its backorder
// value (sum of backordered quantity x unit price), and finds the open
// episode a new workflow would continue.
func (a *Activities) AssessBackorder(ctx context.Context, in AssessInput) (Assessment, error) {
	today := a.today(time.Now())
	asOf := today.Date
	if in.AsOf != "" {
		var err error
		if asOf, err = backorder.ParseDate(in.AsOf); err != nil {
			return Assessment{}, badData(ErrTypeInvalidInput, fmt.Errorf("as-of date: %w", err))
		}
	}
	order, err := a.Store.Order(ctx, in.OrderID)
	if errors.Is(err, store.ErrNotFound) {
		return Assessment{}, badData(ErrTypeOrderNotFound, err)
	}
	if err != nil {
		return Assessment{}, err
	}
	lines := make([]backorder.Line, len(order.Lines))
	for i, l := range order.Lines {
		lines[i] = backorder.Line{BackorderedQuantity: l.BackorderedQuantity, UnitPrice: l.UnitPrice}
	}
	value := backorder.Value(lines)
	episode, err := a.Store.OpenEpisodeOf(ctx, in.OrderID)
	if err != nil {
		return Assessment{}, err
	}
	var open *OpenEpisode
	if episode != nil {
		open = openEpisode(episode)
	}
	return Assessment{
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

// BusinessDay is a calendar date in the business timezone and the instant
// it ends.
type BusinessDay struct {
	Date   time.Time `json:"date"`
	EndsAt time.Time `json:"ends_at"`
}

func (a *Activities) today(now time.Time) BusinessDay {
	date := backorder.DateOf(now, a.Settings.Location)
	return BusinessDay{Date: date, EndsAt: backorder.DayEnds(date, a.Settings.Location).UTC()}
}

// BusinessDayInput is an instant.
type BusinessDayInput struct {
	At time.Time `json:"at"`
}

// BusinessDayOf is the business date at an instant and when that day ends:
// a waiting workflow refreshes its delay then. A local activity, because
// workflow code cannot load timezones.
func (a *Activities) BusinessDayOf(_ context.Context, in BusinessDayInput) (BusinessDay, error) {
	return a.today(in.At), nil
}

// ETAPassesAtInput names an estimated delivery date.
type ETAPassesAtInput struct {
	ETA string `json:"eta"`
}

// ETAPassesAt is the instant the ETA's day is over in the business
// timezone: when an unfulfilled backorder is re-checked. A local activity,
// because workflow code cannot load timezones.
func (a *Activities) ETAPassesAt(_ context.Context, in ETAPassesAtInput) (time.Time, error) {
	eta, err := backorder.ParseDate(in.ETA)
	if err != nil {
		return time.Time{}, badData(ErrTypeInvalidInput, fmt.Errorf("ETA: %w", err))
	}
	return backorder.DayEnds(eta, a.Settings.Location).UTC(), nil
}

// MarkOrderCheckedInput stamps the order row.
type MarkOrderCheckedInput struct {
	OrderID       string `json:"order_id"`
	CurrentStatus string `json:"current_status"`
}

// MarkOrderChecked sets last_checked_at and current_status on the order.
func (a *Activities) MarkOrderChecked(ctx context.Context, in MarkOrderCheckedInput) error {
	err := a.Store.MarkOrderChecked(ctx, in.OrderID, in.CurrentStatus)
	if errors.Is(err, store.ErrNotFound) {
		return badData(ErrTypeOrderNotFound, err)
	}
	return err
}

// CreateTaskInput asks for one human task per episode and role.
type CreateTaskInput struct {
	EpisodeKey string `json:"episode_key"`
	OrderID    string `json:"order_id"`
	IncidentID string `json:"incident_id,omitempty"`
	Role       string `json:"role"`
	Title      string `json:"title"`
	// Purpose tells apart two tasks of one role in an episode (the
	// escalation task); empty for the role's first task.
	Purpose string `json:"purpose,omitempty"`
}

// TaskRef is the created task.
type TaskRef struct {
	ID     string `json:"id"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

// CreateTask creates a human task, or returns the one an earlier attempt
// created.
func (a *Activities) CreateTask(ctx context.Context, in CreateTaskInput) (TaskRef, error) {
	key := in.EpisodeKey + "/" + in.Role
	if in.Purpose != "" {
		key += "/" + in.Purpose
	}
	t, err := a.Store.CreateTask(ctx, store.NewTask{
		IdemKey: key, OrderID: in.OrderID, IncidentID: in.IncidentID,
		Role: in.Role, Title: in.Title,
	})
	if err != nil {
		return TaskRef{}, err
	}
	status := t.Status
	if status == "done" && !t.Acknowledged {
		// Completed while its workflow could not be told: open to the
		// workflow until the completion reaches it (the sweep sends it).
		status = "open"
	}
	return TaskRef{ID: t.ID, Role: t.Role, Status: status}, nil
}

// LookupLeadTimesInput names the order whose backordered lines to look up.
type LookupLeadTimesInput struct {
	OrderID string `json:"order_id"`
}

// LeadTimes is the supplier lead time of every backordered line.
type LeadTimes struct {
	Lines       []backorder.LineLeadTime `json:"lines"`
	MaxDays     int                      `json:"max_days"`
	UsedDefault bool                     `json:"used_default"`
}

// LookupLeadTimes fetches each backordered line's lead time: the product's,
// else the supplier's, else BACKORDER_DEFAULT_LEAD_TIME_DAYS.
func (a *Activities) LookupLeadTimes(ctx context.Context, in LookupLeadTimesInput) (LeadTimes, error) {
	order, err := a.Store.Order(ctx, in.OrderID)
	if errors.Is(err, store.ErrNotFound) {
		return LeadTimes{}, badData(ErrTypeOrderNotFound, err)
	}
	if err != nil {
		return LeadTimes{}, err
	}
	var out LeadTimes
	for _, l := range order.Lines {
		if l.BackorderedQuantity == 0 {
			continue
		}
		days, source := backorder.LeadTime(l.ProductLeadTimeDays, l.SupplierLeadTimeDays, a.Settings.DefaultLeadTimeDays)
		out.Lines = append(out.Lines, backorder.LineLeadTime{SKU: l.SKU, SupplierID: l.SupplierID, Days: days, Source: source})
	}
	out.MaxDays, out.UsedDefault = backorder.LongestLeadTime(out.Lines, a.Settings.DefaultLeadTimeDays)
	return out, nil
}

// OpenIncidentInput is the incident log entry of an episode.
type OpenIncidentInput struct {
	EpisodeKey     string    `json:"episode_key"`
	OrderID        string    `json:"order_id"`
	DelayDays      int       `json:"delay_days"`
	BackorderValue string    `json:"backorder_value"`
	Currency       string    `json:"currency"`
	ETA            string    `json:"eta"`
	LeadTimes      LeadTimes `json:"lead_times"`
}

// OpenIncident logs the incident with its mitigation plan, once per episode.
func (a *Activities) OpenIncident(ctx context.Context, in OpenIncidentInput) (string, error) {
	eta, err := backorder.ParseDate(in.ETA)
	if err != nil {
		return "", badData(ErrTypeInvalidInput, fmt.Errorf("ETA: %w", err))
	}
	value, err := backorder.ParseMoney(in.BackorderValue)
	if err != nil {
		return "", badData(ErrTypeInvalidInput, fmt.Errorf("backorder value: %w", err))
	}
	id, err := a.Store.OpenIncident(ctx, store.Incident{
		EpisodeKey: in.EpisodeKey, OrderID: in.OrderID, DelayDays: in.DelayDays,
		BackorderValue: value, Currency: in.Currency, ETA: eta,
		LeadTimes: in.LeadTimes.Lines, UsedDefaultLeadTime: in.LeadTimes.UsedDefault,
		MitigationPlan: backorder.MitigationPlan(in.LeadTimes.Lines, eta),
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", badData(ErrTypeOrderNotFound, err)
	}
	return id, err
}

// ReviseIncidentInput moves an incident to a new ETA.
type ReviseIncidentInput struct {
	IncidentID string `json:"incident_id"`
	ETA        string `json:"eta"`
	ETAVersion int    `json:"eta_version"`
	DelayDays  int    `json:"delay_days"`
	// LeadTimes is nil when a person confirmed the date.
	LeadTimes []backorder.LineLeadTime `json:"lead_times,omitempty"`
	Reason    string                   `json:"reason"`
	// RevisedBy and Note: who set a date by hand, and why.
	RevisedBy string `json:"revised_by,omitempty"`
	Note      string `json:"note,omitempty"`
}

// ReviseIncident records the new ETA on the incident, once per version.
func (a *Activities) ReviseIncident(ctx context.Context, in ReviseIncidentInput) error {
	eta, err := backorder.ParseDate(in.ETA)
	if err != nil {
		return badData(ErrTypeInvalidInput, fmt.Errorf("ETA: %w", err))
	}
	return a.Store.ReviseIncident(ctx, store.IncidentRevision{
		IncidentID: in.IncidentID, ETA: eta, ETAVersion: in.ETAVersion, DelayDays: in.DelayDays,
		LeadTimes: in.LeadTimes, Reason: in.Reason, RevisedBy: in.RevisedBy, Note: in.Note,
	})
}

// EscalateIncidentInput escalates an episode whose ETA keeps passing.
type EscalateIncidentInput struct {
	IncidentID string `json:"incident_id"`
	Reason     string `json:"reason"`
}

// EscalateIncident marks the incident escalated, once.
func (a *Activities) EscalateIncident(ctx context.Context, in EscalateIncidentInput) error {
	return a.Store.EscalateIncident(ctx, in.IncidentID, in.Reason)
}

// NotifyCustomerInput is one customer notice: the first delay notice at
// ETA version 1, a revised-date notice after.
type NotifyCustomerInput struct {
	IncidentID  string `json:"incident_id"`
	OrderID     string `json:"order_id"`
	ETA         string `json:"eta"`
	ETAVersion  int    `json:"eta_version"`
	PreviousETA string `json:"previous_eta,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// NotifyCustomer emails the customer the backordered lines and the ETA,
// once per incident and ETA version. An address that cannot be mailed is
// an outcome (failed), not an error: the order's workflow goes on.
func (a *Activities) NotifyCustomer(ctx context.Context, in NotifyCustomerInput) (notify.Outcome, error) {
	ctx, stop := notify.Attempt(ctx)
	defer stop()
	order, err := a.Store.Order(ctx, in.OrderID)
	if errors.Is(err, store.ErrNotFound) {
		return notify.Outcome{}, badData(ErrTypeOrderNotFound, err)
	}
	if err != nil {
		return notify.Outcome{}, retrySoon(ctx, err)
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
		return notify.Outcome{}, badData(ErrTypeInvalidInput, err)
	}
	sent, err := a.Notifier.Send(ctx, store.Notification{
		Key:     fmt.Sprintf("%s/customer-eta/v%d", in.IncidentID, in.ETAVersion),
		OrderID: order.ID, IncidentID: in.IncidentID, Channel: notify.Email,
		Recipient: order.CustomerEmail, Subject: email.Subject, Body: email.Text, HTMLBody: email.HTML,
	})
	return sent, retrySoon(ctx, err)
}

// AlertWarehouseInput is the high-value alert of an incident.
type AlertWarehouseInput struct {
	IncidentID     string `json:"incident_id"`
	OrderID        string `json:"order_id"`
	BackorderValue string `json:"backorder_value"`
	Currency       string `json:"currency"`
	ETA            string `json:"eta"`
}

// AlertOutcome says whether the warehouse manager is to be texted.
type AlertOutcome struct {
	// TextManager: WAREHOUSE_MANAGER_PHONE is set.
	TextManager bool `json:"text_manager"`
}

// AlertWarehouse records an active alert for the order, once per incident.
// The SMS is TextWarehouse's, when quiet hours allow; without
// WAREHOUSE_MANAGER_PHONE there is nobody to text.
func (a *Activities) AlertWarehouse(ctx context.Context, in AlertWarehouseInput) (AlertOutcome, error) {
	if err := a.Store.RaiseAlert(ctx, store.Alert{
		Key: in.IncidentID + "/high-value", OrderID: in.OrderID, IncidentID: in.IncidentID,
		Kind: "high_value_backorder", Message: messages.WarehouseAlert(in.OrderID, in.BackorderValue, in.Currency, in.ETA),
	}); err != nil {
		return AlertOutcome{}, err
	}
	if a.Settings.WarehouseManagerPhone == "" {
		a.Log.Warn("high-value backorder not texted: WAREHOUSE_MANAGER_PHONE is not set", "order_id", in.OrderID)
		return AlertOutcome{}, nil
	}
	return AlertOutcome{TextManager: true}, nil
}

// SMSAllowedAtInput is when an SMS is due.
type SMSAllowedAtInput struct {
	At time.Time `json:"at"`
}

// SMSAllowedAt is when the warehouse manager may be texted: At itself, or
// the end of WAREHOUSE_SMS_QUIET_HOURS when At falls in them. A local
// activity, because workflow code cannot load timezones.
func (a *Activities) SMSAllowedAt(_ context.Context, in SMSAllowedAtInput) (time.Time, error) {
	return a.Settings.QuietHours.AllowedAt(in.At, a.Settings.Location).UTC(), nil
}

// TextWarehouse texts the warehouse manager about a high-value backorder,
// once per incident. A recipient that cannot be texted is an outcome
// (failed), not an error: the order's workflow goes on without the SMS.
func (a *Activities) TextWarehouse(ctx context.Context, in AlertWarehouseInput) (notify.Outcome, error) {
	ctx, stop := notify.Attempt(ctx)
	defer stop()
	sent, err := a.Notifier.Send(ctx, store.Notification{
		Key:     in.IncidentID + "/warehouse-sms",
		OrderID: in.OrderID, IncidentID: in.IncidentID, Channel: notify.SMS,
		Recipient: a.Settings.WarehouseManagerPhone,
		Body:      messages.WarehouseAlert(in.OrderID, in.BackorderValue, in.Currency, in.ETA),
	})
	return sent, retrySoon(ctx, err)
}

// CompleteTaskInput records a human task as done.
type CompleteTaskInput struct {
	TaskID       string `json:"task_id"`
	CompletedBy  string `json:"completed_by"`
	Note         string `json:"note,omitempty"`
	ConfirmedETA string `json:"confirmed_eta,omitempty"`
	CompletedAt  string `json:"completed_at"`
}

// CompleteTask marks the task done in Postgres and records that its
// workflow knows (a completion recorded without the workflow is told to it
// by the next sweep). Repeating it is harmless.
func (a *Activities) CompleteTask(ctx context.Context, in CompleteTaskInput) error {
	c := store.TaskCompletion{TaskID: in.TaskID, CompletedBy: in.CompletedBy, Note: in.Note, Acknowledged: true}
	var err error
	if c.At, err = time.Parse(time.RFC3339, in.CompletedAt); err != nil {
		return badData(ErrTypeInvalidInput, fmt.Errorf("completed_at %q is not an RFC 3339 time", in.CompletedAt))
	}
	if in.ConfirmedETA != "" {
		eta, err := backorder.ParseDate(in.ConfirmedETA)
		if err != nil {
			return badData(ErrTypeInvalidInput, fmt.Errorf("confirmed ETA: %w", err))
		}
		c.ConfirmedETA = &eta
	}
	_, err = a.Store.CompleteTask(ctx, c)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTaskClosed) {
		return badData(ErrTypeTaskNotFound, err)
	}
	return err
}

// CloseBackorderInput ends an episode.
type CloseBackorderInput struct {
	OrderID    string `json:"order_id"`
	IncidentID string `json:"incident_id"`
	// Outcome is "fulfilled", "cancelled" or "not_backordered" (the order
	// left Backordered some other way: its row is left as it is).
	Outcome string `json:"outcome"`
	// Note is the fulfilment note or the cancel reason.
	Note string `json:"note,omitempty"`
}

// CloseBackorder deletes the order's temporary alerts, resolves the
// incident, closes still-open tasks as obsolete and records the order's
// status and current_status, in one transaction. The notification ledger
// is history and stays.
func (a *Activities) CloseBackorder(ctx context.Context, in CloseBackorderInput) error {
	closure := store.EpisodeClosure{OrderID: in.OrderID, IncidentID: in.IncidentID, Note: in.Note}
	switch in.Outcome {
	case "fulfilled":
		closure.IncidentStatus, closure.CurrentStatus, closure.OrderStatus = "resolved", "Fulfilled: backorder closed", "Fulfilled"
	case "cancelled":
		closure.IncidentStatus, closure.CurrentStatus, closure.OrderStatus = "cancelled", "Cancelled: backorder closed", "Cancelled"
	case "not_backordered":
		closure.IncidentStatus, closure.CurrentStatus = "resolved", "No longer backordered: backorder closed"
	default:
		return badData(ErrTypeInvalidInput, fmt.Errorf("outcome %q must be fulfilled, cancelled or not_backordered", in.Outcome))
	}
	return a.Store.CloseEpisode(ctx, closure)
}
