package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/cli"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// ordersDB is a scratch database holding one order per id in statuses,
// with the status it was imported in.
func ordersDB(t *testing.T, statuses map[string]string) (*store.Store, string) {
	t.Helper()
	s, dbURL := pgtest.NewStore(t)
	d := store.Dataset{
		Suppliers: []store.Supplier{{ID: "SUP-1", Name: "Acme Parts", Email: "parts@example.com"}},
		Products:  []store.Product{{SKU: "SKU-1", Name: "Widget", SupplierID: "SUP-1"}},
		Customers: []store.Customer{{ID: "CUST-1", Name: "Jane Doe", Email: "jane@example.com"}},
	}
	for id, status := range statuses {
		d.Orders = append(d.Orders, store.Order{
			ID: id, CustomerID: "CUST-1", Status: contract.OrderStatus(status), Currency: "USD",
			PromisedDate: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			Lines:        []store.OrderLine{{SKU: "SKU-1", Quantity: 2, BackorderedQuantity: 2, UnitPrice: decimal.RequireFromString("19.99")}},
		})
	}
	_, err := s.Import(context.Background(), d)
	require.NoError(t, err)
	return s, dbURL
}

// orderRow is what the guards must leave alone.
type orderRow struct {
	Status    string
	UpdatedAt time.Time
}

func readOrder(t *testing.T, s *store.Store, id string) orderRow {
	t.Helper()
	var r orderRow
	require.NoError(t, s.Pool().QueryRow(context.Background(),
		`SELECT status, updated_at FROM orders WHERE id = $1`, id).Scan(&r.Status, &r.UpdatedAt))
	return r
}

// taskRow is a task as stored, with whether its workflow acknowledged it.
type taskRow struct {
	Status       string
	CompletedBy  *string
	Note         *string
	ConfirmedETA *time.Time
	CompletedAt  *time.Time
	Acknowledged bool
}

func readTask(t *testing.T, s *store.Store, id string) taskRow {
	t.Helper()
	var r taskRow
	require.NoError(t, s.Pool().QueryRow(context.Background(), `
		SELECT status, completed_by, note, confirmed_eta, completed_at, acknowledged_at IS NOT NULL
		FROM tasks WHERE id = $1`, id).
		Scan(&r.Status, &r.CompletedBy, &r.Note, &r.ConfirmedETA, &r.CompletedAt, &r.Acknowledged))
	return r
}

func newTask(t *testing.T, s *store.Store, orderID, role string) string {
	t.Helper()
	task, err := s.CreateTask(context.Background(), store.NewTask{
		IdemKey: "test/" + orderID + "/" + role, OrderID: orderID, Role: contract.Role(role), Title: "Confirm a new supplier date",
	})
	require.NoError(t, err)
	return task.ID
}

// dateIn is today plus days in the named timezone, as YYYY-MM-DD.
func dateIn(t *testing.T, tz string, days int) string {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	require.NoError(t, err)
	return backorder.DateOf(time.Now(), loc).AddDate(0, 0, days).Format(backorder.DateLayout)
}

func TestClosingAClosedOrderIsRefusedAndChangesNothing(t *testing.T) {
	s, dbURL := ordersDB(t, map[string]string{"SO-F": "Fulfilled", "SO-C": "Cancelled", "SO-P": "Pending"})
	// Temporal is not there: a refusal must come before it is needed.
	usingEnv(t, "DATABASE_URL", dbURL)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"fulfill", "SO-F", "--note", "again"}, []string{"order SO-F is already Fulfilled", "nothing was changed"}},
		{[]string{"cancel", "SO-C", "--reason", "again"}, []string{"order SO-C is already Cancelled", "nothing was changed"}},
		{[]string{"fulfill", "SO-P"}, []string{"order SO-P is Pending, not Backordered", "starter cancel", "nothing was changed"}},
		{[]string{"fulfill", "SO-C"}, []string{"order SO-C is Cancelled, so it cannot be Fulfilled", "import it again", "nothing was changed"}},
		{[]string{"cancel", "SO-F"}, []string{"order SO-F is Fulfilled, so it cannot be Cancelled", "nothing was changed"}},
		{[]string{"fulfill", "SO-404"}, []string{"order SO-404 does not exist"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			id := tc.args[1]
			var before orderRow
			if id != "SO-404" {
				before = readOrder(t, s, id)
			}
			requireOneLine(t, run(tc.args...), tc.want...)
			if id != "SO-404" {
				assert.Equal(t, before, readOrder(t, s, id), "the row is untouched")
			}
		})
	}
}

