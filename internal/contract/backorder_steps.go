package contract

import (
	"time"

	"github.com/acme/backorders/internal/backorder"
)

// The inputs and outputs of the per-order workflow's activities.

// AssessInput names the order and the date to measure the delay at.
type AssessInput struct {
	OrderID string `json:"order_id"`
	// AsOf (YYYY-MM-DD) defaults to today in the business timezone.
	AsOf string `json:"as_of,omitempty"`
}

// Assessment is the delay and value of a backorder.
type Assessment struct {
	OrderID        string      `json:"order_id"`
	AsOf           string      `json:"as_of"`
	Status         OrderStatus `json:"status"`
	Currency       string      `json:"currency"`
	DelayDays      int         `json:"delay_days"`
	BackorderValue string      `json:"backorder_value"`
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
	// LeadTimes are the backordered lines' lead times, from the same read
	// of the order (LookupLeadTimes's answer, without a step of its own).
	LeadTimes *LeadTimes `json:"lead_times,omitempty"`
}

// OpenEpisode is an open incident a new workflow takes over.
type OpenEpisode struct {
	IncidentID string `json:"incident_id"`
	EpisodeKey string `json:"episode_key"`
	ETA        string `json:"eta"`
	ETAVersion int    `json:"eta_version"`
	Escalated  bool   `json:"escalated"`
}

// BusinessDay is a calendar date in the business timezone and the instant
// it ends.
type BusinessDay struct {
	Date   time.Time `json:"date"`
	EndsAt time.Time `json:"ends_at"`
}

// BusinessDayInput is an instant.
type BusinessDayInput struct {
	At time.Time `json:"at"`
}

// ETAPassesAtInput names an ETA.
type ETAPassesAtInput struct {
	ETA string `json:"eta"`
}

// MarkOrderCheckedInput stamps the order row.
type MarkOrderCheckedInput struct {
	OrderID       string `json:"order_id"`
	CurrentStatus string `json:"current_status"`
}

// CreateTaskInput asks for one human task per episode and role.
type CreateTaskInput struct {
	EpisodeKey string `json:"episode_key"`
	OrderID    string `json:"order_id"`
	IncidentID string `json:"incident_id,omitempty"`
	Role       Role   `json:"role"`
	Title      string `json:"title"`
	// Purpose tells apart two tasks of one role in an episode (the
	// escalation task); empty for the role's first task.
	Purpose string `json:"purpose,omitempty"`
}

// TaskRef is the created task.
type TaskRef struct {
	ID     string     `json:"id"`
	Role   Role       `json:"role"`
	Status TaskStatus `json:"status"`
}

// BeginInvestigationInput is steps 4 and 5 in one transaction: the order
// stamped with CurrentStatus, procurement's task created.
type BeginInvestigationInput struct {
	OrderID       string          `json:"order_id"`
	CurrentStatus string          `json:"current_status"`
	Task          CreateTaskInput `json:"task"`
}

// AwaitFulfilmentInput is what an episode records before it waits, in one
// transaction: the inventory clerk's task (step 11), the active alert of a
// high-value order (step 10), the order's stage (step 4).
type AwaitFulfilmentInput struct {
	OrderID       string          `json:"order_id"`
	CurrentStatus string          `json:"current_status"`
	Task          CreateTaskInput `json:"task"`
	// Alert is the high-value alert; nil for an order below the threshold.
	Alert *AlertWarehouseInput `json:"alert,omitempty"`
}

// AwaitFulfilmentResult is the clerk's task and whether the warehouse
// manager is to be texted.
type AwaitFulfilmentResult struct {
	Task  TaskRef      `json:"task"`
	Alert AlertOutcome `json:"alert"`
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

// EscalateIncidentInput escalates an episode whose ETA keeps passing.
type EscalateIncidentInput struct {
	IncidentID string `json:"incident_id"`
	Reason     string `json:"reason"`
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

// AlertWarehouseInput is the high-value alert of an incident, and the SMS
// that goes with it.
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

// SMSAllowedAtInput is when an SMS is due.
type SMSAllowedAtInput struct {
	At time.Time `json:"at"`
}

// CompleteTaskInput records a human task as done: the completion the
// workflow was sent (TaskCompletedSignal), stamped.
type CompleteTaskInput struct {
	TaskID       string `json:"task_id"`
	CompletedBy  string `json:"completed_by"`
	Note         string `json:"note,omitempty"`
	ConfirmedETA string `json:"confirmed_eta,omitempty"`
	CompletedAt  string `json:"completed_at"`
}

// CloseBackorderInput ends an episode.
type CloseBackorderInput struct {
	OrderID    string `json:"order_id"`
	IncidentID string `json:"incident_id"`
	// Outcome is the final stage: StageFulfilled, StageCancelled or
	// StageNotBackordered (the order left Backordered some other way: its
	// row is left as it is).
	Outcome Stage `json:"outcome"`
	// Note is the fulfilment note or the cancel reason.
	Note string `json:"note,omitempty"`
}
