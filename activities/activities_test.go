package activities

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

const (
	asOf         = "2026-11-27"
	managerPhone = "+15555550100"
	customerMail = "jane@example.com"
)

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func money(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// fixture is the reference data and orders every test starts from. With
// as-of 2026-11-27 the overdue backorders are SO-1, SO-2, SO-4 and SO-5.
//
//	SO-1 Backordered 2026-11-01: 2 (of 3) x SKU-A 19.99 backordered, SKU-E fully in stock: 39.98
//	SO-2 Backordered 2026-11-20: SKU-A (product lead time) + SKU-B (supplier lead time): 34.237
//	SO-3 Backordered 2026-11-27 (due today, not overdue): SKU-C (no lead time anywhere) + SKU-D
//	SO-4 Backordered 2026-11-26: exactly 1000.00
//	SO-5 Backordered 2026-10-01, EUR: 1000.01
//	SO-6 Pending, SO-7 Fulfilled, SO-9 Cancelled, all promised 2026-10-01
//	SO-8 Backordered 2026-12-15 (not due yet)
func fixture() store.Dataset {
	line := func(sku string, qty, bo int64, price string) store.OrderLine {
		return store.OrderLine{SKU: sku, Quantity: qty, BackorderedQuantity: bo, UnitPrice: money(price)}
	}
	order := func(id, status, promised, currency string, lines ...store.OrderLine) store.Order {
		return store.Order{ID: id, CustomerID: "C-1", Status: contract.OrderStatus(status), PromisedDate: date(promised), Currency: currency, Lines: lines}
	}
	return store.Dataset{
		Suppliers: []store.Supplier{
			{ID: "SUP-LT", Name: "Acme Parts", Email: "orders@acme.example", LeadTimeDays: new(21)},
			{ID: "SUP-NOLT", Name: "Vague Supply", Email: "hello@vague.example"},
		},
		Products: []store.Product{
			{SKU: "SKU-A", Name: "Widget", SupplierID: "SUP-LT", LeadTimeDays: new(10)},
			{SKU: "SKU-B", Name: "Gadget", SupplierID: "SUP-LT"},
			{SKU: "SKU-C", Name: "Gizmo", SupplierID: "SUP-NOLT"},
			{SKU: "SKU-D", Name: "Sprocket", SupplierID: "SUP-NOLT", LeadTimeDays: new(5)},
			{SKU: "SKU-E", Name: "Hex Bolt", SupplierID: "SUP-LT", LeadTimeDays: new(3)},
		},
		Customers: []store.Customer{{ID: "C-1", Name: "Jane Doe", Email: customerMail}},
		Orders: []store.Order{
			order("SO-1", "Backordered", "2026-11-01", "USD", line("SKU-A", 3, 2, "19.99"), line("SKU-E", 5, 0, "4.50")),
			order("SO-2", "Backordered", "2026-11-20", "USD", line("SKU-A", 1, 1, "19.99"), line("SKU-B", 4, 2, "7.1235"), line("SKU-E", 2, 0, "4.50")),
			order("SO-3", "Backordered", "2026-11-27", "USD", line("SKU-C", 2, 2, "12.00"), line("SKU-D", 1, 1, "3.00")),
			order("SO-4", "Backordered", "2026-11-26", "USD", line("SKU-B", 12, 10, "100.00")),
			order("SO-5", "Backordered", "2026-10-01", "EUR", line("SKU-A", 1, 1, "999.99"), line("SKU-B", 1, 1, "0.02")),
			order("SO-6", "Pending", "2026-10-01", "USD", line("SKU-A", 1, 0, "19.99")),
			order("SO-7", "Fulfilled", "2026-10-01", "USD", line("SKU-A", 1, 0, "19.99")),
			order("SO-8", "Backordered", "2026-12-15", "USD", line("SKU-A", 2, 1, "19.99")),
			order("SO-9", "Cancelled", "2026-10-01", "USD", line("SKU-A", 1, 0, "19.99")),
		},
	}
}

type harness struct {
	t    *testing.T
	ctx  context.Context
	s    *store.Store
	acts *Activities
	env  *testsuite.TestActivityEnvironment
}

func defaultSettings() Settings {
	return Settings{
		Location: time.UTC, DefaultLeadTimeDays: 14,
		SMSThreshold: backorder.MustParseSMSThresholds("1000.00"), WarehouseManagerPhone: managerPhone,
	}
}

// newHarness imports the fixture into a new database and registers the
// activities, with the default settings changed by edit.
func newHarness(t *testing.T, edit ...func(*Settings)) *harness {
	t.Helper()
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.Import(ctx, fixture())
	require.NoError(t, err)

	settings := defaultSettings()
	for _, e := range edit {
		e(&settings)
	}
	logger := slog.New(slog.DiscardHandler)
	acts := &Activities{
		Store:    s,
		Notifier: notify.Recorder{Ledger: s, Log: logger},
		Settings: settings,
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(logger))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return &harness{t: t, ctx: ctx, s: s, acts: acts, env: env}
}

// run executes one activity; out, when not nil, receives its result.
func (h *harness) run(fn, in, out any) error {
	h.t.Helper()
	val, err := h.env.ExecuteActivity(fn, in)
	if err != nil {
		return err
	}
	if out != nil {
		require.NoError(h.t, val.Get(out))
	}
	return nil
}

// must executes one activity that has to succeed.
func (h *harness) must(fn, in, out any) {
	h.t.Helper()
	require.NoError(h.t, h.run(fn, in, out))
}

// count runs a count(*) query.
func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	require.NoError(h.t, h.s.Pool().QueryRow(h.ctx, sql, args...).Scan(&n), sql)
	return n
}

// requireBadData checks err is a non-retryable ApplicationError of errType.
func requireBadData(t *testing.T, err error, errType string) {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "want an ApplicationError, got %T: %v", err, err)
	assert.Equal(t, errType, appErr.Type(), "%v", err)
	assert.True(t, appErr.NonRetryable(), "%s must not be retried: %v", errType, err)
}

// openIncident looks up SO's lead times and opens its incident.
func (h *harness) openIncident(orderID, episode, eta string) (string, contract.LeadTimes) {
	h.t.Helper()
	var lt contract.LeadTimes
	h.must(h.acts.LookupLeadTimes, contract.LookupLeadTimesInput{OrderID: orderID}, &lt)
	var a contract.Assessment
	h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: orderID, AsOf: asOf}, &a)
	var id string
	h.must(h.acts.OpenIncident, contract.OpenIncidentInput{
		EpisodeKey: episode, OrderID: orderID, DelayDays: a.DelayDays,
		BackorderValue: a.BackorderValue, Currency: a.Currency, ETA: eta, LeadTimes: lt,
	}, &id)
	return id, lt
}

func TestAssessBackorder(t *testing.T) {
	h := newHarness(t)

	var a contract.Assessment
	h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-1", AsOf: asOf}, &a)
	today := backorder.DateOf(time.Now(), time.UTC)
	assert.Equal(t, contract.Assessment{
		OrderID: "SO-1", AsOf: asOf, Status: "Backordered", Currency: "USD",
		DelayDays: 26, BackorderValue: "39.98", AlertWarehouse: false, PromisedDate: "2026-11-01",
		Today: today.Format(time.DateOnly), TodayEndsAt: today.AddDate(0, 0, 1),
		LeadTimes: &contract.LeadTimes{
			Lines:   []backorder.LineLeadTime{{SKU: "SKU-A", SupplierID: "SUP-LT", Days: 10, Source: backorder.LeadTimeFromProduct}},
			MaxDays: 10,
		},
	}, a, "the fully in-stock line adds nothing")

	h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-2", AsOf: asOf}, &a)
	assert.Equal(t, 7, a.DelayDays)
	assert.Equal(t, "34.237", a.BackorderValue, "sub-cent prices are kept exactly")

	h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-3", AsOf: asOf}, &a)
	assert.Equal(t, 0, a.DelayDays, "promised today")

	h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-8", AsOf: asOf}, &a)
	assert.Equal(t, -18, a.DelayDays, "promise still ahead")
}

