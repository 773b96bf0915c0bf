package activities_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// An order row whose id Temporal refuses (1,100 characters: the import
// refuses such ids now, but a row can come by another route) used to fail
// the sweep's start activity on every retry, and so every later sweep.
// Against a real dev server and database: the refusal is recorded on that
// order, counted, and the rest of the page is started.
func TestStartBackorderWorkflowsSkipsAnOrderTemporalRefuses(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Temporal dev server: the integration tier, skipped with -short (make check)")
	}
	if _, err := devstack.TemporalCLIPath(); err != nil {
		t.Fatalf("the Temporal CLI is needed for this test: %v", err)
	}
	ctx := context.Background()
	s, _ := pgtest.NewStore(t)
	_, err := s.Import(ctx, store.Dataset{
		Suppliers: []store.Supplier{{ID: "SUP-1", Name: "Acme Parts", Email: "parts@example.com"}},
		Products:  []store.Product{{SKU: "SKU-1", Name: "Widget", SupplierID: "SUP-1"}},
		Customers: []store.Customer{{ID: "C-1", Name: "Jane Doe", Email: "jane@example.com"}},
		Orders: []store.Order{{ID: "SO-OK", CustomerID: "C-1", Status: "Backordered", Currency: "USD",
			PromisedDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			Lines:        []store.OrderLine{{SKU: "SKU-1", Quantity: 2, BackorderedQuantity: 2, UnitPrice: decimal.RequireFromString("19.99")}}}},
	})
	require.NoError(t, err)
	long := "SO-" + strings.Repeat("9", 1097)
	for _, sql := range []string{
		`INSERT INTO orders (id, customer_id, status, promised_date, currency) VALUES ($1, 'C-1', 'Backordered', '2026-11-01', 'USD')`,
		`INSERT INTO order_lines (order_id, line_no, sku, quantity, backordered_quantity, unit_price) VALUES ($1, 1, 'SKU-1', 1, 1, 5)`,
	} {
		_, err = s.Pool().Exec(ctx, sql, long)
		require.NoError(t, err)
	}

	server, err := testsuite.StartDevServer(ctx, devstack.DevServerOptions(t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = server.Stop() })
	c := server.Client()
	acts := &activities.Activities{Store: s, Temporal: activities.Temporal{Client: c, TaskQueue: "start-test"},
		Settings: activities.Settings{Location: time.UTC}}
	suite := testsuite.WorkflowTestSuite{}
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)

	// The page as the sweep reads it: both orders.
	val, err := env.ExecuteActivity(acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: "2026-11-27", Limit: 500})
	require.NoError(t, err)
	var page []contract.OverdueOrder
	require.NoError(t, val.Get(&page))
	require.Len(t, page, 2)

	val, err = env.ExecuteActivity(acts.StartBackorderWorkflows, contract.StartBackordersInput{AsOf: "2026-11-27", Orders: page})
	require.NoError(t, err, "a refused start must not fail the page")
	var res contract.StartBackordersResult
	require.NoError(t, val.Get(&res))
	assert.Equal(t, []int{2, 1, 0, 1}, []int{res.Next, res.Started, res.AlreadyRunning, res.NotStarted})
	assert.Equal(t, []string{"SO-OK"}, res.StartedIDs)

	_, err = c.DescribeWorkflow(ctx, contract.BackorderWorkflowID("SO-OK"), "")
	require.NoError(t, err, "the rest of the page is started")

	var status string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT current_status FROM orders WHERE id = $1`, long).Scan(&status))
	assert.True(t, strings.HasPrefix(status, contract.CurrentStatusNotStarted+": Temporal refused its workflow as invalid ("), status)
	assert.Contains(t, status, "An order id must be at most 128 characters")

	// A re-run (the next sweep) refuses it again, and again goes on.
	val, err = env.ExecuteActivity(acts.StartBackorderWorkflows, contract.StartBackordersInput{AsOf: "2026-11-27", Orders: page})
	require.NoError(t, err)
	require.NoError(t, val.Get(&res))
	assert.Equal(t, []int{2, 0, 1, 1}, []int{res.Next, res.Started, res.AlreadyRunning, res.NotStarted})
}
