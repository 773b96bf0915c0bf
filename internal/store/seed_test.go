package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

var seedAsOf = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func TestSeed(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	var calls, lastDone int
	sum, err := s.Seed(ctx, store.SeedOptions{
		Orders: 2000, Overdue: 150, AsOf: seedAsOf, Seed: 7,
		Progress: func(done, total int) {
			calls++
			lastDone = done
			assert.Equal(t, 2000, total)
		},
	})
	require.NoError(t, err)
	assert.Equal(t, 1, calls, "one chunk")
	assert.Equal(t, 2000, lastDone)
	assert.Equal(t, 2000, sum.Orders)
	assert.Equal(t, 150, sum.Overdue)
	assert.Equal(t, 50, sum.Suppliers)
	assert.Equal(t, 500, sum.Products)
	assert.Equal(t, 200, sum.Customers)
	assert.Equal(t, [5]int{50, 500, 200, 2000, sum.Lines}, counts(t, s))

	q := func(sql string, args ...any) int {
		t.Helper()
		var n int
		require.NoError(t, s.Pool().QueryRow(ctx, sql, args...).Scan(&n), sql)
		return n
	}
	assert.Equal(t, 150, q(`SELECT count(*) FROM orders WHERE status = 'Backordered' AND promised_date < $1`, seedAsOf))
	assert.Equal(t, 150, q(`SELECT count(*) FROM orders o WHERE status = 'Backordered' AND promised_date < $1
		AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.backordered_quantity > 0)`, seedAsOf),
		"every overdue order has stock outstanding")
	assert.Zero(t, q(`SELECT count(*) FROM orders WHERE status = 'Backordered' AND promised_date < $1::date - 90`, seedAsOf))
	assert.Positive(t, q(`SELECT count(*) FROM orders WHERE status = 'Backordered' AND promised_date >= $1`, seedAsOf),
		"some backorders are not due yet")
	assert.Zero(t, q(`SELECT count(*) FROM orders o WHERE status = 'Backordered'
		AND NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND l.backordered_quantity > 0)`))
	assert.Zero(t, q(`SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id
		WHERE o.status <> 'Backordered' AND l.backordered_quantity > 0`), "only backorders have stock outstanding")
	for _, status := range []string{"Pending", "Fulfilled", "Cancelled"} {
		assert.Positive(t, q(`SELECT count(*) FROM orders WHERE status = $1`, status), status)
	}

	// ceil(150/20) overdue orders are worth more than the 1000.00 SMS
	// threshold; the rest are not.
	assert.Equal(t, 8, q(`SELECT count(*) FROM (
		SELECT o.id FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.status = 'Backordered' AND o.promised_date < $1
		GROUP BY o.id HAVING sum(l.backordered_quantity * l.unit_price) > 1000.00) v`, seedAsOf))

	assert.Zero(t, q(`SELECT count(*) FROM orders WHERE id !~ '^SO-[0-9]{7}$'`))
	assert.Zero(t, q(`SELECT count(*) FROM (SELECT order_id FROM order_lines GROUP BY order_id HAVING count(*) NOT BETWEEN 1 AND 3) x`))
	assert.Zero(t, q(`SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)`))
	assert.Zero(t, q(`SELECT count(*) FROM order_lines WHERE unit_price < 2.00 OR unit_price > 900.00 OR scale(unit_price) <> 2`))
	assert.Zero(t, q(`SELECT count(*) FROM (SELECT order_id, sku FROM order_lines GROUP BY 1, 2 HAVING count(*) > 1) x`),
		"no product twice on one order")
	assert.Zero(t, q(`SELECT count(*) FROM orders WHERE currency NOT IN ('USD', 'EUR', 'GBP')`))
	assert.Greater(t, q(`SELECT count(*) FROM orders WHERE currency = 'USD'`), 1500)
	assert.Positive(t, q(`SELECT count(*) FROM suppliers WHERE lead_time_days IS NULL`))
	assert.Zero(t, q(`SELECT count(*) FROM suppliers WHERE lead_time_days NOT BETWEEN 5 AND 30`))
	assert.Positive(t, q(`SELECT count(*) FROM products WHERE lead_time_days IS NULL`))
	assert.Positive(t, q(`SELECT count(*) FROM products WHERE lead_time_days IS NOT NULL`))
	assert.Greater(t, q(`SELECT count(*) FROM customers WHERE phone ~ '^\+1[2-9][0-9]{2}55501[0-9]{2}$'`), 150)
	assert.Zero(t, q(`SELECT count(*) FROM customers WHERE phone IS NOT NULL AND phone !~ '^\+1[0-9]{10}$'`))
	assert.Zero(t, q(`SELECT count(*) FROM customers WHERE email !~ '^[a-z]+\.[a-z]+@example\.com$'`))

	// The foreign keys are enforced by the schema; check anyway that the
	// rows all joined up.
	assert.Zero(t, q(`SELECT count(*) FROM order_lines l LEFT JOIN products p ON p.sku = l.sku LEFT JOIN orders o ON o.id = l.order_id
		WHERE p.sku IS NULL OR o.id IS NULL`))
	assert.Zero(t, q(`SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL`))
	assert.Zero(t, q(`SELECT count(*) FROM products p LEFT JOIN suppliers s ON s.id = p.supplier_id WHERE s.id IS NULL`))
}