func TestAssessBackorderSMSThreshold(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		order, value, currency string
		alert                  bool
	}{
		{"SO-4", "1000.00", "USD", false}, // exactly the threshold: not above it
		{"SO-5", "1000.01", "EUR", true},
	} {
		var a contract.Assessment
		h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: tc.order, AsOf: asOf}, &a)
		assert.Equal(t, tc.value, a.BackorderValue, tc.order)
		assert.Equal(t, tc.currency, a.Currency, tc.order)
		assert.Equal(t, tc.alert, a.AlertWarehouse, tc.order)
	}
}

func TestAssessBackorderBadData(t *testing.T) {
	h := newHarness(t)
	err := h.run(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-404", AsOf: asOf}, nil)
	requireBadData(t, err, contract.ErrTypeOrderNotFound)
	assert.ErrorContains(t, err, "SO-404")

	for _, bad := range []string{"27/11/2026", "2026-11-31", "tomorrow"} {
		err = h.run(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-1", AsOf: bad}, nil)
		requireBadData(t, err, contract.ErrTypeInvalidInput)
		assert.ErrorContains(t, err, bad)
	}
}

func TestAssessBackorderDefaultsToTodayInBusinessTimezone(t *testing.T) {
	for _, loc := range []string{"UTC", "America/New_York", "Pacific/Kiritimati"} {
		t.Run(loc, func(t *testing.T) {
			l, err := time.LoadLocation(loc)
			require.NoError(t, err)
			h := newHarness(t, func(s *Settings) { s.Location = l })

			before := backorder.DateOf(time.Now(), l)
			var a contract.Assessment
			h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-1"}, &a)
			after := backorder.DateOf(time.Now(), l)

			// Midnight may pass in between; the date is one of the two.
			assert.Contains(t, []string{before.Format(time.DateOnly), after.Format(time.DateOnly)}, a.AsOf)
			asOfDate := date(a.AsOf)
			assert.Equal(t, backorder.DelayDays(asOfDate, date("2026-11-01")), a.DelayDays)
		})
	}
}

func TestETAPassesAtEndsTheDayInBusinessTimezone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	h := newHarness(t, func(s *Settings) { s.Location = ny })

	var at time.Time
	h.must(h.acts.ETAPassesAt, contract.ETAPassesAtInput{ETA: "2026-11-27"}, &at)
	assert.True(t, at.Equal(time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)), "midnight in New York (EST) is 05:00 UTC, got %s", at)
	h.must(h.acts.ETAPassesAt, contract.ETAPassesAtInput{ETA: "2026-07-04"}, &at)
	assert.True(t, at.Equal(time.Date(2026, 7, 5, 4, 0, 0, 0, time.UTC)), "EDT in summer, got %s", at)

	requireBadData(t, h.run(h.acts.ETAPassesAt, contract.ETAPassesAtInput{ETA: "soon"}, nil), contract.ErrTypeInvalidInput)
}

func TestLookupLeadTimes(t *testing.T) {
	h := newHarness(t)

	var lt contract.LeadTimes
	h.must(h.acts.LookupLeadTimes, contract.LookupLeadTimesInput{OrderID: "SO-1"}, &lt)
	assert.Equal(t, contract.LeadTimes{
		Lines:   []backorder.LineLeadTime{{SKU: "SKU-A", SupplierID: "SUP-LT", Days: 10, Source: backorder.LeadTimeFromProduct}},
		MaxDays: 10,
	}, lt, "the in-stock SKU-E line is skipped; the product's 10 days beat the supplier's 21")

	lt = contract.LeadTimes{}
	h.must(h.acts.LookupLeadTimes, contract.LookupLeadTimesInput{OrderID: "SO-2"}, &lt)
	assert.Equal(t, contract.LeadTimes{
		Lines: []backorder.LineLeadTime{
			{SKU: "SKU-A", SupplierID: "SUP-LT", Days: 10, Source: backorder.LeadTimeFromProduct},
			{SKU: "SKU-B", SupplierID: "SUP-LT", Days: 21, Source: backorder.LeadTimeFromSupplier},
		},
		MaxDays: 21,
	}, lt)

	lt = contract.LeadTimes{}
	h.must(h.acts.LookupLeadTimes, contract.LookupLeadTimesInput{OrderID: "SO-3"}, &lt)
	assert.Equal(t, contract.LeadTimes{
		Lines: []backorder.LineLeadTime{
			{SKU: "SKU-C", SupplierID: "SUP-NOLT", Days: 14, Source: backorder.LeadTimeFromDefault},
			{SKU: "SKU-D", SupplierID: "SUP-NOLT", Days: 5, Source: backorder.LeadTimeFromProduct},
		},
		MaxDays: 14, UsedDefault: true,
	}, lt)

	requireBadData(t, h.run(h.acts.LookupLeadTimes, contract.LookupLeadTimesInput{OrderID: "SO-404"}, nil), contract.ErrTypeOrderNotFound)
}

// The assessment's lead times are LookupLeadTimes's, from the same read.
func TestAssessBackorderLooksUpTheLeadTimes(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.DefaultLeadTimeDays = 30 })
	for _, order := range []string{"SO-1", "SO-2", "SO-3", "SO-5"} {
		var a contract.Assessment
		var lt contract.LeadTimes
		h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: order, AsOf: asOf}, &a)
		h.must(h.acts.LookupLeadTimes, contract.LookupLeadTimesInput{OrderID: order}, &lt)
		require.NotNil(t, a.LeadTimes, order)
		assert.Equal(t, lt, *a.LeadTimes, order)
	}
}

func TestLookupLeadTimesUsesConfiguredDefault(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.DefaultLeadTimeDays = 30 })
	var lt contract.LeadTimes
	h.must(h.acts.LookupLeadTimes, contract.LookupLeadTimesInput{OrderID: "SO-3"}, &lt)
	assert.Equal(t, 30, lt.MaxDays)
	assert.True(t, lt.UsedDefault)
	assert.Equal(t, 30, lt.Lines[0].Days)
}

