package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The JSON shapes of the public contract, spelled out here rather than
// borrowed from the code, so a renamed field fails the test.
type sweepJSON struct {
	SweepID             string            `json:"sweep_id"`
	AsOf                string            `json:"as_of"`
	OrdersFound         int               `json:"orders_found"`
	TotalBackorderValue map[string]string `json:"total_backorder_value"`
	WorkflowsStarted    int               `json:"workflows_started"`
	AlreadyRunning      int               `json:"already_running"`
	Reconciled          int               `json:"reconciled"`
}

type statusJSON struct {
	OrderID          string `json:"order_id"`
	Stage            string `json:"stage"`
	DelayDays        int    `json:"delay_days"`
	BackorderValue   string `json:"backorder_value"`
	Currency         string `json:"currency"`
	NewETA           string `json:"new_eta"`
	IncidentID       string `json:"incident_id"`
	CustomerNotified bool   `json:"customer_notified"`
	WarehouseAlerted bool   `json:"warehouse_alerted"`
	Tasks            []struct {
		ID     string `json:"id"`
		Role   string `json:"role"`
		Status string `json:"status"`
	} `json:"tasks"`
}

type taskJSON struct {
	ID      string `json:"id"`
	OrderID string `json:"order_id"`
	Role    string `json:"role"`
	Title   string `json:"title"`
	Status  string `json:"status"`
}

func (s *stack) status(orderID string) statusJSON {
	s.t.Helper()
	var st statusJSON
	s.runJSON(&st, "status", orderID, "--json")
	return st
}

func (s *stack) awaitStage(orderID, stage string) statusJSON {
	s.t.Helper()
	var st statusJSON
	require.EventuallyWithT(s.t, func(c *assert.CollectT) {
		out, _, code := s.run("status", orderID, "--json")
		if !assert.Equal(c, 0, code) {
			return
		}
		st = statusJSON{}
		assert.NoError(c, jsonUnmarshal(out, &st))
		assert.Equal(c, stage, st.Stage)
	}, 60*time.Second, 250*time.Millisecond, "order %s never reached stage %s", orderID, stage)
	return st
}

