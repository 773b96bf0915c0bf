package cli_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations/operationstest"
	"github.com/acme/backorders/internal/testing/devstack"
)

// Against a real Temporal server, what the starter prints and its exit
// codes: orders without a running workflow, a workflow that refuses
// updates, the closing signals. The operations tests check what each
// changes.
func TestCommandsAgainstTemporal(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Temporal dev server: the integration tier, skipped with -short (make check)")
	}
	if _, err := devstack.TemporalCLIPath(); err != nil {
		t.Fatalf("the Temporal CLI is needed for this test: %v", err)
	}
	s, dbURL := ordersDB(t, map[string]string{
		"SO-GONE": "Backordered", "SO-GONE-2": "Backordered", "SO-RUN": "Backordered", "SO-RUN-2": "Backordered",
	})
	gone := newTask(t, s, "SO-GONE-2", "procurement_manager")
	running := newTask(t, s, "SO-RUN", "procurement_manager")

	ctx := context.Background()
	server, err := testsuite.StartDevServer(ctx, devstack.DevServerOptions(t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = server.Stop() })
	c := server.Client()
	const queue = "cli-test-stub"
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(operationstest.RefusingBackorder, workflow.RegisterOptions{Name: contract.BackorderWorkflowName})
	w.RegisterWorkflowWithOptions(slowSweep, workflow.RegisterOptions{Name: contract.SweepWorkflowName})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	for _, orderID := range []string{"SO-RUN", "SO-RUN-2"} {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: contract.BackorderWorkflowID(orderID), TaskQueue: queue},
			contract.BackorderWorkflowName, contract.BackorderInput{OrderID: orderID})
		require.NoError(t, err)
	}
	usingEnv(t, "DATABASE_URL", dbURL, "TEMPORAL_ADDRESS", server.FrontendHostPort(), "BACKORDER_TASK_QUEUE", queue)
	eta := dateIn(t, "UTC", 7)

	t.Run("fulfill, no running workflow", func(t *testing.T) {
		out := succeed(t, "fulfill", "SO-GONE", "--note", "found in aisle 4")
		assert.Equal(t, "order SO-GONE marked Fulfilled; it had no running backorder workflow (the next sweep closes any open backorder episode)\n", out)
	})
	t.Run("task complete, no running workflow", func(t *testing.T) {
		out := succeed(t, "task", "complete", gone, "--by", "alice", "--eta", eta)
		assert.Equal(t, "task "+gone+" is recorded done by alice in the database, with confirmed ETA "+eta+
			"; order SO-GONE-2 has no running backorder workflow: the next sweep will pick the order up\n", out)
	})
	t.Run("eta, no running workflow", func(t *testing.T) {
		requireOneLine(t, run("eta", "SO-GONE-2", "--eta", eta), exitNotFound, "order SO-GONE-2 has no running backorder workflow", "nothing was changed")
	})
	t.Run("status, no workflow", func(t *testing.T) {
		requireOneLine(t, run("status", "SO-NONE"), exitNotFound, "no backorder workflow for order SO-NONE", "starter sweep")
	})
	t.Run("task complete, refused by the workflow", func(t *testing.T) {
		f := run("task", "complete", running, "--by", "alice", "--eta", eta)
		requireOneLine(t, f, exitRefused, "order SO-RUN's workflow refused to complete task "+running+": task "+running+" is not a task of this order: unknown task (nothing was changed)")
		assert.NotContains(t, f.stderr, "retryable")
	})
	t.Run("eta, refused by the workflow", func(t *testing.T) {
		f := run("eta", "SO-RUN", "--eta", eta, "--json")
		requireOneLine(t, f, exitRefused, "order SO-RUN's workflow refused ETA "+eta+": ETA "+eta+" is not after the current ETA (nothing was changed)")
		assert.NotContains(t, f.stderr, "retryable")
	})
	t.Run("fulfill", func(t *testing.T) {
		out := succeed(t, "fulfill", "SO-RUN", "--note", "shipped from Reno")
		assert.Equal(t, "order SO-RUN marked Fulfilled; its backorder workflow is closing\n", out)
	})
	t.Run("cancel --json", func(t *testing.T) {
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(succeed(t, "cancel", "SO-RUN-2", "--reason", "customer asked", "--json")), &got))
		assert.Equal(t, map[string]any{"order_id": "SO-RUN-2", "status": "Cancelled", "workflow_told": true}, got)
	})
	t.Run("a closed order stays closed", func(t *testing.T) {
		requireOneLine(t, run("fulfill", "SO-RUN-2"), exitRefused, "order SO-RUN-2 is Cancelled, so it cannot be Fulfilled")
	})
	t.Run("setup --json", func(t *testing.T) {
		var got struct {
			DatabaseCreated bool `json:"database_created"`
			Migration       struct {
				Applied []any `json:"applied"`
			} `json:"migration"`
			SearchAttributes map[string]int `json:"search_attributes"`
			Schedules        []struct {
				ID      string `json:"id"`
				Created bool   `json:"created"`
				Spec    string `json:"spec"`
			} `json:"schedules"`
		}
		require.NoError(t, json.Unmarshal([]byte(succeed(t, "setup", "--json")), &got))
		assert.False(t, got.DatabaseCreated)
		assert.Empty(t, got.Migration.Applied, "the test database is migrated")
		assert.Equal(t, len(contract.SearchAttributeKeys), got.SearchAttributes["registered"]+got.SearchAttributes["already_present"])
		require.Len(t, got.Schedules, 2)
		assert.Equal(t, contract.SweepScheduleID, got.Schedules[0].ID)
		assert.True(t, got.Schedules[0].Created)
		assert.Equal(t, "1h0m0s", got.Schedules[0].Spec)
		assert.Equal(t, contract.ReportScheduleID, got.Schedules[1].ID)
	})
	t.Run("sweep --wait reports progress only when it changed", func(t *testing.T) {
		f := run("sweep", "--wait", "--json")
		require.Equal(t, 0, f.code, f.stderr)
		var result contract.SweepResult
		require.NoError(t, json.Unmarshal([]byte(f.stdout), &result), "stdout is the JSON alone:\n%s", f.stdout)
		assert.Equal(t, 3, result.WorkflowsStarted)
		// Polled every 2 s, each state lasted two polls or more (so the old
		// behaviour wrote four lines or more): each is said once, in order,
		// and nothing else is written (stderr is not a terminal here). On a
		// loaded machine a poll may miss the first state.
		first := "sweeping: 3 overdue orders found, 0 workflows started, 0 already running\n"
		second := "sweeping: 3 overdue orders found, 3 workflows started, 0 already running\n"
		assert.Contains(t, []string{first + second, second}, f.stderr)
	})
}

// slowSweep stands in for SweepWorkflow: its status query says the same
// for 5 s, then something else for 5 s, and it returns that.
func slowSweep(ctx workflow.Context, in contract.SweepInput) (contract.SweepResult, error) {
	progress := contract.SweepResult{AsOf: in.AsOf, SweepTally: contract.SweepTally{OrdersFound: 3}}
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (contract.SweepResult, error) { return progress, nil }); err != nil {
		return progress, err
	}
	if err := workflow.Sleep(ctx, 5*time.Second); err != nil {
		return progress, err
	}
	progress.WorkflowsStarted = 3
	return progress, workflow.Sleep(ctx, 5*time.Second)
}