func TestOpenIncidentOncePerEpisode(t *testing.T) {
	h := newHarness(t)

	id1, lt := h.openIncident("SO-3", "backorder-SO-3/run-1", "2026-12-11")
	id2, _ := h.openIncident("SO-3", "backorder-SO-3/run-1", "2026-12-11")
	require.NotEmpty(t, id1)
	assert.Equal(t, id1, id2, "a retried activity finds the incident it logged")
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM incidents`))

	var (
		orderID, status, currency, plan string
		delay, version                  int
		value                           decimal.Decimal
		eta                             time.Time
		usedDefault                     bool
		leadTimes                       []backorder.LineLeadTime
		history                         []any
	)
	require.NoError(t, h.s.Pool().QueryRow(h.ctx, `SELECT order_id, status, delay_days, backorder_value::text, currency, eta,
		eta_version, used_default_lead_time, lead_times, mitigation_plan, history FROM incidents WHERE id = $1`, id1).
		Scan(&orderID, &status, &delay, &value, &currency, &eta, &version, &usedDefault, &leadTimes, &plan, &history))
	assert.Equal(t, "SO-3", orderID)
	assert.Equal(t, "open", status)
	assert.Equal(t, 0, delay)
	assert.Equal(t, "27.00", value.StringFixed(2))
	assert.Equal(t, "USD", currency)
	assert.Equal(t, "2026-12-11", eta.Format(time.DateOnly))
	assert.Equal(t, 1, version)
	assert.True(t, usedDefault)
	assert.Equal(t, lt.Lines, leadTimes)
	assert.Empty(t, history)
	assert.Contains(t, plan, "SKU-C (supplier SUP-NOLT, 14 days, default lead time)")
	assert.Contains(t, plan, "No supplier lead time on file for SKU-C: the default was assumed")
	assert.Contains(t, plan, "2026-12-11")

	// Another episode of the same order while this one is open continues
	// it: an order has one open incident at most.
	id3, _ := h.openIncident("SO-3", "backorder-SO-3/run-2", "2026-12-11")
	assert.Equal(t, id1, id3)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM incidents WHERE order_id = 'SO-3'`))
	// Once it is closed, the next episode is a new incident.
	h.must(h.acts.CloseBackorder, contract.CloseBackorderInput{OrderID: "SO-3", IncidentID: id1, Outcome: "not_backordered"}, nil)
	id5, _ := h.openIncident("SO-3", "backorder-SO-3/run-3", "2026-12-11")
	assert.NotEqual(t, id1, id5)

	// Without a default lead time the plan says the records are used.
	id4, _ := h.openIncident("SO-1", "backorder-SO-1/run-1", "2026-12-07")
	require.NoError(t, h.s.Pool().QueryRow(h.ctx, `SELECT used_default_lead_time, mitigation_plan FROM incidents WHERE id = $1`, id4).
		Scan(&usedDefault, &plan))
	assert.False(t, usedDefault)
	assert.NotContains(t, plan, "default was assumed")
	assert.Contains(t, plan, "Lead times come from supplier records")
}

func TestOpenIncidentBadInput(t *testing.T) {
	h := newHarness(t)
	in := contract.OpenIncidentInput{EpisodeKey: "e", OrderID: "SO-1", BackorderValue: "39.98", Currency: "USD", ETA: "2026-12-07"}
	bad := in
	bad.ETA = "next week"
	requireBadData(t, h.run(h.acts.OpenIncident, bad, nil), contract.ErrTypeInvalidInput)
	bad = in
	bad.BackorderValue = "-1"
	requireBadData(t, h.run(h.acts.OpenIncident, bad, nil), contract.ErrTypeInvalidInput)
	bad.BackorderValue = "lots"
	requireBadData(t, h.run(h.acts.OpenIncident, bad, nil), contract.ErrTypeInvalidInput)
	assert.Zero(t, h.count(`SELECT count(*) FROM incidents`))
}

func TestCreateTaskOncePerEpisodeAndRole(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	in := contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", IncidentID: incident, Role: "procurement_manager", Title: "Confirm dispatch for SO-1"}

	var first, again, other contract.TaskRef
	h.must(h.acts.CreateTask, in, &first)
	h.must(h.acts.CreateTask, in, &again)
	assert.Equal(t, contract.TaskRef{ID: first.ID, Role: "procurement_manager", Status: "open"}, first)
	assert.Equal(t, first, again, "a retry finds the task it created")
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM tasks`))

	in.Role, in.Title = "inventory_clerk", "Adjust expected stock for SO-1"
	h.must(h.acts.CreateTask, in, &other)
	assert.NotEqual(t, first.ID, other.ID)
	assert.Equal(t, "inventory_clerk", string(other.Role))
	assert.Equal(t, 2, h.count(`SELECT count(*) FROM tasks`))
	assert.Equal(t, 2, h.count(`SELECT count(*) FROM tasks WHERE incident_id = $1 AND order_id = 'SO-1' AND status = 'open'`, incident))

	// Without an incident the task stands alone.
	var loose contract.TaskRef
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-2", OrderID: "SO-2", Role: "inventory_clerk", Title: "Check SO-2"}, &loose)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM tasks WHERE id = $1 AND incident_id IS NULL`, loose.ID))
}

// The investigation's stamp and procurement's task are one transaction:
// a retry finds the task it created, and a task that cannot be created
// leaves the order unstamped.
func TestBeginInvestigation(t *testing.T) {
	h := newHarness(t)
	in := contract.BeginInvestigationInput{
		OrderID: "SO-1", CurrentStatus: "Backorder: investigating shortage",
		Task: contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", Role: "procurement_manager", Title: "Investigate SO-1"},
	}
	var first, again contract.TaskRef
	h.must(h.acts.BeginInvestigation, in, &first)
	h.must(h.acts.BeginInvestigation, in, &again)
	assert.Equal(t, contract.TaskRef{ID: first.ID, Role: "procurement_manager", Status: "open"}, first)
	assert.Equal(t, first, again, "a retry finds the task it created")
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM tasks WHERE order_id = 'SO-1' AND role = 'procurement_manager' AND title = 'Investigate SO-1'`))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM orders WHERE id = 'SO-1' AND current_status = 'Backorder: investigating shortage' AND last_checked_at IS NOT NULL`))

	in.OrderID, in.Task.OrderID = "SO-2", "SO-2"
	in.Task.EpisodeKey, in.Task.IncidentID = "ep-2", "INC-404"
	require.Error(t, h.run(h.acts.BeginInvestigation, in, nil), "the task names an incident that does not exist")
	assert.Zero(t, h.count(`SELECT count(*) FROM orders WHERE id = 'SO-2' AND (current_status <> '' OR last_checked_at IS NOT NULL)`),
		"the stamp went with the task")

	in = contract.BeginInvestigationInput{OrderID: "SO-404", CurrentStatus: "x",
		Task: contract.CreateTaskInput{EpisodeKey: "ep-404", OrderID: "SO-404", Role: "procurement_manager", Title: "x"}}
	requireBadData(t, h.run(h.acts.BeginInvestigation, in, nil), contract.ErrTypeOrderNotFound)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM tasks`))
}

// What an episode waits with, the clerk's task, the alert of a high-value
// order and the order's stamp, is one transaction.
func TestAwaitFulfilment(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-5", "ep-5", "2026-12-07")
	alert := contract.AlertWarehouseInput{IncidentID: incident, OrderID: "SO-5", BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}
	in := contract.AwaitFulfilmentInput{
		OrderID: "SO-5", CurrentStatus: "Backorder: awaiting fulfillment", Alert: &alert,
		Task: contract.CreateTaskInput{EpisodeKey: "ep-5", OrderID: "SO-5", IncidentID: incident, Role: "inventory_clerk", Title: "Adjust SO-5"},
	}
	var first, again contract.AwaitFulfilmentResult
	h.must(h.acts.AwaitFulfilment, in, &first)
	h.must(h.acts.AwaitFulfilment, in, &again)
	assert.Equal(t, contract.TaskRef{ID: first.Task.ID, Role: "inventory_clerk", Status: "open"}, first.Task)
	assert.True(t, first.Alert.TextManager)
	assert.Equal(t, first, again, "a retry gives the same answer")
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM tasks WHERE order_id = 'SO-5' AND incident_id = $1 AND role = 'inventory_clerk'`, incident))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM active_alerts WHERE key = $1 AND order_id = 'SO-5'
		AND message = 'Backorder SO-5: 1000.01 EUR at risk, new ETA 2026-12-07.'`, incident+"/high-value"))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM orders WHERE id = 'SO-5' AND current_status = 'Backorder: awaiting fulfillment'`))
	assert.Zero(t, h.count(`SELECT count(*) FROM notifications`), "the SMS is TextWarehouse's, when quiet hours allow")

	// Below the threshold: no alert, nobody to text.
	low := contract.AwaitFulfilmentInput{
		OrderID: "SO-1", CurrentStatus: "Backorder: awaiting fulfillment",
		Task: contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", Role: "inventory_clerk", Title: "Adjust SO-1"},
	}
	var out contract.AwaitFulfilmentResult
	h.must(h.acts.AwaitFulfilment, low, &out)
	assert.False(t, out.Alert.TextManager)
	assert.Zero(t, h.count(`SELECT count(*) FROM active_alerts WHERE order_id = 'SO-1'`))

	// The stamp fails last: the task and the alert before it go too.
	broken := in
	broken.OrderID = "SO-404"
	broken.Task.EpisodeKey = "ep-5b"
	broken.Alert = &contract.AlertWarehouseInput{IncidentID: "INC-other", OrderID: "SO-5", BackorderValue: "1.00", Currency: "EUR", ETA: "2026-12-07"}
	requireBadData(t, h.run(h.acts.AwaitFulfilment, broken, nil), contract.ErrTypeOrderNotFound)
	assert.Zero(t, h.count(`SELECT count(*) FROM tasks WHERE idem_key LIKE 'ep-5b/%'`))
	assert.Zero(t, h.count(`SELECT count(*) FROM active_alerts WHERE incident_id = 'INC-other'`))
}