func TestBackorderProcessEndToEnd(t *testing.T) {
	s := newStack(t)
	s.mustRun("import", "--file", "testdata/orders.json")

	// Sweep: SO-1001, SO-1002 and SO-1005 are overdue backorders; SO-1003 is
	// due on the as-of date, SO-1004 is Pending, SO-1006 Fulfilled.
	var sweep sweepJSON
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, "2026-11-27", sweep.AsOf)
	assert.NotEmpty(t, sweep.SweepID)
	assert.Equal(t, 3, sweep.OrdersFound)
	assert.Equal(t, map[string]string{"USD": "1539.98", "EUR": "1000.00"}, sweep.TotalBackorderValue)
	assert.Equal(t, 3, sweep.WorkflowsStarted)
	assert.Equal(t, 0, sweep.AlreadyRunning)

	small := s.awaitStage("SO-1001", "awaiting_fulfillment")
	assert.Equal(t, 26, small.DelayDays)
	assert.Equal(t, "39.98", small.BackorderValue)
	assert.Equal(t, "USD", small.Currency)
	assert.Equal(t, etaAfter(10), small.NewETA, "the later of as-of and today + the product's 10-day lead time")
	assert.False(t, small.WarehouseAlerted)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.True(c, s.status("SO-1001").CustomerNotified, "the notice goes out beside the other steps")
	}, 30*time.Second, 250*time.Millisecond)
	require.Len(t, small.Tasks, 2)
	assert.Equal(t, "procurement_manager", small.Tasks[0].Role)
	assert.Equal(t, "inventory_clerk", small.Tasks[1].Role)

	large := s.awaitStage("SO-1002", "awaiting_fulfillment")
	assert.Equal(t, "1500.00", large.BackorderValue)
	assert.Equal(t, etaAfter(14), large.NewETA, "the supplier's 14 days")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.True(c, s.status("SO-1002").WarehouseAlerted)
	}, 30*time.Second, 250*time.Millisecond)

	atThreshold := s.awaitStage("SO-1005", "awaiting_fulfillment")
	assert.Equal(t, "1000.00", atThreshold.BackorderValue)
	assert.False(t, atThreshold.WarehouseAlerted, "equal to the threshold is no SMS")
	assert.Equal(t, etaAfter(14), atThreshold.NewETA, "no lead time on file: the 14-day default")

	// Exactly one incident, two tasks and one customer email per overdue
	// order; one SMS, for the order above the threshold; nothing for others.
	for _, order := range []string{"SO-1001", "SO-1002", "SO-1005"} {
		assert.Equal(t, 1, s.count(`SELECT count(*) FROM incidents WHERE order_id = $1`, order), order)
		assert.Equal(t, 2, s.count(`SELECT count(*) FROM tasks WHERE order_id = $1`, order), order)
		assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE order_id = $1 AND channel = 'email'`, order), order)
		assert.Equal(t, "Backorder: awaiting fulfillment", s.currentStatus(order), order)
	}
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE channel = 'sms'`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE channel = 'sms' AND order_id = 'SO-1002'`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM active_alerts WHERE order_id = 'SO-1002'`))
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM incidents WHERE order_id IN ('SO-1003', 'SO-1004', 'SO-1006')`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM incidents WHERE order_id = 'SO-1005' AND used_default_lead_time`))
	_, stderr, code := s.run("status", "SO-1003")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr, "no backorder workflow for order SO-1003")

	// Procurement confirms a later supplier date: the ETA moves and the
	// customer hears about it.
	var tasks []taskJSON
	s.runJSON(&tasks, "tasks", "--role", "procurement_manager", "--status", "open", "--json")
	require.Len(t, tasks, 3)
	var procurement taskJSON
	for _, task := range tasks {
		if task.OrderID == "SO-1001" {
			procurement = task
		}
	}
	require.NotEmpty(t, procurement.ID)
	assert.Equal(t, "open", procurement.Status)
	assert.Contains(t, procurement.Title, "SO-1001")
	s.mustRun("task", "complete", procurement.ID, "--by", "alice", "--note", "supplier confirmed", "--eta", confirmedETA)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st := s.status("SO-1001")
		assert.Equal(c, confirmedETA, st.NewETA)
		assert.Equal(c, "done", st.Tasks[0].Status)
	}, 30*time.Second, 250*time.Millisecond)
	assert.Equal(t, 2, s.count(`SELECT count(*) FROM notifications WHERE order_id = 'SO-1001' AND channel = 'email'`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM tasks WHERE id = $1 AND status = 'done' AND completed_by = 'alice' AND confirmed_eta = $2`, procurement.ID, confirmedETA))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM incidents WHERE order_id = 'SO-1001' AND eta = $1 AND eta_version = 2`, confirmedETA))

	// Fulfilment clears the alert, resolves the incident, closes open tasks;
	// the ledger of what was sent stays.
	s.mustRun("fulfill", "SO-1002")
	done := s.awaitStage("SO-1002", "fulfilled")
	for _, task := range done.Tasks {
		assert.Equal(t, "obsolete", task.Status)
	}
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM active_alerts WHERE order_id = 'SO-1002'`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM incidents WHERE order_id = 'SO-1002' AND status = 'resolved' AND resolved_at IS NOT NULL`))
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM tasks WHERE order_id = 'SO-1002' AND status = 'open'`))
	assert.Equal(t, 2, s.count(`SELECT count(*) FROM notifications WHERE order_id = 'SO-1002'`))
	assert.Equal(t, "Fulfilled", s.orderStatus("SO-1002"))

	// Re-sweeping starts nothing new: the two still waiting are found running.
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 2, sweep.OrdersFound)
	assert.Equal(t, 0, sweep.WorkflowsStarted)
	assert.Equal(t, 2, sweep.AlreadyRunning)
	assert.Equal(t, 3, s.count(`SELECT count(*) FROM incidents`))
	assert.Equal(t, 6, s.count(`SELECT count(*) FROM tasks`))

	// An order closed behind the workflow's back (no signal) is reconciled by
	// the next sweep.
	_, err := s.db.Exec(t.Context(), `UPDATE orders SET status = 'Cancelled' WHERE id = 'SO-1005'`)
	require.NoError(t, err)
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 1, sweep.Reconciled)
	s.awaitStage("SO-1005", "cancelled")
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM incidents WHERE order_id = 'SO-1005' AND status = 'cancelled'`))
	assert.Equal(t, "Cancelled: backorder closed", s.currentStatus("SO-1005"))
}

func TestImportRejectsBadFileAndWritesNothing(t *testing.T) {
	s := newStack(t)
	_, stderr, code := s.run("import", "--file", "testdata/bad.json")
	assert.NotEqual(t, 0, code)
	for _, want := range []string{
		"suppliers[0].email", "orders[0].status", "orders[0].promised_date",
		"orders[0].lines[0].backordered_quantity", "orders[0].lines[0].unit_price",
	} {
		assert.Contains(t, stderr, want)
	}
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM suppliers`))
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM orders`))
}

func (s *stack) currentStatus(orderID string) string {
	s.t.Helper()
	var v string
	require.NoError(s.t, s.db.QueryRow(s.t.Context(), `SELECT current_status FROM orders WHERE id = $1`, orderID).Scan(&v))
	return v
}

func (s *stack) orderStatus(orderID string) string {
	s.t.Helper()
	var v string
	require.NoError(s.t, s.db.QueryRow(s.t.Context(), `SELECT status FROM orders WHERE id = $1`, orderID).Scan(&v))
	return v
}
