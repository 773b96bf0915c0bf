package contract

import "time"

// BackorderInput starts the per-order workflow.
type BackorderInput struct {
	OrderID string `json:"order_id"`
	// AsOf is the sweep's date (YYYY-MM-DD) that the delay is measured at.
	AsOf string `json:"as_of"`
	// Resume carries the state across continue-as-new; nil on a first run.
	Resume *BackorderState `json:"resume,omitempty"`
}

// BackorderState is the whole state of a per-order workflow and what the
// status query returns.
type BackorderState struct {
	OrderID          string      `json:"order_id"`
	Stage            Stage       `json:"stage"`
	AsOf             string      `json:"as_of"`
	DelayDays        int         `json:"delay_days"`
	BackorderValue   string      `json:"backorder_value"`
	Currency         string      `json:"currency"`
	NewETA           string      `json:"new_eta"`
	ETAVersion       int         `json:"eta_version"`
	IncidentID       string      `json:"incident_id"`
	CustomerNotified bool        `json:"customer_notified"`
	WarehouseAlerted bool        `json:"warehouse_alerted"`
	Tasks            []TaskState `json:"tasks"`
	// EpisodeKey identifies this backorder episode (workflow id and first
	// run id): the idempotency key for its incident and tasks.
	EpisodeKey string `json:"episode_key"`
	// RecheckAt is when the ETA has passed in the business timezone and the
	// workflow re-checks if still unfulfilled.
	RecheckAt time.Time `json:"recheck_at"`
	// Rechecks counts how often the ETA passed without fulfilment.
	Rechecks int `json:"rechecks"`
	// SMSDueAt is when the warehouse manager's SMS goes out, the end of
	// WAREHOUSE_SMS_QUIET_HOURS; nil when none is waiting.
	SMSDueAt *time.Time `json:"sms_due_at,omitempty"`

	// CustomerNotices counts the ETAs the customer has been told of in this
	// episode, the first delay notice included; at most MaxCustomerNotices
	// (BACKORDER_MAX_CUSTOMER_NOTICES when the episode began).
	CustomerNotices    int `json:"customer_notices"`
	MaxCustomerNotices int `json:"max_customer_notices"`
	// Escalated: the ETA passed again after the last notice the customer
	// may get; procurement has an escalation task.
	Escalated bool `json:"escalated"`
	// Adopted: this workflow took over the open incident of an earlier run
	// that ended without closing it (terminated, failed, reset).
	Adopted bool `json:"adopted,omitempty"`
	// PromisedDate is the order's promise; DelayDays is measured from it.
	PromisedDate string `json:"promised_date,omitempty"`
	// Today is the business date the workflow last saw and TodayEndsAt the
	// instant it ends: the delay is refreshed then, and validators compare
	// dates with it.
	Today       string    `json:"today,omitempty"`
	TodayEndsAt time.Time `json:"today_ends_at"`
	// FulfilmentNote and CancelReason are what came with order-fulfilled or
	// order-cancelled; they are kept on the incident too.
	FulfilmentNote string `json:"fulfilment_note,omitempty"`
	CancelReason   string `json:"cancel_reason,omitempty"`
}

// TaskState is a human task as the workflow knows it.
type TaskState struct {
	ID          string     `json:"id"`
	Role        Role       `json:"role"`
	Status      TaskStatus `json:"status"`
	CompletedBy string     `json:"completed_by,omitempty"`
	Note        string     `json:"note,omitempty"`
}

// OrderFulfilledSignal is sent as order-fulfilled.
type OrderFulfilledSignal struct {
	Note string `json:"note,omitempty"`
}

// OrderCancelledSignal is sent as order-cancelled.
type OrderCancelledSignal struct {
	Reason string `json:"reason,omitempty"`
}

// TaskCompletedSignal is the input of the complete-task update (what
// `starter task complete` sends) and of the task-completed signal, which
// stays accepted for other senders.
type TaskCompletedSignal struct {
	TaskID      string `json:"task_id"`
	CompletedBy string `json:"completed_by"`
	Note        string `json:"note,omitempty"`
	// ConfirmedETA (YYYY-MM-DD) is the supplier date procurement confirmed;
	// empty when none.
	ConfirmedETA string `json:"confirmed_eta,omitempty"`
	// CompletedAt is RFC 3339, stamped by the sender.
	CompletedAt string `json:"completed_at"`
}

// ReviseETARequest is the input of the revise-eta update: procurement moves
// the ETA again.
type ReviseETARequest struct {
	// ETA (YYYY-MM-DD) must be after today in the business timezone.
	ETA       string `json:"eta"`
	RevisedBy string `json:"revised_by"`
	Note      string `json:"note,omitempty"`
}
