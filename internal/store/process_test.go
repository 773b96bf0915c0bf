package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// processStore is a store holding dataset()'s SO-1001 plus:
//
//	SO-1002 Backordered, promised 2026-11-01, no lines at all
//	SO-1003 Backordered, promised 2026-11-02, 3 x a 20-decimal price
//	SO-1004 Pending, promised 2026-10-01
func processStore(t *testing.T) (*store.Store, context.Context) {
	t.Helper()
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	d := dataset()
	d.Orders = append(d.Orders,
		store.Order{ID: "SO-1002", CustomerID: "C-1", Status: "Backordered", PromisedDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Currency: "USD"},
		store.Order{ID: "SO-1003", CustomerID: "C-1", Status: "Backordered", PromisedDate: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Currency: "GBP",
			Lines: []store.OrderLine{{SKU: "SKU-2", Quantity: 3, BackorderedQuantity: 3, UnitPrice: decimal.RequireFromString("0.10000000000000000001")}}},
		store.Order{ID: "SO-1004", CustomerID: "C-1", Status: "Pending", PromisedDate: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Currency: "USD",
			Lines: []store.OrderLine{{SKU: "SKU-1", Quantity: 1, BackorderedQuantity: 0, UnitPrice: decimal.RequireFromString("19.99")}}},
	)
	_, err := s.Import(ctx, d)
	require.NoError(t, err)
	return s, ctx
}

func TestOrderDetail(t *testing.T) {
	s, ctx := processStore(t)
	o, err := s.Order(ctx, "SO-1001")
	require.NoError(t, err)
	assert.Equal(t, "SO-1001", o.ID)
	assert.Equal(t, "Backordered", string(o.Status))
	assert.Equal(t, "2026-11-01", o.PromisedDate.Format(time.DateOnly))
	assert.Equal(t, time.UTC, o.PromisedDate.Location(), "a civil date is midnight UTC")
	assert.Equal(t, "USD", o.Currency)
	assert.Equal(t, "Jane Doe", o.CustomerName)
	assert.Equal(t, "jane@example.com", o.CustomerEmail)

	require.Len(t, o.Lines, 2)
	l := o.Lines[0]
	assert.Equal(t, "SKU-1", l.SKU)
	assert.Equal(t, "Widget", l.ProductName)
	assert.EqualValues(t, 3, l.Quantity)
	assert.EqualValues(t, 2, l.BackorderedQuantity)
	assert.Equal(t, "19.99", l.UnitPrice.String())
	assert.Equal(t, "SUP-1", l.SupplierID)
	assert.Equal(t, "Acme Parts", l.SupplierName)
	require.NotNil(t, l.ProductLeadTimeDays)
	assert.Equal(t, 10, *l.ProductLeadTimeDays)
	require.NotNil(t, l.SupplierLeadTimeDays)
	assert.Equal(t, 14, *l.SupplierLeadTimeDays)

	l = o.Lines[1]
	assert.Equal(t, "SKU-2", l.SKU)
	assert.Equal(t, "Gadget", l.ProductName)
	assert.Nil(t, l.ProductLeadTimeDays, "no product lead time")
	assert.True(t, l.UnitPrice.Equal(decimal.RequireFromString("0.10000000000000000001")), "prices are read exactly: %s", l.UnitPrice)
}

func TestOrderWithoutLines(t *testing.T) {
	s, ctx := processStore(t)
	o, err := s.Order(ctx, "SO-1002")
	require.NoError(t, err)
	assert.Equal(t, "SO-1002", o.ID)
	assert.Equal(t, "Jane Doe", o.CustomerName)
	assert.Empty(t, o.Lines)
}

func TestOrderNotFound(t *testing.T) {
	s, ctx := processStore(t)
	_, err := s.Order(ctx, "SO-404")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorContains(t, err, "SO-404")
}

func TestSetOrderStatus(t *testing.T) {
	s, ctx := processStore(t)
	require.NoError(t, s.SetOrderStatus(ctx, "SO-1001", "Fulfilled"))
	o, err := s.Order(ctx, "SO-1001")
	require.NoError(t, err)
	assert.Equal(t, "Fulfilled", string(o.Status))

	err = s.SetOrderStatus(ctx, "SO-404", "Fulfilled")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorContains(t, err, "SO-404")

	err = s.SetOrderStatus(ctx, "SO-1002", "Shipped")
	require.Error(t, err, "the schema knows the statuses")
	assert.NotErrorIs(t, err, store.ErrNotFound)
	o, err = s.Order(ctx, "SO-1002")
	require.NoError(t, err)
	assert.Equal(t, "Backordered", string(o.Status))
}

func TestMarkOrderCheckedNotFound(t *testing.T) {
	s, ctx := processStore(t)
	assert.ErrorIs(t, s.MarkOrderChecked(ctx, "SO-404", "x"), store.ErrNotFound)
}