func TestAwaitFulfilmentWithoutPhone(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.WarehouseManagerPhone = "" })
	incident, _ := h.openIncident("SO-5", "ep-5", "2026-12-07")
	alert := contract.AlertWarehouseInput{IncidentID: incident, OrderID: "SO-5", BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}
	var out contract.AwaitFulfilmentResult
	h.must(h.acts.AwaitFulfilment, contract.AwaitFulfilmentInput{
		OrderID: "SO-5", CurrentStatus: "Backorder: awaiting fulfillment", Alert: &alert,
		Task: contract.CreateTaskInput{EpisodeKey: "ep-5", OrderID: "SO-5", IncidentID: incident, Role: "inventory_clerk", Title: "Adjust SO-5"},
	}, &out)
	assert.False(t, out.Alert.TextManager, "nobody to text")
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM active_alerts WHERE order_id = 'SO-5'`), "the alert is still recorded")
}

// ledgerRow is what the notifications ledger holds for one key.
type ledgerRow struct {
	OrderID, IncidentID, Channel, Recipient, Subject, Body, Status string
}

func (h *harness) ledger(key string) (ledgerRow, bool) {
	h.t.Helper()
	var r ledgerRow
	err := h.s.Pool().QueryRow(h.ctx, `SELECT order_id, coalesce(incident_id, ''), channel, recipient, subject, body, status
		FROM notifications WHERE key = $1`, key).
		Scan(&r.OrderID, &r.IncidentID, &r.Channel, &r.Recipient, &r.Subject, &r.Body, &r.Status)
	if err != nil {
		return r, false
	}
	return r, true
}

func TestNotifyCustomerOncePerVersion(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	in := contract.NotifyCustomerInput{IncidentID: incident, OrderID: "SO-1", ETA: "2026-12-07", ETAVersion: 1}

	var first, again notify.Outcome
	h.must(h.acts.NotifyCustomer, in, &first)
	h.must(h.acts.NotifyCustomer, in, &again)
	assert.Equal(t, notify.Outcome{Status: notify.StatusRecorded}, first)
	assert.Equal(t, notify.Outcome{Status: notify.StatusRecorded, Duplicate: true}, again)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM notifications`))

	row, ok := h.ledger(incident + "/customer-eta/v1")
	require.True(t, ok, "the ledger key is <incident>/customer-eta/v1")
	assert.Equal(t, "SO-1", row.OrderID)
	assert.Equal(t, incident, row.IncidentID)
	assert.Equal(t, notify.Email, row.Channel)
	assert.Equal(t, customerMail, row.Recipient)
	assert.Equal(t, notify.StatusRecorded, row.Status)
	assert.Contains(t, row.Subject, "SO-1")
	assert.Contains(t, row.Subject, "2026-12-07")
	assert.Contains(t, row.Body, "Dear Jane Doe")
	assert.Contains(t, row.Body, "SKU-A  Widget  x 2", "backordered quantity, not the ordered 3")
	assert.Contains(t, row.Body, "New estimated delivery date: 2026-12-07")
	assert.NotContains(t, row.Body, "SKU-E", "the fully in-stock line is not on backorder")
	assert.NotContains(t, row.Body, "Hex Bolt")

	// A revised date is a second notice that names the previous one.
	rev := contract.NotifyCustomerInput{IncidentID: incident, OrderID: "SO-1", ETA: "2026-12-20", ETAVersion: 2, PreviousETA: "2026-12-07", Reason: "supplier confirmed dispatch"}
	h.must(h.acts.NotifyCustomer, rev, &first)
	assert.False(t, first.Duplicate)
	assert.Equal(t, 2, h.count(`SELECT count(*) FROM notifications`))
	row, ok = h.ledger(incident + "/customer-eta/v2")
	require.True(t, ok)
	assert.Contains(t, row.Body, "has changed from 2026-12-07 to 2026-12-20 (supplier confirmed dispatch)")
	assert.Contains(t, row.Subject, "moved to 2026-12-20")
	assert.Contains(t, row.Body, "SKU-A  Widget  x 2")

	// Every backordered line is listed.
	incident2, _ := h.openIncident("SO-2", "ep-2", "2026-12-18")
	h.must(h.acts.NotifyCustomer, contract.NotifyCustomerInput{IncidentID: incident2, OrderID: "SO-2", ETA: "2026-12-18", ETAVersion: 1}, &first)
	row, ok = h.ledger(incident2 + "/customer-eta/v1")
	require.True(t, ok)
	assert.Contains(t, row.Body, "SKU-A  Widget  x 1")
	assert.Contains(t, row.Body, "SKU-B  Gadget  x 2")
	assert.NotContains(t, row.Body, "SKU-E")

	requireBadData(t, h.run(h.acts.NotifyCustomer, contract.NotifyCustomerInput{IncidentID: incident, OrderID: "SO-404", ETA: "2026-12-07", ETAVersion: 1}, nil),
		contract.ErrTypeOrderNotFound)
}

