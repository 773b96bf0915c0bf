package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/report"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// The report fixture lives in New York, and its week, 2025-W10 (Monday 3
// March 00:00 EST to Monday 10 March 00:00 EDT), holds the start of
// daylight saving time. Its figures are measured on 2025-03-10: every
// promised date below is named by its days past that date.
var newYork = mustLocation("America/New_York")

var w10 = report.Week{Year: 2025, Number: 10}

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// ny reads "2025-03-04 10:00" as New York wall-clock time.
func ny(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, newYork)
	if err != nil {
		panic(err)
	}
	return t
}

type fxLine struct {
	sku   string
	qty   int
	price string
}

type fxIncident struct {
	id, currency string
	opened       time.Time
	// closed is zero while open; status says how it closed.
	closed   time.Time
	status   string
	promised string // "" : none on record
	lines    []fxLine
}

// Supplier of each SKU.
var skuSupplier = map[string]string{"SKU-A": "S1", "SKU-B": "S2", "SKU-C": "S2", "SKU-D": "S3", "SKU-E": "S3", "SKU-F": "S1"}

// fixtureIncidents: FX-01..FX-08 sit on the aging bucket edges at week end
// (7/8, 14/15, 30/31, 60/61 days); the others open, close and cross the
// week's boundaries.
func fixtureIncidents() []fxIncident {
	l := func(sku string, qty int, price string) fxLine { return fxLine{sku, qty, price} }
	return []fxIncident{
		{id: "FX-01", currency: "USD", opened: ny("2025-03-04 10:00"), promised: "2025-03-03", lines: []fxLine{l("SKU-A", 2, "10.00")}},                          // 7 days
		{id: "FX-02", currency: "USD", opened: ny("2025-03-03 00:00"), promised: "2025-03-02", lines: []fxLine{l("SKU-B", 1, "5.50")}},                           // 8 days; opened at the week's first instant
		{id: "FX-03", currency: "EUR", opened: ny("2025-02-25 09:00"), promised: "2025-02-24", lines: []fxLine{l("SKU-A", 3, "7.25")}},                           // 14 days
		{id: "FX-04", currency: "USD", opened: ny("2025-02-24 09:00"), promised: "2025-02-23", lines: []fxLine{l("SKU-C", 1, "100.00"), l("SKU-A", 1, "10.00")}}, // 15 days
		{id: "FX-05", currency: "USD", opened: ny("2025-02-10 08:00"), promised: "2025-02-08", lines: []fxLine{l("SKU-D", 4, "0.125")}},                          // 30 days
		{id: "FX-06", currency: "EUR", opened: ny("2025-02-10 09:00"), promised: "2025-02-07", lines: []fxLine{l("SKU-C", 2, "50.00")}},                          // 31 days
		{id: "FX-07", currency: "USD", opened: ny("2025-01-14 12:00"), promised: "2025-01-09", lines: []fxLine{l("SKU-E", 1, "1000.00")}},                        // 60 days
		{id: "FX-08", currency: "USD", opened: ny("2025-01-14 13:00"), promised: "2025-01-08", lines: []fxLine{l("SKU-B", 10, "5.50"), l("SKU-F", 1, "0.25")}},   // 61 days
		// Sunday 23:30 EDT: Monday 03:30 in UTC, yet still in W10 here.
		{id: "FX-09", currency: "EUR", opened: ny("2025-03-09 23:30"), promised: "2025-03-05", lines: []fxLine{l("SKU-E", 1, "200.00")}},
		// Opened at the week's end: W11.
		{id: "FX-10", currency: "USD", opened: ny("2025-03-10 00:00"), promised: "2025-03-01", lines: []fxLine{l("SKU-A", 1, "10.00")}},
		// Resolved exactly at the week's end: still open at it.
		{id: "FX-11", currency: "USD", opened: ny("2025-02-20 10:00"), closed: ny("2025-03-10 00:00"), status: "resolved", promised: "2025-02-18", lines: []fxLine{l("SKU-B", 2, "5.50")}},
		{id: "FX-12", currency: "USD", opened: ny("2025-02-03 10:00"), closed: ny("2025-02-05 22:00"), status: "resolved", promised: "2025-02-01", lines: []fxLine{l("SKU-A", 1, "10.00")}},
		{id: "FX-13", currency: "EUR", opened: ny("2025-02-04 10:00"), closed: ny("2025-02-11 10:00"), status: "resolved", promised: "2025-02-01", lines: []fxLine{l("SKU-C", 1, "50.00")}},
		{id: "FX-14", currency: "USD", opened: ny("2025-02-26 10:00"), closed: ny("2025-03-05 16:00"), status: "resolved", promised: "2025-02-20", lines: []fxLine{l("SKU-A", 1, "10.00")}},
		{id: "FX-15", currency: "USD", opened: ny("2025-03-01 10:00"), closed: ny("2025-03-06 10:00"), status: "resolved", promised: "2025-02-20", lines: []fxLine{l("SKU-D", 8, "0.125")}},
		{id: "FX-16", currency: "USD", opened: ny("2025-02-27 10:00"), closed: ny("2025-03-07 10:00"), status: "cancelled", promised: "2025-02-20", lines: []fxLine{l("SKU-B", 1, "5.50")}},
		// Before the trend's weeks, resolved in its first.
		{id: "FX-17", currency: "USD", opened: ny("2025-01-02 10:00"), closed: ny("2025-01-15 10:00"), status: "resolved", promised: "2024-12-30", lines: []fxLine{l("SKU-A", 1, "10.00")}},
		// Opened before dates and lines were captured.
		{id: "FX-18", currency: "USD", opened: ny("2025-02-12 10:00")},
	}
}