func TestTaskNotFound(t *testing.T) {
	s, ctx := processStore(t)
	_, err := s.Task(ctx, "T-404")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.CompleteTask(ctx, store.TaskCompletion{TaskID: "T-404", CompletedBy: "pat", At: time.Now()})
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.NotErrorIs(t, err, store.ErrTaskClosed)
}

func TestListTasks(t *testing.T) {
	s, ctx := processStore(t)
	create := func(key, order, role string) store.Task {
		t.Helper()
		task, err := s.CreateTask(ctx, store.NewTask{IdemKey: key, OrderID: order, Role: contract.Role(role), Title: role + " for " + order})
		require.NoError(t, err)
		return task
	}
	a := create("ep-1/procurement_manager", "SO-1001", "procurement_manager")
	b := create("ep-1/inventory_clerk", "SO-1001", "inventory_clerk")
	c := create("ep-3/procurement_manager", "SO-1003", "procurement_manager")
	_, err := s.CompleteTask(ctx, store.TaskCompletion{TaskID: a.ID, CompletedBy: "pat", At: time.Now()})
	require.NoError(t, err)

	ids := func(f store.TaskFilter) []string {
		t.Helper()
		tasks, err := s.ListTasks(ctx, f)
		require.NoError(t, err)
		out := []string{}
		for _, task := range tasks {
			out = append(out, task.ID)
		}
		return out
	}
	assert.Equal(t, []string{a.ID, b.ID, c.ID}, ids(store.TaskFilter{}), "all, oldest first")
	assert.Equal(t, []string{a.ID, c.ID}, ids(store.TaskFilter{Role: "procurement_manager"}))
	assert.Equal(t, []string{b.ID, c.ID}, ids(store.TaskFilter{Status: "open"}))
	assert.Equal(t, []string{a.ID}, ids(store.TaskFilter{Status: "done"}))
	assert.Equal(t, []string{a.ID, b.ID}, ids(store.TaskFilter{OrderID: "SO-1001"}))
	assert.Equal(t, []string{c.ID}, ids(store.TaskFilter{Role: "procurement_manager", Status: "open"}))
	assert.Equal(t, []string{b.ID}, ids(store.TaskFilter{Role: "inventory_clerk", Status: "open", OrderID: "SO-1001"}))
	assert.Empty(t, ids(store.TaskFilter{Role: "inventory_clerk", OrderID: "SO-1003"}))
	assert.Empty(t, ids(store.TaskFilter{Status: "obsolete"}))

	tasks, err := s.ListTasks(ctx, store.TaskFilter{Status: "done"})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	assert.Equal(t, "SO-1001", tasks[0].OrderID)
	assert.Equal(t, "procurement_manager for SO-1001", tasks[0].Title)
	require.NotNil(t, tasks[0].CompletedBy)
	assert.Equal(t, "pat", *tasks[0].CompletedBy)
}

func TestOverdueBackordersValues(t *testing.T) {
	s, ctx := processStore(t)
	asOf := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rows, err := s.OverdueBackorders(ctx, asOf, "", 10)
	require.NoError(t, err)
	require.Len(t, rows, 3, "SO-1004 is Pending")

	assert.Equal(t, "SO-1001", rows[0].ID)
	assert.Equal(t, "39.98", rows[0].BackorderValue.String(), "the in-stock line adds nothing")
	assert.Equal(t, "SO-1002", rows[1].ID)
	assert.True(t, rows[1].BackorderValue.IsZero(), "an order without lines is worth nothing, and still listed")
	assert.Equal(t, "SO-1003", rows[2].ID)
	assert.Equal(t, "GBP", rows[2].Currency)
	assert.Equal(t, "2026-11-02", rows[2].PromisedDate.Format(time.DateOnly))
	assert.True(t, rows[2].BackorderValue.Equal(decimal.RequireFromString("0.30000000000000000003")), "exact: %s", rows[2].BackorderValue)

	rows, err = s.OverdueBackorders(ctx, asOf, "SO-1001", 1)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, "SO-1002", rows[0].ID)

	// Promised on 2026-11-01 is not overdue on 2026-11-01.
	rows, err = s.OverdueBackorders(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "", 10)
	require.NoError(t, err)
	assert.Empty(t, rows)
}

func TestClosedOrdersWithOpenIncidentsListsAnOrderOnce(t *testing.T) {
	s, ctx := processStore(t)
	for _, ep := range []string{"ep-a", "ep-b"} {
		_, err := s.OpenIncident(ctx, store.Incident{EpisodeKey: ep, OrderID: "SO-1001", BackorderValue: decimal.RequireFromString("39.98"),
			Currency: "USD", ETA: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), MitigationPlan: "plan"})
		require.NoError(t, err)
	}
	require.NoError(t, s.SetOrderStatus(ctx, "SO-1001", "Cancelled"))
	rows, err := s.ClosedOrdersWithOpenIncidents(ctx, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []store.ClosedOrder{{ID: "SO-1001", Status: "Cancelled"}}, rows)
}