func TestAlertWarehouseOncePerIncident(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-5", "ep-5", "2026-12-07")
	in := contract.AlertWarehouseInput{IncidentID: incident, OrderID: "SO-5", BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}

	var out contract.AlertOutcome
	h.must(h.acts.AlertWarehouse, in, &out)
	assert.True(t, out.TextManager)
	h.must(h.acts.AlertWarehouse, in, &out)
	assert.True(t, out.TextManager, "a retry gives the same answer")

	assert.Equal(t, 1, h.count(`SELECT count(*) FROM active_alerts`))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM active_alerts WHERE key = $1 AND order_id = 'SO-5' AND incident_id = $2
		AND kind = 'high_value_backorder' AND message = 'Backorder SO-5: 1000.01 EUR at risk, new ETA 2026-12-07.'`, incident+"/high-value", incident))
	assert.Zero(t, h.count(`SELECT count(*) FROM notifications`), "the SMS is TextWarehouse's, when quiet hours allow")
}

func TestAlertWarehouseWithoutPhone(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.WarehouseManagerPhone = "" })
	incident, _ := h.openIncident("SO-5", "ep-5", "2026-12-07")
	in := contract.AlertWarehouseInput{IncidentID: incident, OrderID: "SO-5", BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}

	var out contract.AlertOutcome
	h.must(h.acts.AlertWarehouse, in, &out)
	assert.False(t, out.TextManager, "nobody to text")
	h.must(h.acts.AlertWarehouse, in, &out)
	assert.False(t, out.TextManager)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM active_alerts WHERE order_id = 'SO-5'`), "the alert is still recorded")
	assert.Zero(t, h.count(`SELECT count(*) FROM notifications`))
}

func TestReviseIncidentOncePerVersion(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")

	incidentState := func() (eta string, version, delay int, history []map[string]any) {
		t.Helper()
		var d time.Time
		require.NoError(t, h.s.Pool().QueryRow(h.ctx, `SELECT eta, eta_version, delay_days, history FROM incidents WHERE id = $1`, incident).
			Scan(&d, &version, &delay, &history))
		return d.Format(time.DateOnly), version, delay, history
	}

	v2 := contract.ReviseIncidentInput{IncidentID: incident, ETA: "2026-12-20", ETAVersion: 2, DelayDays: 30, Reason: "procurement confirmed"}
	h.must(h.acts.ReviseIncident, v2, nil)
	h.must(h.acts.ReviseIncident, v2, nil)
	eta, version, delay, history := incidentState()
	assert.Equal(t, "2026-12-20", eta)
	assert.Equal(t, 2, version)
	assert.Equal(t, 30, delay)
	require.Len(t, history, 1, "a repeated revision is recorded once")
	assert.Equal(t, "2026-12-20", history[0]["eta"])
	assert.EqualValues(t, 2, history[0]["eta_version"])
	assert.Equal(t, "procurement confirmed", history[0]["reason"])
	assert.Nil(t, history[0]["lead_times"], "a person's date has no lead times")

	// A stale version arriving late is ignored.
	h.must(h.acts.ReviseIncident, contract.ReviseIncidentInput{IncidentID: incident, ETA: "2026-12-01", ETAVersion: 1, DelayDays: 1, Reason: "late retry"}, nil)
	eta, version, delay, history = incidentState()
	assert.Equal(t, "2026-12-20", eta)
	assert.Equal(t, 2, version)
	assert.Equal(t, 30, delay)
	assert.Len(t, history, 1)

	// The next version applies, with the lead times of a new lookup.
	lts := []backorder.LineLeadTime{{SKU: "SKU-A", SupplierID: "SUP-LT", Days: 10, Source: backorder.LeadTimeFromProduct}}
	h.must(h.acts.ReviseIncident, contract.ReviseIncidentInput{IncidentID: incident, ETA: "2026-12-30", ETAVersion: 3, DelayDays: 40, LeadTimes: lts, Reason: "ETA passed"}, nil)
	eta, version, _, history = incidentState()
	assert.Equal(t, "2026-12-30", eta)
	assert.Equal(t, 3, version)
	require.Len(t, history, 2)
	assert.Equal(t, "ETA passed", history[1]["reason"])
	assert.NotNil(t, history[1]["lead_times"])

	requireBadData(t, h.run(h.acts.ReviseIncident, contract.ReviseIncidentInput{IncidentID: incident, ETA: "2026/12/30", ETAVersion: 4}, nil), contract.ErrTypeInvalidInput)
}

func TestCompleteTask(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	var task contract.TaskRef
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", IncidentID: incident, Role: "procurement_manager", Title: "Confirm"}, &task)

	done := contract.CompleteTaskInput{TaskID: task.ID, CompletedBy: "pat", Note: "supplier ships Monday", ConfirmedETA: "2026-12-10", CompletedAt: "2026-11-28T09:30:00Z"}
	h.must(h.acts.CompleteTask, done, nil)

	check := func() {
		t.Helper()
		got, err := h.s.Task(h.ctx, task.ID)
		require.NoError(t, err)
		assert.Equal(t, "done", string(got.Status))
		require.NotNil(t, got.CompletedBy)
		assert.Equal(t, "pat", *got.CompletedBy)
		require.NotNil(t, got.Note)
		assert.Equal(t, "supplier ships Monday", *got.Note)
		require.NotNil(t, got.ConfirmedETA)
		assert.Equal(t, "2026-12-10", got.ConfirmedETA.Format(time.DateOnly))
		require.NotNil(t, got.CompletedAt)
		assert.True(t, got.CompletedAt.Equal(time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)), "completed at %s", got.CompletedAt)
	}
	check()

	// A repeat, even with other details, is harmless and keeps the first.
	h.must(h.acts.CompleteTask, contract.CompleteTaskInput{TaskID: task.ID, CompletedBy: "sam", CompletedAt: "2026-11-29T10:00:00Z"}, nil)
	check()

	requireBadData(t, h.run(h.acts.CompleteTask, contract.CompleteTaskInput{TaskID: "T-404", CompletedBy: "pat", CompletedAt: "2026-11-28T09:30:00Z"}, nil),
		contract.ErrTypeTaskNotFound)
	requireBadData(t, h.run(h.acts.CompleteTask, contract.CompleteTaskInput{TaskID: task.ID, CompletedAt: "yesterday"}, nil), contract.ErrTypeInvalidInput)
	requireBadData(t, h.run(h.acts.CompleteTask, contract.CompleteTaskInput{TaskID: task.ID, ConfirmedETA: "soon", CompletedAt: "2026-11-28T09:30:00Z"}, nil),
		contract.ErrTypeInvalidInput)

	// Without a note or a confirmed date, those stay empty.
	var bare contract.TaskRef
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", IncidentID: incident, Role: "inventory_clerk", Title: "Adjust"}, &bare)
	h.must(h.acts.CompleteTask, contract.CompleteTaskInput{TaskID: bare.ID, CompletedBy: "kim", CompletedAt: "2026-11-28T10:00:00+01:00"}, nil)
	got, err := h.s.Task(h.ctx, bare.ID)
	require.NoError(t, err)
	assert.Equal(t, "done", string(got.Status))
	assert.Nil(t, got.Note)
	assert.Nil(t, got.ConfirmedETA)
	assert.True(t, got.CompletedAt.Equal(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)))
}

func TestCompleteTaskClosedAsObsolete(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	var task contract.TaskRef
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", IncidentID: incident, Role: "procurement_manager", Title: "Confirm"}, &task)
	h.must(h.acts.CloseBackorder, contract.CloseBackorderInput{OrderID: "SO-1", IncidentID: incident, Outcome: "cancelled"}, nil)

	err := h.run(h.acts.CompleteTask, contract.CompleteTaskInput{TaskID: task.ID, CompletedBy: "pat", CompletedAt: "2026-11-28T09:30:00Z"}, nil)
	requireBadData(t, err, contract.ErrTypeTaskNotFound)
	assert.ErrorContains(t, err, "obsolete")
	got, err := h.s.Task(h.ctx, task.ID)
	require.NoError(t, err)
	assert.Equal(t, "obsolete", string(got.Status), "an obsolete task stays obsolete")
	assert.Nil(t, got.CompletedBy)
}