// seedReportFixture writes reference data, one order per incident (whose
// own promised date and lines say otherwise, to prove they are not read),
// the incidents with their lines, messages and tasks.
func seedReportFixture(t testing.TB, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	incidents := fixtureIncidents()
	data := store.Dataset{
		Suppliers: []store.Supplier{
			{ID: "S1", Name: "Acme Parts", Email: "s1@example.com"},
			{ID: "S2", Name: "Bolt & Co", Email: "s2@example.com"},
			{ID: "S3", Name: "Cogs Ltd", Email: "s3@example.com"},
		},
		Customers: []store.Customer{{ID: "C1", Name: "Alice", Email: "alice@example.com"}},
	}
	for _, sku := range []string{"SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E", "SKU-F"} {
		data.Products = append(data.Products, store.Product{SKU: sku, Name: "Product " + sku[4:], SupplierID: skuSupplier[sku]})
	}
	for _, in := range incidents {
		data.Orders = append(data.Orders, store.Order{
			ID: "O-" + in.id, CustomerID: "C1", Status: "Backordered", PromisedDate: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Currency: in.currency,
			Lines: []store.OrderLine{{SKU: "SKU-F", Quantity: 99, BackorderedQuantity: 99, UnitPrice: decimal.RequireFromString("99999")}},
		})
	}
	_, err := s.Import(ctx, data)
	require.NoError(t, err)

	db := s.Pool()
	for _, in := range incidents {
		var closed *time.Time
		if !in.closed.IsZero() {
			closed = &in.closed
		}
		status := "open"
		if in.status != "" {
			status = in.status
		}
		var promised *string
		if in.promised != "" {
			promised = &in.promised
		}
		_, err := db.Exec(ctx, `
			INSERT INTO incidents (id, episode_key, order_id, status, delay_days, backorder_value, currency, eta,
			                       lead_times, used_default_lead_time, mitigation_plan, opened_at, resolved_at, promised_date)
			VALUES ($1, $1, 'O-' || $1, $2, 1, 0, $3, '2025-04-01', '[]', false, 'plan', $4, $5, $6)`,
			in.id, status, in.currency, in.opened, closed, promised)
		require.NoError(t, err)
		for n, l := range in.lines {
			_, err := db.Exec(ctx, `
				INSERT INTO incident_lines (incident_id, line_no, sku, product_name, supplier_id, supplier_name,
				                            backordered_quantity, unit_price, value)
				SELECT $1, $2, p.sku, p.name, s.id, s.name, $3::integer, $4::numeric, $3::integer * $4::numeric
				FROM products p JOIN suppliers s ON s.id = p.supplier_id WHERE p.sku = $5`,
				in.id, n+1, l.qty, l.price, l.sku)
			require.NoError(t, err)
		}
	}

	// Escalations: two in W10 (one resolved since), one in W09, one after
	// the week, none counted twice.
	for id, at := range map[string]time.Time{
		"FX-01": ny("2025-03-05 09:00"), "FX-14": ny("2025-03-04 09:00"),
		"FX-06": ny("2025-02-26 10:00"), "FX-07": ny("2025-03-10 01:00"),
	} {
		_, err := db.Exec(ctx, `UPDATE incidents SET escalated_at = $2 WHERE id = $1`, id, at)
		require.NoError(t, err)
	}

	for _, m := range []struct {
		key, incident, channel, to string
		sent                       time.Time
	}{
		{"FX-01/customer-eta/v1", "FX-01", "email", "alice@example.com", ny("2025-03-04 11:00")},
		{"FX-01/customer-eta/v2", "FX-01", "email", "alice@example.com", ny("2025-03-06 11:00")}, // the same customer again
		{"FX-02/customer-eta/v1", "FX-02", "email", "bob@example.com", ny("2025-03-03 00:30")},
		{"FX-09/customer-eta/v1", "FX-09", "email", "carol@example.com", ny("2025-03-09 23:45")}, // Monday in UTC
		{"FX-10/customer-eta/v1", "FX-10", "email", "dave@example.com", ny("2025-03-10 00:00")},  // W11
		{"FX-03/customer-eta/v1", "FX-03", "email", "eve@example.com", ny("2025-03-02 18:00")},   // W09
		{"FX-07/warehouse-sms", "FX-07", "sms", "+15555550100", ny("2025-03-05 09:00")},
		{"FX-08/warehouse-sms", "FX-08", "sms", "+15555550100", ny("2025-03-08 09:00")},
		{"FX-04/warehouse-sms", "FX-04", "sms", "+15555550100", ny("2025-02-28 09:00")}, // W09
		{"report/2025-W09/ops@example.com", "", "email", "ops@example.com", ny("2025-03-03 08:00")},
	} {
		_, err := db.Exec(ctx, `
			INSERT INTO notifications (key, order_id, incident_id, channel, recipient, body, status, sent_at)
			VALUES ($1, '', NULLIF($2, ''), $3, $4, 'body', 'recorded', $5)`, m.key, m.incident, m.channel, m.to, m.sent)
		require.NoError(t, err)
	}

	for _, task := range []struct {
		key, role string
		created   time.Time
		completed time.Time
	}{
		{"T1", "procurement_manager", ny("2025-03-04 10:00"), time.Time{}},
		{"T2", "procurement_manager", ny("2025-02-25 10:00"), ny("2025-03-11 09:00")}, // done after the week
		{"T3", "inventory_clerk", ny("2025-02-26 10:00"), ny("2025-03-05 09:00")},     // done within it
		{"T4", "inventory_clerk", ny("2025-03-07 16:00"), time.Time{}},
		{"T5", "inventory_clerk", ny("2025-03-10 00:00"), time.Time{}}, // created at the week's end
	} {
		var completed *time.Time
		status := "open"
		if !task.completed.IsZero() {
			completed, status = &task.completed, "done"
		}
		_, err := db.Exec(ctx, `
			INSERT INTO tasks (idem_key, order_id, role, title, status, created_at, completed_at)
			VALUES ($1, 'O-FX-01', $2, 'task', $3, $4, $5)`, task.key, task.role, status, task.created, completed)
		require.NoError(t, err)
	}
}

