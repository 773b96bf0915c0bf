// Package workflows holds the deterministic workflow code of the backorder
// process. This file is its public face: names, ids and the structs that
// cross the Temporal boundary (inputs, signals, query results).
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// Workflow, signal, query and schedule names: a public contract.
const (
	BackorderWorkflowName    = "BackorderWorkflow"
	SweepWorkflowName        = "SweepWorkflow"
	WeeklyReportWorkflowName = "WeeklyReportWorkflow"

	SignalOrderFulfilled = "order-fulfilled"
	SignalOrderCancelled = "order-cancelled"
	SignalTaskCompleted  = "task-completed"

	// UpdateCompleteTask completes a human task; its validator refuses an
	// unknown task, one already completed and a confirmed ETA not after
	// today, before anything is written.
	UpdateCompleteTask = "complete-task"
	// UpdateReviseETA lets procurement move the ETA again later.
	UpdateReviseETA = "revise-eta"

	QueryStatus = "status"

	SweepScheduleID  = "backorder-sweep"
	ReportScheduleID = "backorder-weekly-report"
)

// BackorderWorkflowID is the per-order workflow id: one open workflow per
// order, so a re-run sweep finds the running one instead of starting another.
func BackorderWorkflowID(orderID string) string { return "backorder-" + orderID }

// SweepWorkflowID names a sweep started by hand; scheduled sweeps get their
// ids from the schedule.
func SweepWorkflowID(asOf, suffix string) string { return "backorder-sweep-" + asOf + "-" + suffix }

// ReportWorkflowID names a report run on demand; scheduled runs get their
// ids from the schedule.
func ReportWorkflowID(week, suffix string) string { return "backorder-report-" + week + "-" + suffix }

// Stages of a per-order workflow (the status query's "stage" and the
// BackorderStage search attribute).
const (
	StageAssessing           = "assessing"
	StageAwaitingFulfillment = "awaiting_fulfillment"
	StageRechecking          = "rechecking"
	StageFulfilled           = "fulfilled"
	StageCancelled           = "cancelled"
	// StageNotBackordered: by the time the workflow looked, the order was no
	// longer backordered (fulfilled or cancelled in between); nothing to do.
	StageNotBackordered = "not_backordered"
	// StageEscalated: the customer has had BACKORDER_MAX_CUSTOMER_NOTICES
	// notices and the ETA passed again; procurement must expedite,
	// substitute or cancel. The wait for fulfilment goes on.
	StageEscalated = "escalated"
)

// Human task statuses, as the tasks table and the status query show them.
const (
	TaskOpen     = "open"
	TaskDone     = "done"
	TaskObsolete = "obsolete"
)

// Human task roles.
const (
	RoleProcurementManager = "procurement_manager"
	RoleInventoryClerk     = "inventory_clerk"
)

// Typed search attributes, registered by `starter setup`, so runs can be
// filtered in the Web UI, e.g. BackorderStage="awaiting_fulfillment" AND
// BackorderValue > 1000.
var (
	OrderIDKey        = temporal.NewSearchAttributeKeyKeyword("OrderId")
	BackorderStageKey = temporal.NewSearchAttributeKeyKeyword("BackorderStage")
	// BackorderValueKey is a float for filtering only; money itself stays an
	// exact decimal string everywhere else.
	BackorderValueKey = temporal.NewSearchAttributeKeyFloat64("BackorderValue")
	DelayDaysKey      = temporal.NewSearchAttributeKeyInt64("DelayDays")
)

// SearchAttributeKeys lists them for registration.
var SearchAttributeKeys = []temporal.SearchAttributeKey{OrderIDKey, BackorderStageKey, BackorderValueKey, DelayDaysKey}

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
	Stage            string      `json:"stage"`
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
	ID          string `json:"id"`
	Role        string `json:"role"`
	Status      string `json:"status"`
	CompletedBy string `json:"completed_by,omitempty"`
	Note        string `json:"note,omitempty"`
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
// the estimated delivery date again.
type ReviseETARequest struct {
	// ETA (YYYY-MM-DD) must be after today in the business timezone.
	ETA       string `json:"eta"`
	RevisedBy string `json:"revised_by"`
	Note      string `json:"note,omitempty"`
}

// SweepInput starts a sweep. A zero AsOf means "today" in the business
// timezone, as for scheduled runs.
type SweepInput struct {
	AsOf string `json:"as_of,omitempty"`
	// Resume carries progress across continue-as-new; nil on a first run.
	Resume *SweepProgress `json:"resume,omitempty"`
}

// SweepProgress is where a continued sweep picks up.
type SweepProgress struct {
	Result SweepResult `json:"result"`
	// Cursor is the last overdue order id handled; ReconcileCursor the last
	// closed order id checked for a still-open workflow.
	Cursor          string `json:"cursor"`
	ReconcileCursor string `json:"reconcile_cursor"`
	Reconciling     bool   `json:"reconciling"`
	// TaskCursor is the last order id whose unacknowledged task
	// completions were sent on.
	TaskCursor       string `json:"task_cursor,omitempty"`
	ReconcilingTasks bool   `json:"reconciling_tasks,omitempty"`
}

// SweepResult is the outcome of a sweep and its status query; the JSON is
// what `starter sweep --json` prints.
type SweepResult struct {
	SweepID             string            `json:"sweep_id"`
	AsOf                string            `json:"as_of"`
	OrdersFound         int               `json:"orders_found"`
	TotalBackorderValue map[string]string `json:"total_backorder_value"`
	WorkflowsStarted    int               `json:"workflows_started"`
	AlreadyRunning      int               `json:"already_running"`
	// NotStarted counts orders whose start Temporal refused as invalid (an
	// id too long for a workflow id, for one); each order's current_status
	// says so, and the next sweep tries it again.
	NotStarted int `json:"not_started,omitempty"`
	// Reconciled counts open workflows signalled because their order row
	// already says Fulfilled or Cancelled.
	Reconciled int  `json:"reconciled"`
	Done       bool `json:"done"`
}

// WeeklyReportInput starts a weekly report.
type WeeklyReportInput struct {
	// Week is the ISO week (YYYY-Www); empty means the last complete week
	// before the run was due, as for scheduled runs.
	Week string `json:"week,omitempty"`
	// Email sends it to BACKORDER_REPORT_RECIPIENTS, once per week and
	// recipient.
	Email bool `json:"email"`
}