// episodeState is what CloseBackorder touches, to compare before and after.
type episodeState struct {
	Alerts, Ledger                int
	IncidentStatus, CurrentStatus string
	OrderStatus                   string
	ResolvedAt                    *time.Time
	Tasks                         map[string]string
}

func (h *harness) episode(orderID, incident string) episodeState {
	h.t.Helper()
	st := episodeState{
		Alerts: h.count(`SELECT count(*) FROM active_alerts WHERE order_id = $1`, orderID),
		Ledger: h.count(`SELECT count(*) FROM notifications WHERE order_id = $1`, orderID),
		Tasks:  map[string]string{},
	}
	require.NoError(h.t, h.s.Pool().QueryRow(h.ctx, `SELECT status, resolved_at FROM incidents WHERE id = $1`, incident).
		Scan(&st.IncidentStatus, &st.ResolvedAt))
	require.NoError(h.t, h.s.Pool().QueryRow(h.ctx, `SELECT status, current_status FROM orders WHERE id = $1`, orderID).
		Scan(&st.OrderStatus, &st.CurrentStatus))
	tasks, err := h.s.ListTasks(h.ctx, store.TaskFilter{OrderID: orderID})
	require.NoError(h.t, err)
	for _, task := range tasks {
		st.Tasks[string(task.Role)] = string(task.Status)
	}
	return st
}

func TestCloseBackorderFulfilled(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-5", "ep-5", "2026-12-07")
	h.must(h.acts.NotifyCustomer, contract.NotifyCustomerInput{IncidentID: incident, OrderID: "SO-5", ETA: "2026-12-07", ETAVersion: 1}, nil)
	h.must(h.acts.AlertWarehouse, contract.AlertWarehouseInput{IncidentID: incident, OrderID: "SO-5", BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}, nil)
	h.must(h.acts.TextWarehouse, contract.AlertWarehouseInput{IncidentID: incident, OrderID: "SO-5", BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}, nil)
	var procurement, clerk contract.TaskRef
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-5", OrderID: "SO-5", IncidentID: incident, Role: "procurement_manager", Title: "Confirm"}, &procurement)
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-5", OrderID: "SO-5", IncidentID: incident, Role: "inventory_clerk", Title: "Adjust"}, &clerk)
	h.must(h.acts.CompleteTask, contract.CompleteTaskInput{TaskID: procurement.ID, CompletedBy: "pat", CompletedAt: "2026-11-28T09:30:00Z"}, nil)

	// Another order's episode must be left alone.
	other, _ := h.openIncident("SO-4", "ep-4", "2026-12-07")
	h.must(h.acts.AlertWarehouse, contract.AlertWarehouseInput{IncidentID: other, OrderID: "SO-4", BackorderValue: "1000.00", Currency: "USD", ETA: "2026-12-07"}, nil)
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-4", OrderID: "SO-4", IncidentID: other, Role: "inventory_clerk", Title: "Adjust"}, nil)
	otherBefore := h.episode("SO-4", other)

	before := h.episode("SO-5", incident)
	assert.Equal(t, 1, before.Alerts)
	assert.Equal(t, 2, before.Ledger, "customer email and warehouse SMS")

	closeIn := contract.CloseBackorderInput{OrderID: "SO-5", IncidentID: incident, Outcome: "fulfilled", Note: "shipped by courier"}
	h.must(h.acts.CloseBackorder, closeIn, nil)
	after := h.episode("SO-5", incident)
	assert.Zero(t, after.Alerts, "temporary alerts are removed")
	assert.Equal(t, 2, after.Ledger, "the ledger is history and stays")
	assert.Equal(t, "resolved", after.IncidentStatus)
	require.NotNil(t, after.ResolvedAt)
	assert.WithinDuration(t, time.Now(), *after.ResolvedAt, time.Minute)
	assert.Equal(t, map[string]string{"procurement_manager": "done", "inventory_clerk": "obsolete"}, after.Tasks)
	assert.Equal(t, "Fulfilled: backorder closed", after.CurrentStatus)
	assert.Equal(t, "Fulfilled", after.OrderStatus, "a fulfilment from any sender is the order's status too, so no sweep reopens it")
	var note string
	require.NoError(t, h.s.Pool().QueryRow(h.ctx, `SELECT close_note FROM incidents WHERE id = $1`, incident).Scan(&note))
	assert.Equal(t, "shipped by courier", note)

	// Repeating changes nothing.
	h.must(h.acts.CloseBackorder, closeIn, nil)
	again := h.episode("SO-5", incident)
	require.NotNil(t, again.ResolvedAt)
	assert.True(t, after.ResolvedAt.Equal(*again.ResolvedAt), "resolved_at is not moved by a repeat")
	again.ResolvedAt = after.ResolvedAt
	assert.Equal(t, after, again)

	// A later cancel of a resolved incident does not reopen or relabel it.
	h.must(h.acts.CloseBackorder, contract.CloseBackorderInput{OrderID: "SO-5", IncidentID: incident, Outcome: "cancelled"}, nil)
	assert.Equal(t, "resolved", h.episode("SO-5", incident).IncidentStatus)
	assert.Equal(t, "Fulfilled", h.episode("SO-5", incident).OrderStatus, "a closed order's status is not relabelled")

	assert.Equal(t, otherBefore, h.episode("SO-4", other), "another order's episode is untouched")

	requireBadData(t, h.run(h.acts.CloseBackorder, contract.CloseBackorderInput{OrderID: "SO-4", IncidentID: other, Outcome: "bogus"}, nil), contract.ErrTypeInvalidInput)
	assert.Equal(t, otherBefore, h.episode("SO-4", other), "a bad outcome writes nothing")
}

func TestCloseBackorderCancelled(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", IncidentID: incident, Role: "procurement_manager", Title: "Confirm"}, nil)
	h.must(h.acts.CloseBackorder, contract.CloseBackorderInput{OrderID: "SO-1", IncidentID: incident, Outcome: "cancelled"}, nil)
	st := h.episode("SO-1", incident)
	assert.Equal(t, "cancelled", st.IncidentStatus)
	assert.NotNil(t, st.ResolvedAt)
	assert.Equal(t, "Cancelled: backorder closed", st.CurrentStatus)
	assert.Equal(t, "Cancelled", st.OrderStatus)
	assert.Equal(t, map[string]string{"procurement_manager": "obsolete"}, st.Tasks)
}

// An order that left Backordered some other way (back to Pending) ends
// its episode without its status being touched.
func TestCloseBackorderNotBackordered(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	require.NoError(t, h.s.SetOrderStatus(h.ctx, "SO-1", "Pending"))
	h.must(h.acts.CloseBackorder, contract.CloseBackorderInput{OrderID: "SO-1", IncidentID: incident, Outcome: "not_backordered"}, nil)
	st := h.episode("SO-1", incident)
	assert.Equal(t, "resolved", st.IncidentStatus)
	assert.Equal(t, "Pending", st.OrderStatus)
}

// A new workflow for an order whose earlier workflow was lost finds the
// open episode to continue, and the sweep page says which orders have one.
func TestAssessBackorderFindsTheOpenEpisode(t *testing.T) {
	h := newHarness(t)
	var a contract.Assessment
	h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-1", AsOf: asOf}, &a)
	assert.Nil(t, a.OpenEpisode)

	incident, _ := h.openIncident("SO-1", "backorder-SO-1/lost-run", "2026-12-07")
	h.must(h.acts.AssessBackorder, contract.AssessInput{OrderID: "SO-1", AsOf: asOf}, &a)
	assert.Equal(t, &contract.OpenEpisode{IncidentID: incident, EpisodeKey: "backorder-SO-1/lost-run", ETA: "2026-12-07", ETAVersion: 1}, a.OpenEpisode)

	var page []contract.OverdueOrder
	h.must(h.acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: asOf, Limit: 2}, &page)
	require.Len(t, page, 2)
	assert.True(t, page[0].OpenEpisode, "SO-1 has an open episode")
	assert.False(t, page[1].OpenEpisode, "SO-2 has none")
}