func days(d float64) *float64 { return &d }

// wantW10 is every figure of the fixture's week, worked out by hand.
func wantW10(t *testing.T) report.Report {
	t.Helper()
	r, err := report.New(w10, newYork, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	r.OpenCount = 11 // FX-01..09, FX-11, FX-18
	r.RevenueAtRisk = report.Money{"EUR": "321.75", "USD": "1202.25"}
	r.Aging = []report.AgingBucket{
		{Bucket: "1-7", Count: 2, Value: report.Money{"EUR": "200.00", "USD": "20.00"}},     // FX-01 (7), FX-09 (5)
		{Bucket: "8-14", Count: 2, Value: report.Money{"EUR": "21.75", "USD": "5.50"}},      // FX-02 (8), FX-03 (14)
		{Bucket: "15-30", Count: 3, Value: report.Money{"USD": "121.50"}},                   // FX-04 (15), FX-05 (30), FX-11 (20)
		{Bucket: "31-60", Count: 2, Value: report.Money{"EUR": "100.00", "USD": "1000.00"}}, // FX-06 (31), FX-07 (60)
		{Bucket: "61+", Count: 1, Value: report.Money{"USD": "55.25"}},                      // FX-08 (61)
		{Bucket: "unknown", Count: 1, Value: report.Money{}},                                // FX-18
	}
	usd := func(amount string) report.Money { return report.Money{"USD": amount} }
	r.Trend = []report.TrendWeek{
		{Week: "2025-W03", New: 2, Resolved: 1, OpenAtWeekEnd: 2, RevenueAtRisk: usd("1055.25"), MedianDaysToResolution: days(13.0)},
		{Week: "2025-W04", OpenAtWeekEnd: 2, RevenueAtRisk: usd("1055.25")},
		{Week: "2025-W05", OpenAtWeekEnd: 2, RevenueAtRisk: usd("1055.25")},
		{Week: "2025-W06", New: 2, Resolved: 1, OpenAtWeekEnd: 3, RevenueAtRisk: report.Money{"EUR": "50.00", "USD": "1055.25"}, MedianDaysToResolution: days(2.5)},
		{Week: "2025-W07", New: 3, Resolved: 1, OpenAtWeekEnd: 5, RevenueAtRisk: report.Money{"EUR": "100.00", "USD": "1055.75"}, MedianDaysToResolution: days(7.0)},
		{Week: "2025-W08", New: 1, OpenAtWeekEnd: 6, RevenueAtRisk: report.Money{"EUR": "100.00", "USD": "1066.75"}},
		{Week: "2025-W09", New: 5, Escalated: 1, OpenAtWeekEnd: 11, RevenueAtRisk: report.Money{"EUR": "121.75", "USD": "1193.25"}},
		// Median of 7.25 (FX-14) and 5.0 (FX-15) days.
		{Week: "2025-W10", New: 3, Resolved: 2, Cancelled: 1, Escalated: 2, OpenAtWeekEnd: 11, RevenueAtRisk: report.Money{"EUR": "321.75", "USD": "1202.25"}, MedianDaysToResolution: days(6.1)},
	}
	r.TopSuppliers = []report.TopSupplier{
		{Currency: "EUR", SupplierID: "S3", SupplierName: "Cogs Ltd", OpenCount: 1, Units: 1, RevenueAtRisk: "200.00"},
		{Currency: "EUR", SupplierID: "S2", SupplierName: "Bolt & Co", OpenCount: 1, Units: 2, RevenueAtRisk: "100.00"},
		{Currency: "EUR", SupplierID: "S1", SupplierName: "Acme Parts", OpenCount: 1, Units: 3, RevenueAtRisk: "21.75"},
		{Currency: "USD", SupplierID: "S3", SupplierName: "Cogs Ltd", OpenCount: 2, Units: 5, RevenueAtRisk: "1000.50"},
		{Currency: "USD", SupplierID: "S2", SupplierName: "Bolt & Co", OpenCount: 4, Units: 14, RevenueAtRisk: "171.50"},
		{Currency: "USD", SupplierID: "S1", SupplierName: "Acme Parts", OpenCount: 3, Units: 4, RevenueAtRisk: "30.25"},
	}
	// SKU-F (USD 0.25) is sixth in USD: cut.
	r.TopSKUs = []report.TopSKU{
		{Currency: "EUR", SKU: "SKU-E", ProductName: "Product E", OpenCount: 1, Units: 1, RevenueAtRisk: "200.00"},
		{Currency: "EUR", SKU: "SKU-C", ProductName: "Product C", OpenCount: 1, Units: 2, RevenueAtRisk: "100.00"},
		{Currency: "EUR", SKU: "SKU-A", ProductName: "Product A", OpenCount: 1, Units: 3, RevenueAtRisk: "21.75"},
		{Currency: "USD", SKU: "SKU-E", ProductName: "Product E", OpenCount: 1, Units: 1, RevenueAtRisk: "1000.00"},
		{Currency: "USD", SKU: "SKU-C", ProductName: "Product C", OpenCount: 1, Units: 1, RevenueAtRisk: "100.00"},
		{Currency: "USD", SKU: "SKU-B", ProductName: "Product B", OpenCount: 3, Units: 13, RevenueAtRisk: "71.50"},
		{Currency: "USD", SKU: "SKU-A", ProductName: "Product A", OpenCount: 2, Units: 3, RevenueAtRisk: "30.00"},
		{Currency: "USD", SKU: "SKU-D", ProductName: "Product D", OpenCount: 1, Units: 4, RevenueAtRisk: "0.50"},
	}
	r.CustomersNotified = 3 // alice (twice), bob, carol
	r.SMSAlertsSent = 2
	r.Escalations = 2
	r.OpenTasks = []report.RoleTasks{
		{Role: "inventory_clerk", Count: 1, OldestAgeDays: 2.3},      // T4: 2 days 7 hours
		{Role: "procurement_manager", Count: 2, OldestAgeDays: 12.5}, // T2: 12 days 13 hours
	}
	return r
}

func TestWeeklyReportFixture(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	seedReportFixture(t, s)
	got, err := s.WeeklyReport(context.Background(), w10, newYork, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	want := wantW10(t)
	assert.Equal(t, want, got)
	assert.True(t, got.Complete)
	assert.Equal(t, time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC), got.AsOf.UTC())
}

// The same rows seen from UTC: FX-09 and carol's notice, Sunday night in
// New York, fall on Monday, in the next week.
func TestWeeklyReportWeekBoundaryFollowsTimezone(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	seedReportFixture(t, s)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	inNY, err := s.WeeklyReport(context.Background(), w10, newYork, now)
	require.NoError(t, err)
	inUTC, err := s.WeeklyReport(context.Background(), w10, time.UTC, now)
	require.NoError(t, err)

	assert.Equal(t, 3, inNY.Trend[7].New)
	assert.Equal(t, 2, inUTC.Trend[7].New, "FX-09 opened on Monday 03:30 UTC")
	assert.Equal(t, 3, inNY.CustomersNotified)
	assert.Equal(t, 2, inUTC.CustomersNotified, "carol was notified on Monday 03:45 UTC")
	assert.Equal(t, report.Money{"EUR": "121.75", "USD": "1202.25"}, inUTC.RevenueAtRisk, "without FX-09's EUR 200.00")
}

func TestWeeklyReportOfTheWeekInProgress(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	seedReportFixture(t, s)
	now := ny("2025-03-06 12:00")
	r, err := s.WeeklyReport(context.Background(), w10, newYork, now)
	require.NoError(t, err)

	assert.False(t, r.Complete)
	assert.True(t, r.AsOf.Equal(now))
	this := r.Trend[7]
	assert.Equal(t, 2, this.New, "FX-01 and FX-02 so far")
	assert.Equal(t, 2, this.Resolved, "FX-14 and FX-15 so far")
	assert.Equal(t, 0, this.Cancelled, "FX-16 is cancelled tomorrow")
	assert.Equal(t, 11, r.OpenCount)
	assert.Equal(t, wantW10(t).Trend[6], r.Trend[6], "the weeks before are complete")
	// Aging is measured on Thursday: FX-01, promised Monday, is 3 days late.
	assert.Equal(t, report.AgingBucket{Bucket: "1-7", Count: 2, Value: report.Money{"USD": "25.50"}}, r.Aging[0]) // FX-01 (3), FX-02 (4)
	assert.Equal(t, 2, r.CustomersNotified, "alice and bob so far")

	_, err = s.WeeklyReport(context.Background(), w10.Add(1), newYork, now)
	assert.ErrorIs(t, err, report.ErrWeekNotStarted)
}

// A past week is history: running it again, after today's work changed
// orders and opened incidents, gives the same report to the byte.
func TestWeeklyReportOfAPastWeekNeverChanges(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	seedReportFixture(t, s)
	ctx := context.Background()
	run := func() []byte {
		r, err := s.WeeklyReport(ctx, w10, newYork, time.Now())
		require.NoError(t, err)
		b, err := json.Marshal(r)
		require.NoError(t, err)
		return b
	}
	first := run()
	assert.JSONEq(t, string(first), string(run()))

	_, err := s.OpenIncident(ctx, store.Incident{
		EpisodeKey: "today", OrderID: "O-FX-01", BackorderValue: decimal.RequireFromString("99999"),
		Currency: "USD", ETA: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	})
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, `UPDATE order_lines SET unit_price = 1, backordered_quantity = 0`)
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, `UPDATE orders SET status = 'Fulfilled', promised_date = '2020-01-01'`)
	require.NoError(t, err)
	assert.Equal(t, string(first), string(run()))
}

