package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/cli"
	"github.com/acme/backorders/internal/operations/operationstest"
)

// The fixtures are shared with the operations tests, which check what the
// operations change in the database; these check what the starter prints
// and its exit codes.
var (
	ordersDB = operationstest.OrdersDB
	readTask = operationstest.ReadTask
	newTask  = operationstest.NewTask
	dateIn   = operationstest.DateIn
)

// A refused or unknown order: one line and exit 4 or 3; the operations
// tests check the rows are untouched.
func TestClosingAClosedOrderIsRefused(t *testing.T) {
	_, dbURL := ordersDB(t, map[string]string{"SO-F": "Fulfilled", "SO-C": "Cancelled", "SO-P": "Pending"})
	// Temporal is not there: a refusal must come before it is needed.
	usingEnv(t, "DATABASE_URL", dbURL)
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"fulfill", "SO-F", "--note", "again"}, exitRefused, []string{"order SO-F is already Fulfilled", "nothing was changed"}},
		{[]string{"cancel", "SO-C", "--reason", "again"}, exitRefused, []string{"order SO-C is already Cancelled", "nothing was changed"}},
		{[]string{"fulfill", "SO-P"}, exitRefused, []string{"order SO-P is Pending, not Backordered", "starter cancel", "nothing was changed"}},
		{[]string{"fulfill", "SO-C", "--json"}, exitRefused, []string{"order SO-C is Cancelled, so it cannot be Fulfilled", "import it again", "nothing was changed"}},
		{[]string{"cancel", "SO-F"}, exitRefused, []string{"order SO-F is Fulfilled, so it cannot be Cancelled", "nothing was changed"}},
		{[]string{"fulfill", "SO-404"}, exitNotFound, []string{"order SO-404 does not exist", "starter backorders"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			requireOneLine(t, run(tc.args...), tc.code, tc.want...)
		})
	}
}

func TestClosingAnOrderWithTemporalUnreachableFailsFast(t *testing.T) {
	_, dbURL := ordersDB(t, map[string]string{"SO-B": "Backordered"})
	usingEnv(t, "DATABASE_URL", dbURL, "TEMPORAL_ADDRESS", deadTemporal)
	f := run("fulfill", "SO-B", "--note", "shipped")
	requireOneLine(t, f, exitFailed, "order SO-B was not marked Fulfilled (nothing was changed)", `cannot reach Temporal at 127.0.0.1:1 (namespace "default")`)
	assert.Less(t, f.took, 5*time.Second)
}

func TestTaskCompleteWithTemporalUnreachableRecordsItForTheSweep(t *testing.T) {
	s, dbURL := ordersDB(t, map[string]string{"SO-B": "Backordered", "SO-J": "Backordered"})
	procurement := newTask(t, s, "SO-B", "procurement_manager")
	clerk := newTask(t, s, "SO-B", "inventory_clerk")
	usingEnv(t, "DATABASE_URL", dbURL, "TEMPORAL_ADDRESS", deadTemporal)
	eta := dateIn(t, "UTC", 5)

	out := succeed(t, "task", "complete", procurement, "--by", "alice", "--note", "supplier confirmed", "--eta", eta)
	assert.Equal(t, "task "+procurement+" is recorded done by alice in the database, with confirmed ETA "+eta+
		"; Temporal at 127.0.0.1:1 could not be reached, so the next sweep will tell order SO-B's workflow\n", out)
	assert.Equal(t, "alice", deref(readTask(t, s, procurement).CompletedBy))

	requireOneLine(t, run("task", "complete", procurement, "--by", "bob"), exitRefused, "task "+procurement+" is already done by alice", "nothing was changed")
	_, err := s.Pool().Exec(context.Background(), `UPDATE tasks SET status = 'obsolete', completed_at = now() WHERE id = $1`, clerk)
	require.NoError(t, err)
	requireOneLine(t, run("task", "complete", clerk), exitRefused, "task "+clerk+" was closed when order SO-B's backorder ended", "nothing was changed")
	requireOneLine(t, run("task", "complete", "T-404"), exitNotFound, "task T-404 does not exist", "starter tasks --status open")

	// --json: the same outcome for a program, still exit 0.
	var got struct {
		TaskID             string  `json:"task_id"`
		OrderID            string  `json:"order_id"`
		CompletedBy        string  `json:"completed_by"`
		ConfirmedETA       string  `json:"confirmed_eta"`
		RecordedByWorkflow bool    `json:"recorded_by_workflow"`
		Deferred           string  `json:"deferred"`
		State              *string `json:"state"`
	}
	other := newTask(t, s, "SO-J", "procurement_manager")
	require.NoError(t, json.Unmarshal([]byte(succeed(t, "task", "complete", other, "--by", "carol", "--json")), &got))
	assert.Equal(t, other, got.TaskID)
	assert.Equal(t, "SO-J", got.OrderID)
	assert.Equal(t, "carol", got.CompletedBy)
	assert.False(t, got.RecordedByWorkflow)
	assert.Contains(t, got.Deferred, "could not be reached")
	assert.Nil(t, got.State)
}