// Every sweep stamps the overdue orders it finds, parked ones included,
// and brings the delay on their open incidents up to its as-of date.
func TestFindOverdueBackordersStampsThePage(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	var page []contract.OverdueOrder
	h.must(h.acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: "2026-11-28", Limit: 100}, &page)
	assert.Equal(t, 5, h.count(`SELECT count(*) FROM orders WHERE last_checked_at > now() - interval '1 minute'`),
		"SO-1, SO-2, SO-3, SO-4 and SO-5 are overdue on 2026-11-28")
	assert.Equal(t, 27, h.count(`SELECT delay_days FROM incidents WHERE id = $1`, incident), "2026-11-28 is 27 days after 2026-11-01")
}

// A task completed while its workflow could not be told stays open to the
// workflow (an adopted episode gets it back open) until the workflow
// acknowledges it; the sweep finds it meanwhile.
func TestUnacknowledgedCompletions(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	var task contract.TaskRef
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", IncidentID: incident, Role: "procurement_manager", Title: "Confirm"}, &task)
	eta := date("2026-12-20")
	_, err := h.s.CompleteTask(h.ctx, store.TaskCompletion{TaskID: task.ID, CompletedBy: "pat", Note: "by phone", ConfirmedETA: &eta, At: time.Now()})
	require.NoError(t, err)

	var again contract.TaskRef
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", IncidentID: incident, Role: "procurement_manager", Title: "Confirm"}, &again)
	assert.Equal(t, "open", string(again.Status), "the workflow has not been told")

	var found []contract.UnacknowledgedCompletion
	h.must(h.acts.FindUnacknowledgedCompletions, contract.FindClosedInput{Limit: 10}, &found)
	require.Len(t, found, 1)
	assert.Equal(t, contract.UnacknowledgedCompletion{OrderID: "SO-1", TaskID: task.ID, CompletedBy: "pat", Note: "by phone",
		ConfirmedETA: "2026-12-20", CompletedAt: found[0].CompletedAt}, found[0])

	// The workflow's own completion acknowledges it.
	h.must(h.acts.CompleteTask, contract.CompleteTaskInput{TaskID: task.ID, CompletedBy: "pat", CompletedAt: found[0].CompletedAt}, nil)
	found = nil
	h.must(h.acts.FindUnacknowledgedCompletions, contract.FindClosedInput{Limit: 10}, &found)
	assert.Empty(t, found)
	h.must(h.acts.CreateTask, contract.CreateTaskInput{EpisodeKey: "ep-1", OrderID: "SO-1", IncidentID: incident, Role: "procurement_manager", Title: "Confirm"}, &again)
	assert.Equal(t, "done", string(again.Status))
}

func TestBeginSweepRefusesAFutureDate(t *testing.T) {
	h := newHarness(t)
	tomorrow := backorder.DateOf(time.Now(), time.UTC).AddDate(0, 0, 1).Format(time.DateOnly)
	requireBadData(t, h.run(h.acts.BeginSweep, contract.BeginSweepInput{SweepID: "sweep-future", AsOf: tomorrow}, nil), contract.ErrTypeInvalidInput)
	assert.Zero(t, h.count(`SELECT count(*) FROM sweep_runs`), "nothing written")
}

func TestMarkOrderChecked(t *testing.T) {
	h := newHarness(t)
	start := time.Now()
	h.must(h.acts.MarkOrderChecked, contract.MarkOrderCheckedInput{OrderID: "SO-1", CurrentStatus: "Waiting for stock: ETA 2026-12-07"}, nil)

	var status, current string
	var checked *time.Time
	require.NoError(t, h.s.Pool().QueryRow(h.ctx, `SELECT status, current_status, last_checked_at FROM orders WHERE id = 'SO-1'`).
		Scan(&status, &current, &checked))
	assert.Equal(t, "Backordered", status)
	assert.Equal(t, "Waiting for stock: ETA 2026-12-07", current)
	require.NotNil(t, checked)
	assert.WithinDuration(t, start, *checked, time.Minute)

	assert.Zero(t, h.count(`SELECT count(*) FROM orders WHERE id <> 'SO-1' AND (last_checked_at IS NOT NULL OR current_status <> '')`))

	requireBadData(t, h.run(h.acts.MarkOrderChecked, contract.MarkOrderCheckedInput{OrderID: "SO-404", CurrentStatus: "x"}, nil), contract.ErrTypeOrderNotFound)

	// A re-import of the order data leaves the workflow's columns alone.
	_, err := h.s.Import(h.ctx, fixture())
	require.NoError(t, err)
	require.NoError(t, h.s.Pool().QueryRow(h.ctx, `SELECT current_status FROM orders WHERE id = 'SO-1'`).Scan(&current))
	assert.Equal(t, "Waiting for stock: ETA 2026-12-07", current)
}

type sweepRow struct {
	AsOf                                time.Time
	Found, Started, Running, Reconciled int
	Totals                              map[string]string
	StartedAt                           time.Time
	FinishedAt                          *time.Time
}

func (h *harness) sweepRun(id string) sweepRow {
	h.t.Helper()
	var r sweepRow
	require.NoError(h.t, h.s.Pool().QueryRow(h.ctx, `SELECT as_of, orders_found, workflows_started, already_running, reconciled,
		total_backorder_value, started_at, finished_at FROM sweep_runs WHERE sweep_id = $1`, id).
		Scan(&r.AsOf, &r.Found, &r.Started, &r.Running, &r.Reconciled, &r.Totals, &r.StartedAt, &r.FinishedAt))
	return r
}

