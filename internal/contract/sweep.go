package contract

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

// SweepTally is what a sweep has counted so far. Its result and status
// query (SweepResult), its record in sweep_runs (RecordSweepInput,
// store.SweepRun) carry it.
type SweepTally struct {
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
	Reconciled int `json:"reconciled"`
}

// SweepResult is the outcome of a sweep and its status query; the JSON is
// what `starter sweep --json` prints.
type SweepResult struct {
	SweepID string `json:"sweep_id"`
	AsOf    string `json:"as_of"`
	SweepTally
	Done bool `json:"done"`
}

// BeginSweepInput opens a sweep's record.
type BeginSweepInput struct {
	SweepID string `json:"sweep_id"`
	// AsOf (YYYY-MM-DD) defaults to today in the business timezone.
	AsOf string `json:"as_of,omitempty"`
}

// FindOverdueInput asks for one page of overdue backorders.
type FindOverdueInput struct {
	AsOf    string `json:"as_of"`
	AfterID string `json:"after_id"`
	Limit   int    `json:"limit"`
}

// OverdueOrder is one overdue backordered order with its value.
type OverdueOrder struct {
	OrderID        string `json:"order_id"`
	Currency       string `json:"currency"`
	BackorderValue string `json:"backorder_value"`
	DelayDays      int    `json:"delay_days"`
	// OpenEpisode: the order has an open incident, so its workflow is
	// running or was lost; the start step tells which.
	OpenEpisode bool `json:"open_episode,omitempty"`
}

// StartBackordersInput is one page of overdue orders to start.
type StartBackordersInput struct {
	AsOf   string         `json:"as_of"`
	Orders []OverdueOrder `json:"orders"`
}

// StartBackordersResult counts what the page's starts did. It is also the
// start step's heartbeat, so its JSON names stay as they are (they are not
// SweepTally's).
type StartBackordersResult struct {
	// Next is how many orders of the page are handled; a retried attempt
	// resumes there (it is the heartbeat).
	Next           int `json:"next"`
	Started        int `json:"started"`
	AlreadyRunning int `json:"already_running"`
	// NotStarted counts the orders whose start Temporal refused as invalid
	// (serviceerror.InvalidArgument: a workflow id too long, for one). Each
	// is logged and recorded in its row's current_status, and the page goes
	// on; the next sweep tries the order again.
	NotStarted int `json:"not_started,omitempty"`
	// StartedIDs are the orders this page started: the window counts them
	// only.
	StartedIDs []string `json:"started_ids,omitempty"`
}

// FindClosedInput asks for one page of orders to reconcile.
type FindClosedInput struct {
	AfterID string `json:"after_id"`
	Limit   int    `json:"limit"`
}

// ClosedOrder is an order whose row is Fulfilled or Cancelled while its
// backorder incident is still open.
type ClosedOrder struct {
	OrderID string      `json:"order_id"`
	Status  OrderStatus `json:"status"`
}

// UnacknowledgedCompletion is a task recorded done that its order's
// workflow was never told of (Temporal was unreachable, or the task was
// completed in the database by other means). The sweep sends it as the
// task-completed signal.
type UnacknowledgedCompletion struct {
	OrderID      string `json:"order_id"`
	TaskID       string `json:"task_id"`
	CompletedBy  string `json:"completed_by"`
	Note         string `json:"note,omitempty"`
	ConfirmedETA string `json:"confirmed_eta,omitempty"`
	CompletedAt  string `json:"completed_at"`
}

// FindOpenEpisodeInput names an order.
type FindOpenEpisodeInput struct {
	OrderID string `json:"order_id"`
}

// RecordSweepInput is a sweep's progress or final tally.
type RecordSweepInput struct {
	SweepID string `json:"sweep_id"`
	AsOf    string `json:"as_of"`
	SweepTally
	Finished bool `json:"finished"`
}
