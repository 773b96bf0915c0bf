package store_test

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/report"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

var reportOrders = flag.Int("report-orders", 100_000,
	"orders BenchmarkWeeklyReport seeds; the target is 1000000 in under 2s a report on 2 cores")

// benchHistory gives the seeded orders a backorder history as of $1: every
// overdue backorder an open incident, a quarter of the orders fulfilled in
// the last 70 days a resolved one, each incident its lines, a customer
// notice and a procurement task. Offsets come from hashes of the order id,
// so the history is the same on every run.
var benchHistory = []string{`
	INSERT INTO incidents (episode_key, order_id, status, delay_days, backorder_value, currency, eta,
	                       lead_times, used_default_lead_time, mitigation_plan, opened_at, resolved_at, promised_date)
	SELECT 'bench/' || o.id, o.id, CASE WHEN o.status = 'Fulfilled' THEN 'resolved' ELSE 'open' END, 1, 0, o.currency,
	       o.promised_date + 14, '[]', false, '', x.opened,
	       CASE WHEN o.status = 'Fulfilled' THEN x.opened + (abs(hashtext(o.id || 'r')) % 400) * interval '1 hour' END,
	       o.promised_date
	FROM orders o
	CROSS JOIN LATERAL (SELECT (o.promised_date + 1)::timestamptz + (abs(hashtext(o.id)) % 48) * interval '1 hour' AS opened) x
	WHERE (o.status = 'Backordered' AND o.promised_date < $1::date)
	   OR (o.status = 'Fulfilled' AND o.promised_date >= $1::date - 70 AND abs(hashtext(o.id)) % 4 = 0)`, `
	INSERT INTO incident_lines (incident_id, line_no, sku, product_name, supplier_id, supplier_name,
	                            backordered_quantity, unit_price, value)
	SELECT i.id, l.line_no, l.sku, p.name, s.id, s.name, greatest(l.backordered_quantity, 1), l.unit_price,
	       greatest(l.backordered_quantity, 1) * l.unit_price
	FROM incidents i
	JOIN order_lines l ON l.order_id = i.order_id
	JOIN products p ON p.sku = l.sku
	JOIN suppliers s ON s.id = p.supplier_id`, `
	INSERT INTO notifications (key, order_id, incident_id, channel, recipient, body, status, sent_at)
	SELECT i.id || '/customer-eta/v1', i.order_id, i.id, 'email', i.order_id || '@example.com', 'body', 'recorded',
	       i.opened_at + interval '1 hour'
	FROM incidents i`, `
	INSERT INTO tasks (idem_key, order_id, incident_id, role, title, status, created_at, completed_at)
	SELECT i.episode_key || '/procurement_manager', i.order_id, i.id, 'procurement_manager', 'task',
	       CASE WHEN i.resolved_at IS NULL THEN 'open' ELSE 'obsolete' END, i.opened_at, i.resolved_at
	FROM incidents i`,
	`ANALYZE`,
}

// BenchmarkWeeklyReport times one report over seeded orders and their
// backorder history (-report-orders sets how many orders; seeding a
// million takes a few minutes, the report itself is what is timed).
func BenchmarkWeeklyReport(b *testing.B) {
	s, _ := pgtest.NewStore(b)
	ctx := context.Background()
	_, err := s.Seed(ctx, store.SeedOptions{Orders: *reportOrders, Overdue: *reportOrders / 20, AsOf: seedAsOf, Seed: 1})
	require.NoError(b, err)
	for i, sql := range benchHistory {
		var args []any
		if i == 0 {
			args = append(args, seedAsOf)
		}
		_, err = s.Pool().Exec(ctx, sql, args...)
		require.NoError(b, err)
	}
	var incidents int
	require.NoError(b, s.Pool().QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&incidents))

	week := report.WeekOf(seedAsOf, time.UTC)
	now := seedAsOf.Add(36 * time.Hour) // in the week, like the on-demand default
	var r report.Report
	for b.Loop() {
		r, err = s.WeeklyReport(ctx, week, time.UTC, now)
		require.NoError(b, err)
	}
	require.NotZero(b, r.OpenCount)
	b.ReportMetric(float64(incidents), "incidents")
	b.ReportMetric(float64(r.OpenCount), "open")
}
