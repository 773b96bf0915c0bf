package contract

// Stage is where a per-order workflow is: the status query's "stage", the
// BackorderStage search attribute, and, for the final ones, how its
// episode ended (CloseBackorderInput.Outcome).
type Stage string

// Stages of a per-order workflow.
const (
	StageAssessing           Stage = "assessing"
	StageAwaitingFulfillment Stage = "awaiting_fulfillment"
	StageRechecking          Stage = "rechecking"
	// StageEscalated: the customer has had BACKORDER_MAX_CUSTOMER_NOTICES
	// notices and the ETA passed again; procurement must expedite,
	// substitute or cancel. The wait for fulfilment goes on.
	StageEscalated Stage = "escalated"

	// Final stages: the episode has ended.
	StageFulfilled Stage = "fulfilled"
	StageCancelled Stage = "cancelled"
	// StageNotBackordered: by the time the workflow looked, the order was no
	// longer backordered (fulfilled or cancelled in between); nothing to do.
	StageNotBackordered Stage = "not_backordered"
)

// OrderStatus is an order row's status, as imported and as the process
// changes it.
type OrderStatus string

// Order statuses.
const (
	OrderPending     OrderStatus = "Pending"
	OrderBackordered OrderStatus = "Backordered"
	OrderFulfilled   OrderStatus = "Fulfilled"
	OrderCancelled   OrderStatus = "Cancelled"
)

// OrderStatuses are all of them, in the order the schema lists them.
var OrderStatuses = []OrderStatus{OrderPending, OrderBackordered, OrderFulfilled, OrderCancelled}

// TaskStatus is a human task's status, as the tasks table and the status
// query show it.
type TaskStatus string

// Human task statuses.
const (
	TaskOpen TaskStatus = "open"
	TaskDone TaskStatus = "done"
	// TaskObsolete: closed unfinished when its episode ended.
	TaskObsolete TaskStatus = "obsolete"
)

// Role is who a human task is for.
type Role string

// Human task roles.
const (
	RoleProcurementManager Role = "procurement_manager"
	RoleInventoryClerk     Role = "inventory_clerk"
)

// An order row's current_status, the human-readable line the process keeps
// on it.
const (
	// CurrentStatusAwaiting: the order's workflow reached
	// awaiting_fulfillment.
	CurrentStatusAwaiting = "Backorder: awaiting fulfillment"
	// CurrentStatusNotStarted begins the current_status of an order whose
	// workflow Temporal refused to start.
	CurrentStatusNotStarted = "Backorder: not started"
)