func TestOpenIncidentCapturesPromisedDateAndLinesOnce(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.Import(ctx, store.Dataset{
		Suppliers: []store.Supplier{{ID: "S1", Name: "Acme Parts", Email: "s1@example.com"}},
		Products:  []store.Product{{SKU: "SKU-A", Name: "Widget", SupplierID: "S1"}, {SKU: "SKU-B", Name: "Gadget", SupplierID: "S1"}},
		Customers: []store.Customer{{ID: "C1", Name: "Alice", Email: "alice@example.com"}},
		Orders: []store.Order{{
			ID: "SO-1", CustomerID: "C1", Status: "Backordered", PromisedDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Currency: "USD",
			Lines: []store.OrderLine{
				{SKU: "SKU-A", Quantity: 3, BackorderedQuantity: 2, UnitPrice: decimal.RequireFromString("19.99")},
				{SKU: "SKU-B", Quantity: 1, BackorderedQuantity: 0, UnitPrice: decimal.RequireFromString("5.00")},
			},
		}},
	})
	require.NoError(t, err)
	in := store.Incident{EpisodeKey: "backorder-SO-1/run-1", OrderID: "SO-1", BackorderValue: decimal.RequireFromString("39.98"),
		Currency: "USD", ETA: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	id, err := s.OpenIncident(ctx, in)
	require.NoError(t, err)
	again, err := s.OpenIncident(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, id, again)

	var promised time.Time
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT promised_date FROM incidents WHERE id = $1`, id).Scan(&promised))
	assert.Equal(t, "2026-11-01", promised.Format(time.DateOnly))

	type line struct {
		LineNo                                int
		SKU, ProductName, SupplierID, SupName string
		Quantity                              int
		UnitPrice, Value                      string
	}
	rows, err := s.Pool().Query(ctx, `SELECT line_no, sku, product_name, supplier_id, supplier_name, backordered_quantity,
		unit_price::text, value::text FROM incident_lines WHERE incident_id = $1 ORDER BY line_no`, id)
	require.NoError(t, err)
	var lines []line
	for rows.Next() {
		var l line
		require.NoError(t, rows.Scan(&l.LineNo, &l.SKU, &l.ProductName, &l.SupplierID, &l.SupName, &l.Quantity, &l.UnitPrice, &l.Value))
		lines = append(lines, l)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []line{{1, "SKU-A", "Widget", "S1", "Acme Parts", 2, "19.99", "39.98"}}, lines, "only backordered lines, once")

	_, err = s.OpenIncident(ctx, store.Incident{EpisodeKey: "other", OrderID: "SO-404", Currency: "USD", ETA: in.ETA})
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func TestSaveReportReplacesTheWeek(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	r := wantW10(t)
	require.NoError(t, s.SaveReport(ctx, r))
	r.OpenCount = 12
	require.NoError(t, s.SaveReport(ctx, r))

	var n, open int
	var complete bool
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*), max((data->>'open_count')::int), bool_and(complete) FROM reports WHERE week = '2025-W10'`).
		Scan(&n, &open, &complete))
	assert.Equal(t, 1, n)
	assert.Equal(t, 12, open)
	assert.True(t, complete)
}
