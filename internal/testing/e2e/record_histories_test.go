package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordHistories turns on TestRecordHistories. The histories it writes are
// what workflows/replay_test.go replays in `make test`; re-record only for an
// intended change made safe with workflow.GetVersion (docs/development.md, "Changing
// workflows safely"). Histories named legacy_* were recorded before
// lifecycle-2026-11 and keep that branch replayable, lifecycle2_* at its
// version 2, before fewerRoundTrips: never re-record them.
var recordHistories = flag.Bool("record-histories", false,
	"run real scenarios and write their workflow histories to workflows/testdata/histories")

// historiesDir is workflows/testdata/histories, seen from this package.
const historiesDir = "../../../workflows/testdata/histories"

// TestRecordHistories runs the scenarios on real stacks, waits for each
// recorded workflow to close and writes its full history as JSON, the
// format worker.WorkflowReplayer.ReplayWorkflowHistoryFromJSONFile reads.
func TestRecordHistories(t *testing.T) {
	if !*recordHistories {
		t.Skip("records workflow histories for workflows/replay_test.go; run with -record-histories")
	}
	require.NoError(t, os.MkdirAll(historiesDir, 0o755))

	// Three stacks at once.
	t.Run("per-order", func(t *testing.T) {
		t.Parallel()
		recordPerOrder(t)
	})
	t.Run("sweep-and-report", func(t *testing.T) {
		t.Parallel()
		recordSweepAndReport(t)
	})
	t.Run("lifecycle", func(t *testing.T) {
		t.Parallel()
		recordLifecycle(t)
	})
}

// recordPerOrder: backorder_fulfilled (SO-1002, above the SMS threshold, so
// the warehouse path too), backorder_task_completed_new_eta (SO-1001) and
// backorder_cancelled (SO-1005), each from awaiting_fulfillment.
func recordPerOrder(t *testing.T) {
	s := newStack(t)
	c := s.temporalClient()
	s.sweepFixtures()

	s.mustRun("fulfill", "SO-1002")
	assert.True(t, s.awaitStage("SO-1002", "fulfilled").WarehouseAlerted)
	s.record(c, "backorder_fulfilled", "backorder-SO-1002")

	// Procurement confirms a later date (the ETA is revised, the customer
	// told); the clerk's completion revises nothing; then fulfilment.
	procurement := s.openTask("SO-1001", "procurement_manager")
	s.mustRun("task", "complete", procurement.ID, "--by", "alice", "--note", "supplier confirmed", "--eta", "2026-12-31")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, "2026-12-31", s.status("SO-1001").NewETA)
	}, 30*time.Second, 250*time.Millisecond)
	clerk := s.openTask("SO-1001", "inventory_clerk")
	s.mustRun("task", "complete", clerk.ID, "--by", "bob", "--note", "arrivals adjusted")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st := s.status("SO-1001")
		if assert.Len(c, st.Tasks, 2) {
			assert.Equal(c, "done", st.Tasks[1].Status)
		}
	}, 30*time.Second, 250*time.Millisecond)
	s.mustRun("fulfill", "SO-1001")
	s.awaitStage("SO-1001", "fulfilled")
	s.record(c, "backorder_task_completed_new_eta", "backorder-SO-1001")

	s.mustRun("cancel", "SO-1005", "--reason", "customer withdrew the order")
	s.awaitStage("SO-1005", "cancelled")
	s.record(c, "backorder_cancelled", "backorder-SO-1005")
}

// recordSweepAndReport: a second sweep that starts one new workflow, finds
// two running and reconciles an order cancelled in the database behind its
// workflow's back (sweep); then an on-demand report (weekly_report).
func recordSweepAndReport(t *testing.T) {
	s := newStack(t)
	c := s.temporalClient()
	s.sweepFixtures()
	_, err := s.db.Exec(t.Context(), `UPDATE orders SET status = 'Cancelled' WHERE id = 'SO-1005'`)
	require.NoError(t, err)

	// A day later SO-1003 (due 2026-11-27) is overdue too.
	var sweep sweepJSON
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-28", "--wait", "--json")
	assert.Equal(t, 3, sweep.OrdersFound)
	assert.Equal(t, 1, sweep.WorkflowsStarted)
	assert.Equal(t, 2, sweep.AlreadyRunning)
	assert.Equal(t, 1, sweep.Reconciled)
	s.awaitStage("SO-1005", "cancelled")
	s.record(c, "sweep", sweep.SweepID)

	s.mustRun("report", "--format", "json")
	var reportID string
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		resp, err := c.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: `WorkflowType="WeeklyReportWorkflow"`,
		})
		if assert.NoError(ct, err) && assert.Len(ct, resp.Executions, 1) {
			reportID = resp.Executions[0].Execution.WorkflowId
		}
	}, 30*time.Second, 250*time.Millisecond, "the report run never showed in the workflow list")
	s.record(c, "weekly_report", reportID)
}

