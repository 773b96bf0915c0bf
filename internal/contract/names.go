// Package contract is what the backorder workflows, their activities and
// their callers (the worker, the starter CLI, the test drills) agree on:
// the task queue, workflow, activity, signal, query and update names,
// workflow ids, search attributes, every input and output that crosses the
// Temporal boundary, the error types, and the words for stages, order and
// task statuses and roles.
//
// It holds no behaviour and imports nothing heavy (no database driver, no
// provider SDK), so deterministic workflow code can import it.
package contract

import "go.temporal.io/sdk/temporal"

// DefaultTaskQueue is where the worker polls and everything is started
// when BACKORDER_TASK_QUEUE is not set.
const DefaultTaskQueue = "backorders"

// Workflow names: a workflow is registered, started, scheduled and
// continued under these.
const (
	BackorderWorkflowName    = "BackorderWorkflow"
	SweepWorkflowName        = "SweepWorkflow"
	WeeklyReportWorkflowName = "WeeklyReportWorkflow"
)

// Signal, update and query names: a public contract.
const (
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
)

// Schedule ids, created by `starter setup`.
const (
	SweepScheduleID  = "backorder-sweep"
	ReportScheduleID = "backorder-weekly-report"
)

// Activity names: the methods of *activities.Activities, which the worker
// registers under their method names. Workflows execute them by these.
const (
	// The per-order workflow's steps.
	ActivityAssessBackorder  = "AssessBackorder"
	ActivityMarkOrderChecked = "MarkOrderChecked"
	ActivityCreateTask       = "CreateTask"
	ActivityLookupLeadTimes  = "LookupLeadTimes"
	ActivityOpenIncident     = "OpenIncident"
	ActivityReviseIncident   = "ReviseIncident"
	ActivityEscalateIncident = "EscalateIncident"
	ActivityNotifyCustomer   = "NotifyCustomer"
	ActivityAlertWarehouse   = "AlertWarehouse"
	ActivityTextWarehouse    = "TextWarehouse"
	ActivityCompleteTask     = "CompleteTask"
	ActivityCloseBackorder   = "CloseBackorder"
	// Writes that always go together, one transaction each: steps 4 and
	// 5; steps 11, 10's alert and 4 before the wait.
	ActivityBeginInvestigation = "BeginInvestigation"
	ActivityAwaitFulfilment    = "AwaitFulfilment"
	// Dates and instants in the business timezone, which workflow code
	// cannot load.
	ActivityBusinessDayOf = "BusinessDayOf"
	ActivityETAPassesAt   = "ETAPassesAt"
	ActivitySMSAllowedAt  = "SMSAllowedAt"

	// The sweep's steps.
	ActivityBeginSweep                        = "BeginSweep"
	ActivityFindOverdueBackorders             = "FindOverdueBackorders"
	ActivityStartBackorderWorkflows           = "StartBackorderWorkflows"
	ActivityFindClosedOrdersWithOpenIncidents = "FindClosedOrdersWithOpenIncidents"
	ActivityFindUnacknowledgedCompletions     = "FindUnacknowledgedCompletions"
	ActivityFindOpenEpisode                   = "FindOpenEpisode"
	ActivityRecordSweep                       = "RecordSweep"

	// The weekly report's steps.
	ActivityPreviousReportWeek  = "PreviousReportWeek"
	ActivityComputeWeeklyReport = "ComputeWeeklyReport"
	ActivityStoreReport         = "StoreReport"
	ActivityEmailReport         = "EmailReport"
)

// BackorderWorkflowIDPrefix begins every per-order workflow id.
const BackorderWorkflowIDPrefix = "backorder-"

// BackorderWorkflowID is the per-order workflow id: one open workflow per
// order, so a re-run sweep finds the running one instead of starting another.
func BackorderWorkflowID(orderID string) string { return BackorderWorkflowIDPrefix + orderID }

// SweepWorkflowID names a sweep started by hand; scheduled sweeps get their
// ids from the schedule.
func SweepWorkflowID(asOf, suffix string) string { return "backorder-sweep-" + asOf + "-" + suffix }

// ReportWorkflowID names a report run on demand; scheduled runs get their
// ids from the schedule.
func ReportWorkflowID(week, suffix string) string { return "backorder-report-" + week + "-" + suffix }

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
