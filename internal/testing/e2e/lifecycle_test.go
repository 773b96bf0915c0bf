package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/testing/devstack"
)

// lifecycleJSON is the part of the status contract the lifecycle adds.
type lifecycleJSON struct {
	statusJSON
	Adopted         bool   `json:"adopted"`
	Escalated       bool   `json:"escalated"`
	CustomerNotices int    `json:"customer_notices"`
	FulfilmentNote  string `json:"fulfilment_note"`
	CancelReason    string `json:"cancel_reason"`
}

func (s *stack) lifecycle(orderID string) lifecycleJSON {
	s.t.Helper()
	var st lifecycleJSON
	s.runJSON(&st, "status", orderID, "--json")
	return st
}

// The world as operators and other systems make it: signals from the
// official temporal CLI (what the Web UI sends: a bare string, or nothing),
// workflows terminated by hand, re-sweeps over parked orders, and an ETA
// that passed while no workflow watched.
func TestLifecycleWithOtherSendersAndOperators(t *testing.T) {
	s := newStack(t, "BACKORDER_MAX_CUSTOMER_NOTICES=1")
	sweep := s.sweepFixtures()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.True(c, s.status("SO-1001").CustomerNotified)
	}, 30*time.Second, 250*time.Millisecond)

	// Signals from elsewhere record the order's new status with the
	// episode's close, whatever their payload.
	s.temporal("workflow", "signal", "--workflow-id", "backorder-SO-1002", "--name", "order-fulfilled", "--input", `"left the dock"`)
	s.temporal("workflow", "signal", "--workflow-id", "backorder-SO-1005", "--name", "order-cancelled")
	s.awaitStage("SO-1002", "fulfilled")
	assert.Equal(t, "left the dock", s.lifecycle("SO-1002").FulfilmentNote)
	s.awaitStage("SO-1005", "cancelled")
	assert.Equal(t, "Fulfilled", s.orderStatus("SO-1002"))
	assert.Equal(t, "Cancelled", s.orderStatus("SO-1005"))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM incidents WHERE order_id = 'SO-1002' AND status = 'resolved' AND close_note = 'left the dock'`))

	// An operator terminates SO-1001's workflow: the next sweep starts one
	// that continues the same incident, and the customer is not told the
	// same date twice. The closed orders stay closed.
	before := s.lifecycle("SO-1001")
	s.temporal("workflow", "terminate", "--workflow-id", "backorder-SO-1001", "--reason", "operator drill")
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 1, sweep.OrdersFound, "only SO-1001 is still backordered")
	assert.Equal(t, 1, sweep.WorkflowsStarted)
	adopted := s.awaitStage("SO-1001", "awaiting_fulfillment")
	assert.Equal(t, before.IncidentID, adopted.IncidentID)
	assert.Equal(t, before.NewETA, adopted.NewETA, "the date told stands")
	assert.True(t, s.lifecycle("SO-1001").Adopted)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.True(c, s.status("SO-1001").CustomerNotified)
	}, 30*time.Second, 250*time.Millisecond)
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM incidents WHERE order_id = 'SO-1001'`))
	assert.Equal(t, 2, s.count(`SELECT count(*) FROM tasks WHERE order_id = 'SO-1001'`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE order_id = 'SO-1001' AND channel = 'email'`))
	assert.Equal(t, 0, s.count(`SELECT count(*) FROM incidents WHERE order_id IN ('SO-1002', 'SO-1005') AND status = 'open'`))

	// A re-sweep asks Temporal to start nothing for the parked order: the
	// only start request is the sweep's own.
	starts := s.serverRequests("StartWorkflowExecution")
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 1, sweep.AlreadyRunning)
	assert.Equal(t, 0, sweep.WorkflowsStarted)
	assert.Equal(t, 1, s.serverRequests("StartWorkflowExecution")-starts, "start requests during the re-sweep")

	// Terminated again, and its ETA passed meanwhile: the customer has
	// heard the one date they will (BACKORDER_MAX_CUSTOMER_NOTICES=1), so
	// the adopted episode escalates instead of emailing again.
	s.temporal("workflow", "terminate", "--workflow-id", "backorder-SO-1001", "--reason", "operator drill")
	_, err := s.db.Exec(t.Context(), `UPDATE incidents SET eta = '2026-11-01' WHERE order_id = 'SO-1001'`)
	require.NoError(t, err)
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 1, sweep.WorkflowsStarted)
	escalated := s.awaitStage("SO-1001", "escalated")
	assert.Equal(t, before.IncidentID, escalated.IncidentID)
	assert.Equal(t, etaAfter(10), escalated.NewETA)
	assert.True(t, s.lifecycle("SO-1001").Escalated)
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM incidents WHERE order_id = 'SO-1001' AND escalated_at IS NOT NULL`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM tasks WHERE order_id = 'SO-1001' AND role = 'procurement_manager' AND status = 'open' AND title LIKE 'ETA missed 1 times: expedite, substitute or cancel%'`))
	assert.Equal(t, 1, s.count(`SELECT count(*) FROM notifications WHERE order_id = 'SO-1001' AND channel = 'email'`), "no email past the cap")
	assert.Equal(t, "Backorder: escalated (ETA missed 1 times)", s.currentStatus("SO-1001"))

	// The weekly report counts the order once, and its escalation (it
	// measures to the second, so from the next second on).
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var report struct {
			OpenCount   int `json:"open_count"`
			Escalations int `json:"escalations"`
		}
		out, _, code := s.run("report", "--format", "json")
		if assert.Equal(c, 0, code) && assert.NoError(c, jsonUnmarshal(out, &report)) {
			assert.Equal(c, 1, report.OpenCount)
			assert.Equal(c, 1, report.Escalations)
		}
	}, 10*time.Second, 500*time.Millisecond)

	s.mustRun("fulfill", "SO-1001", "--note", "expedited by air")
	s.awaitStage("SO-1001", "fulfilled")
	assert.Equal(t, "Fulfilled", s.orderStatus("SO-1001"))
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 0, sweep.OrdersFound, "no later sweep reopens a closed order")
}

// temporal runs the official Temporal CLI against the stack's dev server,
// as an operator would.
func (s *stack) temporal(args ...string) {
	s.t.Helper()
	path, err := devstack.TemporalCLIPath()
	require.NoError(s.t, err)
	args = append(args, "--address", s.envValue("TEMPORAL_ADDRESS"), "--namespace", s.envValue("TEMPORAL_NAMESPACE"))
	out, err := exec.Command(path, args...).CombinedOutput()
	require.NoError(s.t, err, "temporal %s:\n%s", strings.Join(args, " "), out)
}

// serverRequests is how many op requests the dev server's frontend has
// answered in the stack's namespace, refused ones included (its latency
// histogram counts every request; service_requests leaves out refusals).
func (s *stack) serverRequests(op string) int {
	s.t.Helper()
	return int(sumOf(scrape(s.t, s.metricsURL), "service_latency_count",
		`namespace="`+s.envValue("TEMPORAL_NAMESPACE")+`"`, `operation="`+op+`"`, `service_name="frontend"`))
}