// recordLifecycle: backorder_adopted (SO-1002's workflow terminated by an
// operator; the next sweep's run continues its incident; then a fulfilment
// sent with the official temporal CLI as a bare string) and
// backorder_escalated (SO-1001, with BACKORDER_MAX_CUSTOMER_NOTICES=1:
// terminated, its ETA passed meanwhile, so the adopted run escalates; then
// procurement revises the date and the order is cancelled).
//
// A re-check inside one run cannot be recorded in real time any more (an
// ETA is never before tomorrow); legacy_backorder_recheck keeps the
// recorded one and the workflow tests cover the current code.
func recordLifecycle(t *testing.T) {
	s := newStack(t, "BACKORDER_MAX_CUSTOMER_NOTICES=1")
	c := s.temporalClient()
	sweep := s.sweepFixtures()
	s.temporal("workflow", "terminate", "--workflow-id", "backorder-SO-1001", "--reason", "operator drill")
	s.temporal("workflow", "terminate", "--workflow-id", "backorder-SO-1002", "--reason", "operator drill")
	_, err := s.db.Exec(t.Context(), `UPDATE incidents SET eta = '2026-11-01' WHERE order_id = 'SO-1001'`)
	require.NoError(t, err)
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	require.Equal(t, 2, sweep.WorkflowsStarted)

	s.awaitStage("SO-1002", "awaiting_fulfillment")
	s.temporal("workflow", "signal", "--workflow-id", "backorder-SO-1002", "--name", "order-fulfilled", "--input", `"left the dock"`)
	s.awaitStage("SO-1002", "fulfilled")
	s.record(c, "backorder_adopted", "backorder-SO-1002")

	s.awaitStage("SO-1001", "escalated")
	s.mustRun("eta", "SO-1001", "--eta", confirmedETA, "--by", "pat", "--note", "air freight booked")
	s.mustRun("cancel", "SO-1001", "--reason", "customer withdrew the order")
	s.awaitStage("SO-1001", "cancelled")
	s.record(c, "backorder_escalated", "backorder-SO-1001")
}

// temporalClient dials the stack's dev server.
func (s *stack) temporalClient() client.Client {
	s.t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.envValue("TEMPORAL_ADDRESS"),
		Namespace: s.envValue("TEMPORAL_NAMESPACE"),
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	require.NoError(s.t, err)
	s.t.Cleanup(c.Close)
	return c
}

func (s *stack) envValue(key string) string {
	for _, kv := range s.env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	s.t.Fatalf("%s is not in the stack's environment", key)
	return ""
}

// openTask finds an order's open task of a role.
func (s *stack) openTask(orderID, role string) taskJSON {
	s.t.Helper()
	var tasks []taskJSON
	s.runJSON(&tasks, "tasks", "--role", role, "--status", "open", "--json")
	for _, task := range tasks {
		if task.OrderID == orderID {
			return task
		}
	}
	s.t.Fatalf("order %s has no open %s task", orderID, role)
	return taskJSON{}
}

// record waits for the workflow's latest run to close and writes its full
// history to historiesDir/<scenario>.json.
func (s *stack) record(c client.Client, scenario, workflowID string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.t.Context(), time.Minute)
	defer cancel()
	require.NoError(s.t, c.GetWorkflow(ctx, workflowID, "").Get(ctx, nil), "%s: workflow %s", scenario, workflowID)

	history := &historypb.History{}
	iter := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		event, err := iter.Next()
		require.NoError(s.t, err)
		history.Events = append(history.Events, event)
	}
	raw, err := protojson.Marshal(history)
	require.NoError(s.t, err)
	// protojson's spacing varies on purpose; re-indent for stable diffs.
	var out bytes.Buffer
	require.NoError(s.t, json.Indent(&out, raw, "", "  "))
	out.WriteByte('\n')

	path := filepath.Join(historiesDir, scenario+".json")
	tmp := path + ".tmp"
	require.NoError(s.t, os.WriteFile(tmp, out.Bytes(), 0o644))
	require.NoError(s.t, os.Rename(tmp, path))
	s.t.Logf("%s: %d events of %s written to %s", scenario, len(history.Events), workflowID, path)
}