// fingerprint hashes every seeded row, workflow columns aside.
func fingerprint(t *testing.T, s *store.Store) string {
	t.Helper()
	var h string
	require.NoError(t, s.Pool().QueryRow(context.Background(), `SELECT md5(concat(
		(SELECT string_agg(concat_ws('|', id, name, email, lead_time_days), ',' ORDER BY id) FROM suppliers),
		(SELECT string_agg(concat_ws('|', sku, name, supplier_id, lead_time_days), ',' ORDER BY sku) FROM products),
		(SELECT string_agg(concat_ws('|', id, name, email, phone), ',' ORDER BY id) FROM customers),
		(SELECT string_agg(concat_ws('|', id, customer_id, status, promised_date, currency), ',' ORDER BY id) FROM orders),
		(SELECT string_agg(concat_ws('|', order_id, line_no, sku, quantity, backordered_quantity, unit_price), ',' ORDER BY order_id, line_no) FROM order_lines)))`).
		Scan(&h))
	return h
}

func TestSeedIsDeterministic(t *testing.T) {
	ctx := context.Background()
	opts := store.SeedOptions{Orders: 500, Overdue: 40, AsOf: seedAsOf, Seed: 42}
	var prints []string
	for range 2 {
		s, _ := pgtest.NewStore(t)
		_, err := s.Seed(ctx, opts)
		require.NoError(t, err)
		prints = append(prints, fingerprint(t, s))
	}
	assert.Equal(t, prints[0], prints[1], "the same seed gives the same data")

	s, _ := pgtest.NewStore(t)
	opts.Seed = 43
	_, err := s.Seed(ctx, opts)
	require.NoError(t, err)
	assert.NotEqual(t, prints[0], fingerprint(t, s), "another seed gives other data")
}

func TestSeedAppends(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.Seed(ctx, store.SeedOptions{Orders: 300, Overdue: 10, AsOf: seedAsOf, Seed: 1})
	require.NoError(t, err)
	sum, err := s.Seed(ctx, store.SeedOptions{Orders: 300, Overdue: 10, AsOf: seedAsOf, Seed: 1})
	require.NoError(t, err)

	assert.Zero(t, sum.Suppliers+sum.Products+sum.Customers, "reference data is reused")
	assert.Equal(t, 300, sum.Orders)
	var n int
	var last string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*), max(id) FROM orders`).Scan(&n, &last))
	assert.Equal(t, 600, n)
	assert.Equal(t, "SO-0000600", last)
}

func TestSeedNoOrders(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	called := false
	sum, err := s.Seed(context.Background(), store.SeedOptions{AsOf: seedAsOf, Progress: func(int, int) { called = true }})
	require.NoError(t, err)
	assert.False(t, called)
	assert.Equal(t, store.SeedSummary{Suppliers: 50, Products: 500, Customers: 100, Elapsed: sum.Elapsed}, sum)
	assert.Equal(t, [5]int{50, 500, 100, 0, 0}, counts(t, s))
}

func TestSeedRejectsBadOptions(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	for _, opts := range []store.SeedOptions{
		{Orders: -1, AsOf: seedAsOf},
		{Orders: 10, Overdue: 11, AsOf: seedAsOf},
		{Orders: 10, Overdue: -1, AsOf: seedAsOf},
		{Orders: 10},
	} {
		_, err := s.Seed(context.Background(), opts)
		assert.Error(t, err, "%+v", opts)
	}
	assert.Equal(t, [5]int{}, counts(t, s))
}

func BenchmarkSeed(b *testing.B) {
	s, _ := pgtest.NewStore(b)
	ctx := context.Background()
	var seed int64
	for b.Loop() {
		seed++ // each iteration appends another 10,000 orders
		_, err := s.Seed(ctx, store.SeedOptions{Orders: 10_000, Overdue: 500, AsOf: seedAsOf, Seed: seed})
		require.NoError(b, err)
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "orders/s")
}