func TestBeginSweep(t *testing.T) {
	h := newHarness(t)
	var got string
	h.must(h.acts.BeginSweep, contract.BeginSweepInput{SweepID: "sweep-1", AsOf: asOf}, &got)
	assert.Equal(t, asOf, got)
	run := h.sweepRun("sweep-1")
	assert.Equal(t, asOf, run.AsOf.Format(time.DateOnly))
	assert.Nil(t, run.FinishedAt)
	assert.Empty(t, run.Totals)
	assert.NotNil(t, run.Totals, "totals start as an empty object")
	assert.WithinDuration(t, time.Now(), run.StartedAt, time.Minute)

	requireBadData(t, h.run(h.acts.BeginSweep, contract.BeginSweepInput{SweepID: "sweep-2", AsOf: "11/27/2026"}, nil), contract.ErrTypeInvalidInput)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM sweep_runs`))
}

func TestBeginSweepDefaultsToTodayInBusinessTimezone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	h := newHarness(t, func(s *Settings) { s.Location = ny })

	before := backorder.DateOf(time.Now(), ny).Format(time.DateOnly)
	var got string
	h.must(h.acts.BeginSweep, contract.BeginSweepInput{SweepID: "sweep-today"}, &got)
	after := backorder.DateOf(time.Now(), ny).Format(time.DateOnly)
	assert.Contains(t, []string{before, after}, got)
	assert.Equal(t, got, h.sweepRun("sweep-today").AsOf.Format(time.DateOnly))
}

func TestFindOverdueBackorders(t *testing.T) {
	h := newHarness(t)
	all := []contract.OverdueOrder{
		{OrderID: "SO-1", Currency: "USD", BackorderValue: "39.98", DelayDays: 26},
		{OrderID: "SO-2", Currency: "USD", BackorderValue: "34.237", DelayDays: 7},
		{OrderID: "SO-4", Currency: "USD", BackorderValue: "1000.00", DelayDays: 1},
		{OrderID: "SO-5", Currency: "EUR", BackorderValue: "1000.01", DelayDays: 57},
	}

	var page []contract.OverdueOrder
	h.must(h.acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: asOf, Limit: 100}, &page)
	assert.Equal(t, all, page, "SO-3 is due today, SO-8 later; Pending, Fulfilled and Cancelled orders are not backorders")

	// Paging in id order.
	var got []contract.OverdueOrder
	after := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging must end")
		page = nil
		h.must(h.acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: asOf, AfterID: after, Limit: 3}, &page)
		if len(page) == 0 {
			break
		}
		assert.LessOrEqual(t, len(page), 3)
		got = append(got, page...)
		after = page[len(page)-1].OrderID
	}
	assert.Equal(t, all, got)

	page = nil
	h.must(h.acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: asOf, AfterID: "SO-1", Limit: 2}, &page)
	assert.Equal(t, all[1:3], page)

	// The day after its promise, SO-3 is overdue too.
	page = nil
	h.must(h.acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: "2026-11-28", AfterID: "SO-2", Limit: 1}, &page)
	assert.Equal(t, []contract.OverdueOrder{{OrderID: "SO-3", Currency: "USD", BackorderValue: "27.00", DelayDays: 1}}, page)

	// Before any promise, nothing.
	page = nil
	h.must(h.acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: "2026-10-01", Limit: 100}, &page)
	assert.Empty(t, page)

	requireBadData(t, h.run(h.acts.FindOverdueBackorders, contract.FindOverdueInput{AsOf: "", Limit: 10}, nil), contract.ErrTypeInvalidInput)
}

func TestFindClosedOrdersWithOpenIncidents(t *testing.T) {
	h := newHarness(t)
	// SO-1: fulfilled while its incident is open (the workflow missed it).
	h.openIncident("SO-1", "ep-1", "2026-12-07")
	require.NoError(t, h.s.SetOrderStatus(h.ctx, "SO-1", "Fulfilled"))
	// SO-2: fulfilled and its incident resolved.
	resolved, _ := h.openIncident("SO-2", "ep-2", "2026-12-07")
	h.must(h.acts.CloseBackorder, contract.CloseBackorderInput{OrderID: "SO-2", IncidentID: resolved, Outcome: "fulfilled"}, nil)
	require.NoError(t, h.s.SetOrderStatus(h.ctx, "SO-2", "Fulfilled"))
	// SO-4: incident open, still backordered.
	h.openIncident("SO-4", "ep-4", "2026-12-07")
	// SO-5: cancelled while its incident is open.
	h.openIncident("SO-5", "ep-5", "2026-12-07")
	require.NoError(t, h.s.SetOrderStatus(h.ctx, "SO-5", "Cancelled"))

	var page []contract.ClosedOrder
	h.must(h.acts.FindClosedOrdersWithOpenIncidents, contract.FindClosedInput{Limit: 100}, &page)
	assert.Equal(t, []contract.ClosedOrder{{OrderID: "SO-1", Status: "Fulfilled"}, {OrderID: "SO-5", Status: "Cancelled"}}, page)

	page = nil
	h.must(h.acts.FindClosedOrdersWithOpenIncidents, contract.FindClosedInput{Limit: 1}, &page)
	assert.Equal(t, []contract.ClosedOrder{{OrderID: "SO-1", Status: "Fulfilled"}}, page)
	page = nil
	h.must(h.acts.FindClosedOrdersWithOpenIncidents, contract.FindClosedInput{AfterID: "SO-1", Limit: 1}, &page)
	assert.Equal(t, []contract.ClosedOrder{{OrderID: "SO-5", Status: "Cancelled"}}, page)
	page = nil
	h.must(h.acts.FindClosedOrdersWithOpenIncidents, contract.FindClosedInput{AfterID: "SO-5", Limit: 1}, &page)
	assert.Empty(t, page)
}

func TestRecordSweep(t *testing.T) {
	h := newHarness(t)
	h.must(h.acts.BeginSweep, contract.BeginSweepInput{SweepID: "sweep-1", AsOf: asOf}, nil)
	started := h.sweepRun("sweep-1").StartedAt

	progress := contract.RecordSweepInput{
		SweepID: "sweep-1", AsOf: asOf,
		SweepTally: contract.SweepTally{
			OrdersFound: 3, TotalBackorderValue: map[string]string{"USD": "1074.217"}, WorkflowsStarted: 2, AlreadyRunning: 1,
		},
	}
	h.must(h.acts.RecordSweep, progress, nil)
	run := h.sweepRun("sweep-1")
	assert.Equal(t, 3, run.Found)
	assert.Equal(t, 2, run.Started)
	assert.Equal(t, 1, run.Running)
	assert.Equal(t, map[string]string{"USD": "1074.217"}, run.Totals)
	assert.Nil(t, run.FinishedAt, "not finished yet")

	final := progress
	final.OrdersFound = 4
	final.TotalBackorderValue = map[string]string{"USD": "1074.217", "EUR": "1000.01"}
	final.WorkflowsStarted, final.Reconciled, final.Finished = 3, 2, true
	h.must(h.acts.RecordSweep, final, nil)
	run = h.sweepRun("sweep-1")
	assert.Equal(t, sweepRow{
		AsOf: date(asOf), Found: 4, Started: 3, Running: 1, Reconciled: 2,
		Totals: map[string]string{"USD": "1074.217", "EUR": "1000.01"}, StartedAt: run.StartedAt, FinishedAt: run.FinishedAt,
	}, run)
	require.NotNil(t, run.FinishedAt)
	assert.WithinDuration(t, time.Now(), *run.FinishedAt, time.Minute)
	assert.True(t, started.Equal(run.StartedAt), "the start time is kept")
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM sweep_runs`))

	// A sweep recorded without BeginSweep is created.
	h.must(h.acts.RecordSweep, contract.RecordSweepInput{
		SweepID: "sweep-2", AsOf: asOf, SweepTally: contract.SweepTally{TotalBackorderValue: map[string]string{}}, Finished: true,
	}, nil)
	assert.NotNil(t, h.sweepRun("sweep-2").FinishedAt)

	requireBadData(t, h.run(h.acts.RecordSweep, contract.RecordSweepInput{SweepID: "sweep-3", AsOf: "x"}, nil), contract.ErrTypeInvalidInput)
}

// The activities' inputs and outputs cross Temporal as JSON; their field
// names are part of the workflow history and must not drift.
func TestPayloadFieldNames(t *testing.T) {
	b, err := json.Marshal(contract.Assessment{OrderID: "SO-1", AsOf: asOf, DelayDays: 1, BackorderValue: "1.00", AlertWarehouse: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"order_id":"SO-1","as_of":"2026-11-27","status":"","currency":"","delay_days":1,"backorder_value":"1.00","alert_warehouse":true,
		"promised_date":"","today":"","today_ends_at":"0001-01-01T00:00:00Z","max_customer_notices":0}`, string(b))
}
