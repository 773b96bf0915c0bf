package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/cli"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/testing/devstack"
)

var errUnknownTask = errors.New("unknown task")

// refusingBackorder stands in for BackorderWorkflow with the same names: its
// validators refuse every update, and it returns what the first closing
// signal carried. It tests the CLI's side only; the real workflow is
// covered end to end elsewhere.
func refusingBackorder(ctx workflow.Context, _ contract.BackorderInput) (string, error) {
	err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateCompleteTask,
		func(workflow.Context, contract.TaskCompletedSignal) (contract.BackorderState, error) {
			return contract.BackorderState{}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, in contract.TaskCompletedSignal) error {
			return fmt.Errorf("task %s is not a task of this order: %w", in.TaskID, errUnknownTask)
		}})
	if err != nil {
		return "", err
	}
	err = workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateReviseETA,
		func(workflow.Context, contract.ReviseETARequest) (contract.BackorderState, error) {
			return contract.BackorderState{}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, in contract.ReviseETARequest) error {
			return fmt.Errorf("ETA %s is not after the current ETA", in.ETA)
		}})
	if err != nil {
		return "", err
	}
	var got string
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(workflow.GetSignalChannel(ctx, contract.SignalOrderFulfilled), func(c workflow.ReceiveChannel, _ bool) {
		var s contract.OrderFulfilledSignal
		c.Receive(ctx, &s)
		got = "fulfilled: " + s.Note
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, contract.SignalOrderCancelled), func(c workflow.ReceiveChannel, _ bool) {
		var s contract.OrderCancelledSignal
		c.Receive(ctx, &s)
		got = "cancelled: " + s.Reason
	})
	sel.Select(ctx)
	return got, nil
}

// Against a real Temporal server: orders without a running workflow, a
// workflow that refuses updates, and the closing signals' payloads.
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
	w.RegisterWorkflowWithOptions(refusingBackorder, workflow.RegisterOptions{Name: contract.BackorderWorkflowName})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	start := func(orderID string) client.WorkflowRun {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: contract.BackorderWorkflowID(orderID), TaskQueue: queue},
			contract.BackorderWorkflowName, contract.BackorderInput{OrderID: orderID})
		require.NoError(t, err)
		return run
	}
	runA, runB := start("SO-RUN"), start("SO-RUN-2")
	usingEnv(t, "DATABASE_URL", dbURL, "TEMPORAL_ADDRESS", server.FrontendHostPort(), "BACKORDER_TASK_QUEUE", queue)
	eta := dateIn(t, "UTC", 7)
	succeed := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		require.Equal(t, 0, cli.Main(args, &out, &errOut), "%v: %s", args, errOut.String())
		assert.Empty(t, errOut.String(), "%v", args)
		return out.String()
	}

	t.Run("fulfill, no running workflow", func(t *testing.T) {
		out := succeed("fulfill", "SO-GONE", "--note", "found in aisle 4")
		assert.Equal(t, "order SO-GONE marked Fulfilled; it had no running backorder workflow (the next sweep closes any open backorder episode)\n", out)
		assert.Equal(t, "Fulfilled", readOrder(t, s, "SO-GONE").Status)
	})
	t.Run("task complete, no running workflow", func(t *testing.T) {
		out := succeed("task", "complete", gone, "--by", "alice", "--eta", eta)
		assert.Equal(t, "task "+gone+" is recorded done by alice in the database, with confirmed ETA "+eta+
			"; order SO-GONE-2 has no running backorder workflow: the next sweep will pick the order up\n", out)
		got := readTask(t, s, gone)
		assert.Equal(t, "done", got.Status)
		assert.False(t, got.Acknowledged)
	})
	t.Run("eta, no running workflow", func(t *testing.T) {
		requireOneLine(t, run("eta", "SO-GONE-2", "--eta", eta), "order SO-GONE-2 has no running backorder workflow", "nothing was changed")
	})
	t.Run("task complete, refused by the workflow", func(t *testing.T) {
		before := readTask(t, s, running)
		f := run("task", "complete", running, "--by", "alice", "--eta", eta)
		requireOneLine(t, f, "order SO-RUN's workflow refused to complete task "+running+": task "+running+" is not a task of this order: unknown task (nothing was changed)")
		assert.NotContains(t, f.stderr, "retryable")
		assert.Equal(t, before, readTask(t, s, running), "the CLI wrote nothing")
		assert.Equal(t, "open", before.Status)
	})
	t.Run("eta, refused by the workflow", func(t *testing.T) {
		f := run("eta", "SO-RUN", "--eta", eta)
		requireOneLine(t, f, "order SO-RUN's workflow refused ETA "+eta+": ETA "+eta+" is not after the current ETA (nothing was changed)")
		assert.NotContains(t, f.stderr, "retryable")
	})
	t.Run("fulfill sends its note", func(t *testing.T) {
		out := succeed("fulfill", "SO-RUN", "--note", "shipped from Reno")
		assert.Equal(t, "order SO-RUN marked Fulfilled; its backorder workflow is closing\n", out)
		var got string
		require.NoError(t, runA.Get(ctx, &got))
		assert.Equal(t, "fulfilled: shipped from Reno", got)
		assert.Equal(t, "Fulfilled", readOrder(t, s, "SO-RUN").Status)
	})
	t.Run("cancel sends its reason", func(t *testing.T) {
		out := succeed("cancel", "SO-RUN-2", "--reason", "customer asked")
		assert.Equal(t, "order SO-RUN-2 marked Cancelled; its backorder workflow is closing\n", out)
		var got string
		require.NoError(t, runB.Get(ctx, &got))
		assert.Equal(t, "cancelled: customer asked", got)
		assert.Equal(t, "Cancelled", readOrder(t, s, "SO-RUN-2").Status)
	})
	t.Run("a closed order stays closed", func(t *testing.T) {
		before := readOrder(t, s, "SO-RUN-2")
		requireOneLine(t, run("fulfill", "SO-RUN-2"), "order SO-RUN-2 is Cancelled, so it cannot be Fulfilled")
		assert.Equal(t, before, readOrder(t, s, "SO-RUN-2"))
	})
}