// succeed runs the starter, requires exit 0 and nothing on stderr, and
// returns stdout.
func succeed(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.Equal(t, 0, cli.Main(args, &out, &errOut), "%v: %s", args, errOut.String())
	assert.Empty(t, errOut.String(), "%v", args)
	return out.String()
}

// --eta is checked before anything is contacted (PostgreSQL and Temporal
// are both unreachable here), against today in BACKORDER_TIMEZONE; the
// operations tests cover the timezones, this the starter's line and exit
// code.
func TestETAMustBeAfterToday(t *testing.T) {
	const tz = "Pacific/Kiritimati"
	today := dateIn(t, tz, 0)
	usingEnv(t, "BACKORDER_TIMEZONE", tz)
	for _, args := range [][]string{
		{"task", "complete", "T-1", "--eta", today},
		{"eta", "SO-1", "--eta", today, "--by", "alice"},
	} {
		requireOneLine(t, run(args...), exitRefused,
			"--eta: "+today+" is not after today ("+today+", "+tz+"): give the date the goods are now expected")
	}
	// A date after today is accepted: the commands go on to contact
	// PostgreSQL or Temporal.
	tomorrow := dateIn(t, tz, 1)
	requireOneLine(t, run("task", "complete", "T-1", "--eta", tomorrow), exitFailed, "cannot reach PostgreSQL")
	requireOneLine(t, run("eta", "SO-1", "--eta", tomorrow), exitFailed, "order SO-1's ETA was not revised (nothing was changed)", "cannot reach Temporal at 127.0.0.1:1")
}

func TestSweepAsOfMayNotBeAfterToday(t *testing.T) {
	usingEnv(t, "BACKORDER_TIMEZONE", "Pacific/Kiritimati")
	today := dateIn(t, "Pacific/Kiritimati", 0)
	for _, days := range []int{1, 30} {
		asOf := dateIn(t, "Pacific/Kiritimati", days)
		f := run("sweep", "--as-of", asOf)
		requireOneLine(t, f, exitRefused, "--as-of "+asOf+" is after today ("+today+", Pacific/Kiritimati): delays are measured up to today at the latest")
	}
	// Today and earlier dates are allowed: the sweep goes on to Temporal.
	for _, asOf := range []string{today, dateIn(t, "Pacific/Kiritimati", -1)} {
		requireOneLine(t, run("sweep", "--as-of", asOf), exitFailed, "cannot reach Temporal at 127.0.0.1:1")
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
		{[]string{"--help"}, []string{"eta ", "backorders ", "Exit codes:", "2  usage error", "3  not found", "4  refused by a rule", "--json"}},
		{[]string{"backorders", "--help"}, []string{"--stage string", "--order string", "--min-value string", "--limit int", "--json"}},
		{[]string{"import", "--help"}, []string{"--dry-run", "--file - reads standard input", "--json"}},
	} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 0, cli.Main(tc.args, &out, &errOut), "%v: %s", tc.args, errOut.String())
		assert.Empty(t, errOut.String(), "%v", tc.args)
		for _, w := range tc.want {
			assert.Contains(t, out.String(), w, "%v", tc.args)
		}
	}
}

// Every command that prints a result can print it as JSON.
func TestEveryResultHasJSON(t *testing.T) {
	usingEnv(t)
	for _, args := range [][]string{
		{"setup"}, {"migrate"}, {"import"}, {"seed"}, {"sweep"}, {"status"}, {"tasks"}, {"task", "complete"}, {"eta"},
		{"fulfill"}, {"cancel"}, {"report"}, {"notifications"}, {"notifications", "resend"}, {"backorders"},
	} {
		out := succeed(t, append(args, "--help")...)
		assert.Regexp(t, `\n\s+--json\s`, out, "%v", args)
	}
}

func TestETAArgumentsGiveOneLine(t *testing.T) {
	usingEnv(t)
	requireOneLine(t, run("eta", "SO-1"), exitUsage, `required flag(s) "eta" not set`, "usage: starter eta ORDER_ID --eta YYYY-MM-DD")
	requireOneLine(t, run("eta", "--eta", "2099-01-01"), exitUsage, "accepts 1 arg(s), received 0", "starter eta --help")
	requireOneLine(t, run("eta", "SO-1", "--eta", "soon"), exitUsage, `--eta: "soon" is not a date in the form YYYY-MM-DD`)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
