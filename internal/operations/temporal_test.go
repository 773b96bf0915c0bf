package operations_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/operations/operationstest"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/devstack"
)

// acceptingBackorder stands in for BackorderWorkflow and accepts every
// update: a confirmed ETA becomes the next revision, as the real workflow
// records it, and a completion without one leaves the ETA as it was.
func acceptingBackorder(ctx workflow.Context, in contract.BackorderInput) error {
	state := contract.BackorderState{OrderID: in.OrderID, Stage: contract.StageAwaitingFulfillment, NewETA: "2099-01-01", ETAVersion: 1}
	if err := workflow.SetUpdateHandler(ctx, contract.UpdateCompleteTask, func(_ workflow.Context, c contract.TaskCompletedSignal) (contract.BackorderState, error) {
		if c.ConfirmedETA != "" {
			state.NewETA, state.ETAVersion = c.ConfirmedETA, state.ETAVersion+1
		}
		return state, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandler(ctx, contract.UpdateReviseETA, func(_ workflow.Context, r contract.ReviseETARequest) (contract.BackorderState, error) {
		state.NewETA, state.ETAVersion = r.ETA, state.ETAVersion+1
		return state, nil
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (contract.BackorderState, error) { return state, nil }); err != nil {
		return err
	}
	workflow.GetSignalChannel(ctx, contract.SignalOrderFulfilled).Receive(ctx, nil)
	return nil
}

// Against a real Temporal server: orders without a running workflow, a
// workflow that refuses updates, one that accepts them, and the closing
// signals' payloads.
func TestOperationsAgainstTemporal(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Temporal dev server: the integration tier, skipped with -short (make check)")
	}
	if _, err := devstack.TemporalCLIPath(); err != nil {
		t.Fatalf("the Temporal CLI is needed for this test: %v", err)
	}
	s, _ := operationstest.OrdersDB(t, map[string]string{
		"SO-GONE": "Backordered", "SO-GONE-2": "Backordered", "SO-RUN": "Backordered", "SO-RUN-2": "Backordered", "SO-OK": "Backordered",
	})
	gone := operationstest.NewTask(t, s, "SO-GONE-2", "procurement_manager")
	refused := operationstest.NewTask(t, s, "SO-RUN", "procurement_manager")
	accepted := operationstest.NewTask(t, s, "SO-OK", "procurement_manager")
	acceptedWithoutETA := operationstest.NewTask(t, s, "SO-OK", "inventory_clerk")

	ctx := context.Background()
	server, err := testsuite.StartDevServer(ctx, devstack.DevServerOptions(t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = server.Stop() })
	c := server.Client()
	const refusing, accepting = "ops-test-refusing", "ops-test-accepting"
	for queue, wf := range map[string]any{refusing: operationstest.RefusingBackorder, accepting: acceptingBackorder} {
		w := worker.New(c, queue, worker.Options{})
		w.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: contract.BackorderWorkflowName})
		require.NoError(t, w.Start())
		t.Cleanup(w.Stop)
	}
	start := func(orderID, queue string) client.WorkflowRun {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: contract.BackorderWorkflowID(orderID), TaskQueue: queue},
			contract.BackorderWorkflowName, contract.BackorderInput{OrderID: orderID})
		require.NoError(t, err)
		return run
	}
	runA, runB := start("SO-RUN", refusing), start("SO-RUN-2", refusing)
	start("SO-OK", accepting)
	cfg := settings("UTC")
	cfg.TemporalAddress = server.FrontendHostPort()
	svc := &operations.Service{Store: s, Temporal: c, Config: cfg}
	eta := operationstest.DateIn(t, "UTC", 7)

	t.Run("close, no running workflow", func(t *testing.T) {
		done, err := svc.CloseOrder(ctx, operations.CloseOrder{OrderID: "SO-GONE", To: contract.OrderFulfilled, Note: "found in aisle 4"})
		require.NoError(t, err)
		assert.Equal(t, operations.OrderClosed{OrderID: "SO-GONE", Status: contract.OrderFulfilled, WorkflowTold: false}, done)
		assert.Equal(t, "Fulfilled", operationstest.ReadOrder(t, s, "SO-GONE").Status)
	})
	t.Run("complete task, no running workflow", func(t *testing.T) {
		done, err := svc.CompleteTask(ctx, operations.CompleteTask{TaskID: gone, By: "alice", ConfirmedETA: eta})
		require.NoError(t, err)
		assert.Equal(t, "order SO-GONE-2 has no running backorder workflow: the next sweep will pick the order up", done.Deferred)
		got := operationstest.ReadTask(t, s, gone)
		assert.Equal(t, "done", got.Status)
		assert.False(t, got.Acknowledged)
	})
	t.Run("revise ETA, no running workflow", func(t *testing.T) {
		_, err := svc.ReviseETA(ctx, operations.ReviseETA{OrderID: "SO-GONE-2", By: "alice", ETA: eta})
		var notFound *operations.NotFoundError
		require.ErrorAs(t, err, &notFound)
		assert.Equal(t, "running backorder workflow", notFound.What)
		assert.Equal(t, "SO-GONE-2", notFound.ID)
		assert.Equal(t, "order SO-GONE-2 has no running backorder workflow, so its ETA cannot be revised: check the id, or run `starter sweep` if it is overdue (nothing was changed)", err.Error())
	})
	t.Run("status, no workflow", func(t *testing.T) {
		_, err := svc.Status(ctx, "SO-NONE")
		var notFound *operations.NotFoundError
		require.ErrorAs(t, err, &notFound)
		assert.Equal(t, "no backorder workflow for order SO-NONE: run `starter sweep` first, or check the order id", err.Error())
	})
	t.Run("complete task, refused by the workflow", func(t *testing.T) {
		before := operationstest.ReadTask(t, s, refused)
		_, err := svc.CompleteTask(ctx, operations.CompleteTask{TaskID: refused, By: "alice", ConfirmedETA: eta})
		var refusal *operations.RefusedError
		require.ErrorAs(t, err, &refusal)
		assert.Equal(t, "order SO-RUN's workflow refused to complete task "+refused+": task "+refused+" is not a task of this order: unknown task (nothing was changed)", refusal.Reason)
		assert.Equal(t, before, operationstest.ReadTask(t, s, refused), "nothing was written")
		assert.Equal(t, "open", before.Status)
	})
	t.Run("revise ETA, refused by the workflow", func(t *testing.T) {
		_, err := svc.ReviseETA(ctx, operations.ReviseETA{OrderID: "SO-RUN", By: "alice", ETA: eta})
		var refusal *operations.RefusedError
		require.ErrorAs(t, err, &refusal)
		assert.Equal(t, "order SO-RUN's workflow refused ETA "+eta+": ETA "+eta+" is not after the current ETA (nothing was changed)", refusal.Reason)
	})
	t.Run("complete task, accepted", func(t *testing.T) {
		// The episode as the workflow's activities record it: revision 1.
		incident, err := s.OpenIncident(ctx, store.Incident{EpisodeKey: "backorder-SO-OK/run-1", OrderID: "SO-OK", DelayDays: 3,
			BackorderValue: decimal.RequireFromString("39.98"), Currency: "USD", ETA: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), MitigationPlan: "wait"})
		require.NoError(t, err)

		done, err := svc.CompleteTask(ctx, operations.CompleteTask{TaskID: accepted, By: "alice", ConfirmedETA: eta})
		require.NoError(t, err)
		assert.Empty(t, done.Deferred)
		assert.True(t, done.ETAChanged, "revision 2 is not the stored revision 1")
		assert.Equal(t, eta, done.NewETA)
		assert.Equal(t, 2, done.ETAVersion)

		_, err = s.Pool().Exec(ctx, `UPDATE incidents SET eta_version = 2 WHERE id = $1`, incident)
		require.NoError(t, err)
		done, err = svc.CompleteTask(ctx, operations.CompleteTask{TaskID: acceptedWithoutETA, By: "bob"})
		require.NoError(t, err)
		assert.Empty(t, done.Deferred)
		assert.False(t, done.ETAChanged, "the workflow kept the ETA revision the database has")
	})
	t.Run("revise ETA, accepted", func(t *testing.T) {
		later := operationstest.DateIn(t, "UTC", 9)
		state, err := svc.ReviseETA(ctx, operations.ReviseETA{OrderID: "SO-OK", By: "alice", ETA: later})
		require.NoError(t, err)
		assert.Equal(t, later, state.NewETA)
		assert.Equal(t, 3, state.ETAVersion)
		state, err = svc.Status(ctx, "SO-OK")
		require.NoError(t, err)
		assert.Equal(t, later, state.NewETA)
	})
	t.Run("fulfil sends its note", func(t *testing.T) {
		done, err := svc.CloseOrder(ctx, operations.CloseOrder{OrderID: "SO-RUN", To: contract.OrderFulfilled, Note: "shipped from Reno"})
		require.NoError(t, err)
		assert.True(t, done.WorkflowTold)
		var got string
		require.NoError(t, runA.Get(ctx, &got))
		assert.Equal(t, "fulfilled: shipped from Reno", got)
		assert.Equal(t, "Fulfilled", operationstest.ReadOrder(t, s, "SO-RUN").Status)
	})
	t.Run("cancel sends its reason", func(t *testing.T) {
		done, err := svc.CloseOrder(ctx, operations.CloseOrder{OrderID: "SO-RUN-2", To: contract.OrderCancelled, Note: "customer asked"})
		require.NoError(t, err)
		assert.True(t, done.WorkflowTold)
		var got string
		require.NoError(t, runB.Get(ctx, &got))
		assert.Equal(t, "cancelled: customer asked", got)
		assert.Equal(t, "Cancelled", operationstest.ReadOrder(t, s, "SO-RUN-2").Status)
	})
}