// planIndexes lists the index names anywhere in an EXPLAIN (FORMAT JSON)
// plan, and the relations scanned sequentially.
func planIndexes(t *testing.T, planJSON []byte) (indexes, seqScans []string) {
	t.Helper()
	var plans []struct{ Plan map[string]any }
	require.NoError(t, json.Unmarshal(planJSON, &plans))
	require.Len(t, plans, 1)
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if name, ok := n["Index Name"].(string); ok {
			indexes = append(indexes, name)
		}
		if n["Node Type"] == "Seq Scan" {
			rel, _ := n["Relation Name"].(string)
			seqScans = append(seqScans, rel)
		}
		children, _ := n["Plans"].([]any)
		for _, c := range children {
			if m, ok := c.(map[string]any); ok {
				walk(m)
			}
		}
	}
	walk(plans[0].Plan)
	return indexes, seqScans
}

// TestOverdueQueryUsesPartialIndex: on a realistically sized database the
// sweep's page query walks orders_backordered_idx in id order instead of
// scanning and sorting every order.
//
// This checks the custom plan, made for the values at hand. Once pgx has run
// the cached statement five times Postgres may switch to its generic plan,
// which follows the statistics: on this data (7.5% of orders overdue) it
// walks orders_pkey and filters, on sparse backorders it uses the partial
// index too; it is not asserted here.
func TestOverdueQueryUsesPartialIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 20,000 orders")
	}
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	const orders, overdue, page = 20_000, 1_500, 500
	_, err := s.Seed(ctx, store.SeedOptions{Orders: orders, Overdue: overdue, AsOf: seedAsOf, Seed: 11})
	require.NoError(t, err)

	for _, after := range []string{"", "SO-0010000"} {
		plan, err := s.ExplainOverdueBackorders(ctx, seedAsOf, after, page)
		require.NoError(t, err)
		indexes, seqScans := planIndexes(t, []byte(plan))
		assert.Contains(t, indexes, "orders_backordered_idx", "after %q: %s", after, plan)
		assert.NotContains(t, seqScans, "orders", "after %q: %s", after, plan)
	}

	// And paging through finds every overdue order once, in id order.
	var ids []string
	after := ""
	for {
		rows, err := s.OverdueBackorders(ctx, seedAsOf, after, page)
		require.NoError(t, err)
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			if len(ids) > 0 {
				require.Greater(t, r.ID, ids[len(ids)-1])
			}
			ids = append(ids, r.ID)
			require.True(t, r.PromisedDate.Before(seedAsOf))
			require.True(t, r.BackorderValue.IsPositive(), "%s has stock outstanding", r.ID)
		}
		after = rows[len(rows)-1].ID
	}
	assert.Len(t, ids, overdue)
}

// TestClosingAnOrderReadsOnlyItsOpenTasks: CloseEpisode marks the order's
// open tasks obsolete through tasks_open_by_order_idx, in the generic plan
// pgx's cached statement ends up with, both before the table has
// statistics (just filled by a sweep, no ANALYZE yet) and after. Without
// that index a planner without statistics combined tasks_order_idx with
// tasks_open_idx and read every open task's entry for each order closed.
func TestClosingAnOrderReadsOnlyItsOpenTasks(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 20,000 orders")
	}
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.Seed(ctx, store.SeedOptions{Orders: 20_000, Overdue: 1_500, AsOf: seedAsOf, Seed: 11})
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, `INSERT INTO tasks (idem_key, order_id, role, title)
		SELECT 'bench-' || id || '-' || role, id, role, 'task' FROM orders, unnest(ARRAY['procurement', 'inventory_clerk']) AS role`)
	require.NoError(t, err)

	conn, err := s.Pool().Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	_, err = conn.Exec(ctx, "SET plan_cache_mode = force_generic_plan")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "PREPARE obsolete_open_tasks AS "+store.ObsoleteOpenTasksSQL)
	require.NoError(t, err)
	for _, when := range []string{"without statistics", "after ANALYZE"} {
		if when == "after ANALYZE" {
			_, err = conn.Exec(ctx, "ANALYZE tasks")
			require.NoError(t, err)
		}
		var plan []byte
		require.NoError(t, conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE obsolete_open_tasks('SO-0000001')").Scan(&plan))
		indexes, seqScans := planIndexes(t, plan)
		assert.Equal(t, []string{"tasks_open_by_order_idx"}, indexes, "%s: %s", when, plan)
		assert.Empty(t, seqScans, "%s: %s", when, plan)
	}
}