func TestClosingAnOrderWithTemporalUnreachableWritesNothing(t *testing.T) {
	s, dbURL := ordersDB(t, map[string]string{"SO-B": "Backordered", "SO-P": "Pending"})
	usingEnv(t, "DATABASE_URL", dbURL, "TEMPORAL_ADDRESS", deadTemporal)
	for _, args := range [][]string{
		{"fulfill", "SO-B", "--note", "shipped"}, {"cancel", "SO-B", "--reason", "customer asked"}, {"cancel", "SO-P"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			before := readOrder(t, s, args[1])
			f := run(args...)
			requireOneLine(t, f, "order "+args[1]+" was not marked", "nothing was changed", `cannot reach Temporal at 127.0.0.1:1 (namespace "default")`)
			assert.Less(t, f.took, 5*time.Second)
			assert.Equal(t, before, readOrder(t, s, args[1]), "the row is untouched")
		})
	}
}

func TestTaskCompleteWithTemporalUnreachableRecordsItForTheSweep(t *testing.T) {
	s, dbURL := ordersDB(t, map[string]string{"SO-B": "Backordered"})
	procurement := newTask(t, s, "SO-B", "procurement_manager")
	clerk := newTask(t, s, "SO-B", "inventory_clerk")
	usingEnv(t, "DATABASE_URL", dbURL, "TEMPORAL_ADDRESS", deadTemporal)
	eta := dateIn(t, "UTC", 5)

	var out, errOut bytes.Buffer
	code := cli.Main([]string{"task", "complete", procurement, "--by", "alice", "--note", "supplier confirmed", "--eta", eta}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Empty(t, errOut.String())
	assert.Equal(t, "task "+procurement+" is recorded done by alice in the database, with confirmed ETA "+eta+
		"; Temporal at 127.0.0.1:1 could not be reached, so the next sweep will tell order SO-B's workflow\n", out.String())

	got := readTask(t, s, procurement)
	assert.Equal(t, "done", got.Status)
	assert.Equal(t, "alice", deref(got.CompletedBy))
	assert.Equal(t, "supplier confirmed", deref(got.Note))
	require.NotNil(t, got.ConfirmedETA)
	assert.Equal(t, eta, got.ConfirmedETA.Format(backorder.DateLayout))
	assert.False(t, got.Acknowledged, "the workflow has not been told: the next sweep tells it")

	// Completing it again is refused, and leaves the first completion as it was.
	requireOneLine(t, run("task", "complete", procurement, "--by", "bob"), "task "+procurement+" is already done by alice", "nothing was changed")
	assert.Equal(t, got, readTask(t, s, procurement))

	// A task closed with its backorder cannot be completed.
	_, err := s.Pool().Exec(context.Background(), `UPDATE tasks SET status = 'obsolete', completed_at = now() WHERE id = $1`, clerk)
	require.NoError(t, err)
	closed := readTask(t, s, clerk)
	requireOneLine(t, run("task", "complete", clerk), "task "+clerk+" was closed when order SO-B's backorder ended", "nothing was changed")
	assert.Equal(t, closed, readTask(t, s, clerk))

	requireOneLine(t, run("task", "complete", "T-404"), "task T-404 does not exist", "starter tasks --status open")
}

// --eta is checked before anything is contacted (PostgreSQL and Temporal
// are both unreachable here), against today in BACKORDER_TIMEZONE.
func TestETAMustBeAfterTodayInTheBusinessTimezone(t *testing.T) {
	// Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: their
	// dates always differ, so a check done in UTC (or the machine's zone)
	// fails one of these cases whatever the time of day.
	const ahead, behind = "Pacific/Kiritimati", "Pacific/Pago_Pago"
	for _, tc := range []struct {
		tz, eta string
	}{
		{ahead, dateIn(t, ahead, 0)},
		{ahead, dateIn(t, ahead, -1)},
		{behind, dateIn(t, behind, 0)},
		{"UTC", "2020-01-01"},
	} {
		for _, args := range [][]string{
			{"task", "complete", "T-1", "--eta", tc.eta},
			{"eta", "SO-1", "--eta", tc.eta, "--by", "alice"},
		} {
			t.Run(tc.tz+" "+strings.Join(args, " "), func(t *testing.T) {
				usingEnv(t, "BACKORDER_TIMEZONE", tc.tz)
				f := run(args...)
				requireOneLine(t, f, "--eta "+tc.eta+" is not after today (", ", "+tc.tz+"): give the date the goods are now expected")
				assert.Contains(t, f.stderr, "today ("+dateIn(t, tc.tz, 0)+", ")
			})
		}
	}
	// A date after today there is accepted: the commands go on to contact
	// PostgreSQL or Temporal.
	usingEnv(t, "BACKORDER_TIMEZONE", behind)
	tomorrowThere := dateIn(t, ahead, 0)
	requireOneLine(t, run("task", "complete", "T-1", "--eta", tomorrowThere), "cannot reach PostgreSQL")
	requireOneLine(t, run("eta", "SO-1", "--eta", tomorrowThere), "order SO-1's ETA was not revised (nothing was changed)", "cannot reach Temporal at 127.0.0.1:1")
}

func TestSweepAsOfMayNotBeAfterToday(t *testing.T) {
	usingEnv(t, "BACKORDER_TIMEZONE", "Pacific/Kiritimati")
	today := dateIn(t, "Pacific/Kiritimati", 0)
	for _, days := range []int{1, 30} {
		asOf := dateIn(t, "Pacific/Kiritimati", days)
		f := run("sweep", "--as-of", asOf)
		requireOneLine(t, f, "--as-of "+asOf+" is after today ("+today+", Pacific/Kiritimati): delays are measured up to today at the latest")
	}
	// Today and earlier dates are allowed: the sweep goes on to Temporal.
	for _, asOf := range []string{today, dateIn(t, "Pacific/Kiritimati", -1)} {
		requireOneLine(t, run("sweep", "--as-of", asOf), "cannot reach Temporal at 127.0.0.1:1")
	}
}

func TestNewAndChangedCommandsHaveHelp(t *testing.T) {
	usingEnv(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"eta", "--help"}, []string{"starter eta ORDER_ID --eta YYYY-MM-DD", "revise-eta", "--eta string", "--by string", "--note string", "after today"}},
		{[]string{"fulfill", "--help"}, []string{"order-fulfilled", "--note string", "Only a Backordered order"}},
		{[]string{"cancel", "--help"}, []string{"order-cancelled", "--reason string", "Backordered or Pending"}},
		{[]string{"task", "complete", "--help"}, []string{"complete-task", "next sweep", "--eta string"}},
		{[]string{"sweep", "--help"}, []string{"not a future one"}},
		{[]string{"--help"}, []string{"eta "}},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 0, cli.Main(tc.args, &out, &errOut), "%v: %s", tc.args, errOut.String())
		assert.Empty(t, errOut.String(), "%v", tc.args)
		for _, w := range tc.want {
			assert.Contains(t, out.String(), w, "%v", tc.args)
		}
	}
}

func TestETAArgumentsGiveOneLine(t *testing.T) {
	usingEnv(t)
	requireOneLine(t, run("eta", "SO-1"), `required flag(s) "eta" not set`, "usage: starter eta ORDER_ID --eta YYYY-MM-DD")
	requireOneLine(t, run("eta", "--eta", "2099-01-01"), "accepts 1 arg(s), received 0", "starter eta --help")
	requireOneLine(t, run("eta", "SO-1", "--eta", "soon"), `--eta: "soon" is not a date in the form YYYY-MM-DD`)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
