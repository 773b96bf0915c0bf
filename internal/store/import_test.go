package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// dataset is a small consistent import: one of everything, two lines.
func dataset() store.Dataset {
	return store.Dataset{
		Suppliers: []store.Supplier{{ID: "SUP-1", Name: "Acme Parts", Email: "orders@acme.example", LeadTimeDays: new(14)}},
		Products: []store.Product{
			{SKU: "SKU-1", Name: "Widget", SupplierID: "SUP-1", LeadTimeDays: new(10)},
			{SKU: "SKU-2", Name: "Gadget", SupplierID: "SUP-1"},
		},
		Customers: []store.Customer{{ID: "C-1", Name: "Jane Doe", Email: "jane@example.com", Phone: new("+14155552671")}},
		Orders: []store.Order{{
			ID: "SO-1001", CustomerID: "C-1", Status: "Backordered",
			PromisedDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Currency: "USD",
			Lines: []store.OrderLine{
				{SKU: "SKU-1", Quantity: 3, BackorderedQuantity: 2, UnitPrice: decimal.RequireFromString("19.99")},
				{SKU: "SKU-2", Quantity: 1, BackorderedQuantity: 0, UnitPrice: decimal.RequireFromString("0.10000000000000000001")},
			},
		}},
	}
}

// counts is the number of rows in each imported table.
func counts(t *testing.T, s *store.Store) [5]int {
	t.Helper()
	var n [5]int
	require.NoError(t, s.Pool().QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM suppliers), (SELECT count(*) FROM products), (SELECT count(*) FROM customers),
		(SELECT count(*) FROM orders), (SELECT count(*) FROM order_lines)`).Scan(&n[0], &n[1], &n[2], &n[3], &n[4]))
	return n
}

func TestImportLands(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()

	sum, err := s.Import(ctx, dataset())
	require.NoError(t, err)
	assert.Equal(t, store.ImportSummary{Suppliers: 1, Products: 2, Customers: 1, Orders: 1, Lines: 2}, sum)
	assert.Equal(t, [5]int{1, 2, 1, 1, 2}, counts(t, s))

	var (
		supplierLead, productLead *int
		phone, status, currency   string
		promised                  time.Time
	)
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT s.lead_time_days, p.lead_time_days FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE p.sku = 'SKU-2'`).
		Scan(&supplierLead, &productLead))
	assert.Equal(t, 14, *supplierLead)
	assert.Nil(t, productLead, "no product lead time is stored as NULL")
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT phone FROM customers WHERE id = 'C-1'`).Scan(&phone))
	assert.Equal(t, "+14155552671", phone)
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT status, promised_date, currency FROM orders WHERE id = 'SO-1001'`).
		Scan(&status, &promised, &currency))
	assert.Equal(t, "Backordered", status)
	assert.Equal(t, "2026-11-01", promised.Format(time.DateOnly))
	assert.Equal(t, "USD", currency)

	rows, err := s.Pool().Query(ctx, `SELECT line_no || ' ' || sku || ' ' || quantity || ' ' || backordered_quantity || ' ' || unit_price
		FROM order_lines WHERE order_id = 'SO-1001' ORDER BY line_no`)
	require.NoError(t, err)
	var lines []string
	for rows.Next() {
		var l string
		require.NoError(t, rows.Scan(&l))
		lines = append(lines, l)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"1 SKU-1 3 2 19.99", "2 SKU-2 1 0 0.10000000000000000001"}, lines, "prices are stored exactly")
}

func TestReimportUpdates(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.Import(ctx, dataset())
	require.NoError(t, err)
	// The workflow's own bookkeeping must survive a re-import.
	_, err = s.Pool().Exec(ctx, `UPDATE orders SET last_checked_at = '2026-11-05T10:00:00Z', current_status = 'escalated' WHERE id = 'SO-1001'`)
	require.NoError(t, err)

	d := dataset()
	d.Customers[0].Name = "Jane Smith"
	d.Customers[0].Phone = nil
	d.Products[0].LeadTimeDays = nil
	d.Orders[0].Status = "Fulfilled"
	d.Orders[0].Lines = []store.OrderLine{{SKU: "SKU-2", Quantity: 5, BackorderedQuantity: 0, UnitPrice: decimal.RequireFromString("7.50")}}
	_, err = s.Import(ctx, d)
	require.NoError(t, err)

	assert.Equal(t, [5]int{1, 2, 1, 1, 1}, counts(t, s), "the order's lines are replaced, not added to")
	var (
		name            string
		phone, lead     *string
		status, current string
		checked         *time.Time
		line            string
	)
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT name, phone FROM customers WHERE id = 'C-1'`).Scan(&name, &phone))
	assert.Equal(t, "Jane Smith", name)
	assert.Nil(t, phone)
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT lead_time_days::text FROM products WHERE sku = 'SKU-1'`).Scan(&lead))
	assert.Nil(t, lead)
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT status, current_status, last_checked_at FROM orders WHERE id = 'SO-1001'`).
		Scan(&status, &current, &checked))
	assert.Equal(t, "Fulfilled", status)
	assert.Equal(t, "escalated", current)
	require.NotNil(t, checked)
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT line_no || ' ' || sku || ' ' || quantity || ' ' || unit_price FROM order_lines`).Scan(&line))
	assert.Equal(t, "1 SKU-2 5 7.50", line)
}

func TestImportWithABadReferenceWritesNothing(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	d := dataset()
	d.Orders[0].Lines[1].SKU = "SKU-404"
	d.Products[1].SupplierID = "SUP-404"

	_, err := s.Import(context.Background(), d)
	var verr *store.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []string{
		`products[1].supplier_id: supplier "SUP-404" is neither in the file nor in the database`,
		`orders[0].lines[1].sku: product "SKU-404" is neither in the file nor in the database`,
	}, verr.Problems)
	assert.Contains(t, err.Error(), "import rejected: 2 problems (nothing was written)")
	assert.Equal(t, [5]int{}, counts(t, s))
}

func TestImportAcceptsReferencesToStoredRows(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.Import(ctx, dataset())
	require.NoError(t, err)

	// A second file with only a product and an order, leaning on the
	// supplier, customer and product the first file stored.
	later := store.Dataset{
		Products: []store.Product{{SKU: "SKU-3", Name: "Sprocket", SupplierID: "SUP-1"}},
		Orders: []store.Order{{
			ID: "SO-1002", CustomerID: "C-1", Status: "Pending",
			PromisedDate: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Currency: "EUR",
			Lines: []store.OrderLine{
				{SKU: "SKU-1", Quantity: 1, UnitPrice: decimal.RequireFromString("2.00")},
				{SKU: "SKU-3", Quantity: 2, UnitPrice: decimal.RequireFromString("3.00")},
			},
		}},
	}
	sum, err := s.Import(ctx, later)
	require.NoError(t, err)
	assert.Equal(t, store.ImportSummary{Products: 1, Orders: 1, Lines: 2}, sum)
	assert.Equal(t, [5]int{1, 3, 1, 2, 4}, counts(t, s))
}

func TestImportLargeFileCrossesBatches(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	d := dataset()
	base := d.Orders[0]
	d.Orders = nil
	for i := range 3000 { // three statements each: more than one batch
		o := base
		o.ID = fmt.Sprintf("SO-%d", i)
		o.Lines = base.Lines[:1]
		d.Orders = append(d.Orders, o)
	}
	sum, err := s.Import(context.Background(), d)
	require.NoError(t, err)
	assert.Equal(t, 3000, sum.Orders)
	assert.Equal(t, [5]int{1, 2, 1, 3000, 3000}, counts(t, s))
}
