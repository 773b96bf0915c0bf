package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/api"
	"github.com/acme/backorders/internal/contract"
)

// An order system drives the order side through the API against the real
// backorder workflow: it creates an order, reads the backorder, completes
// procurement's task with a confirmed ETA, and fulfils the order, which the
// workflow hears at once.
func TestAnOrderSystemDrivesTheBackorderWorkflow(t *testing.T) {
	f := newFixture(t, true)
	erp := f.token("erp", api.ScopeOrdersWrite, api.ScopeOrdersRead, api.ScopeTasksRead, api.ScopeTasksWrite, api.ScopeBackordersRead)
	orderID, otherID := "SO-"+randomID(), "SO-"+randomID()

	got := f.call("POST", "/orders", erp, newOrders(orderID, otherID), api.IdempotencyKeyHeader, "create-"+orderID)
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)
	for _, id := range []string{orderID, otherID} {
		_, err := f.temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
			ID: contract.BackorderWorkflowID(id), TaskQueue: f.queue,
		}, contract.BackorderWorkflowName, contract.BackorderInput{OrderID: id, AsOf: dateIn(0)})
		require.NoError(t, err)
		f.awaitStage(erp, id, contract.StageAwaitingFulfillment)
	}

	got = f.call("GET", "/backorders?min_value=79.96&stage=awaiting_fulfillment&limit=10", erp, "")
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)
	list := got.json(t)["backorders"].([]any)
	require.Len(t, list, 2, "both are worth 4 x 19.99")
	first := list[0].(map[string]any)
	assert.Equal(t, "79.96", first["backorder_value"])
	assert.Equal(t, "USD", first["currency"])
	assert.Equal(t, 10.0, first["delay_days"])
	got = f.call("GET", "/backorders?min_value=79.97", erp, "")
	assert.Empty(t, got.json(t)["backorders"])
	got = f.call("GET", "/backorders?order="+otherID, erp, "")
	require.Len(t, got.json(t)["backorders"], 1)
	got = f.call("GET", "/backorders?stage=frozen", erp, "")
	require.Equal(t, http.StatusBadRequest, got.status)
	assert.Equal(t, "stage", got.errorOf(t)["field"])

	got = f.call("GET", "/tasks?role=procurement_manager&status=open&order_id="+orderID, erp, "")
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)
	tasks := got.json(t)["tasks"].([]any)
	require.Len(t, tasks, 1)
	taskID := tasks[0].(map[string]any)["id"].(string)

	t.Run("a confirmed ETA not after today is refused and nothing is written", func(t *testing.T) {
		got := f.call("POST", "/tasks/"+taskID+"/complete", erp, fmt.Sprintf(`{"confirmed_eta": %q}`, dateIn(0)))
		require.Equal(t, http.StatusUnprocessableEntity, got.status, "%s", got.body)
		e := got.errorOf(t)
		assert.Equal(t, "refused", e["code"])
		assert.Equal(t, "confirmed_eta", e["field"])
		assert.Contains(t, e["message"], "is not after today")
		assert.Equal(t, "open", f.taskStatus(taskID))
	})

	t.Run("complete a task with a confirmed ETA", func(t *testing.T) {
		eta := dateIn(40)
		body := fmt.Sprintf(`{"confirmed_eta": %q, "note": "supplier confirmed by phone"}`, eta)
		got := f.call("POST", "/tasks/"+taskID+"/complete", erp, body, api.IdempotencyKeyHeader, "complete-"+taskID)
		require.Equal(t, http.StatusOK, got.status, "%s", got.body)
		done := got.json(t)
		assert.Equal(t, true, done["workflow_told"])
		assert.Equal(t, "erp", done["completed_by"], "recorded as the token's name")
		assert.Equal(t, true, done["eta_changed"])
		state := done["backorder"].(map[string]any)
		assert.Equal(t, eta, state["new_eta"])
		assert.Equal(t, "done", f.taskStatus(taskID))
		var by string
		require.NoError(t, f.db.Pool().QueryRow(context.Background(), `SELECT completed_by FROM tasks WHERE id = $1`, taskID).Scan(&by))
		assert.Equal(t, "erp", by)

		again := f.call("POST", "/tasks/"+taskID+"/complete", erp, body, api.IdempotencyKeyHeader, "complete-"+taskID)
		assert.Equal(t, string(got.body), string(again.body), "a retry gets the first answer")

		twice := f.call("POST", "/tasks/"+taskID+"/complete", erp, body)
		require.Equal(t, http.StatusConflict, twice.status, "%s", twice.body)
		assert.Contains(t, twice.errorOf(t)["message"], "already done by erp")

		got = f.call("GET", "/backorders/"+orderID, erp, "")
		require.Equal(t, http.StatusOK, got.status)
		assert.Equal(t, eta, got.json(t)["new_eta"], "the order's ETA moved")
	})

	t.Run("fulfil reaches the workflow at once", func(t *testing.T) {
		got := f.call("POST", "/orders/"+orderID+"/status", erp, `{"status": "Fulfilled", "note": "shipped from Reno"}`)
		require.Equal(t, http.StatusOK, got.status, "%s", got.body)
		assert.Equal(t, map[string]any{"order_id": orderID, "status": "Fulfilled", "workflow_told": true}, got.json(t))
		assert.Equal(t, "Fulfilled", f.order(orderID).Status)
		state := f.awaitStage(erp, orderID, contract.StageFulfilled)
		assert.Equal(t, "shipped from Reno", state["fulfilment_note"])

		again := f.call("POST", "/orders/"+orderID+"/status", erp, `{"status": "Cancelled"}`)
		require.Equal(t, http.StatusConflict, again.status, "%s", again.body)
		assert.Contains(t, again.errorOf(t)["message"], "is Fulfilled, so it cannot be Cancelled")
		assert.Equal(t, "Fulfilled", f.order(orderID).Status)
	})

	t.Run("cancel, retried with its key, acts once", func(t *testing.T) {
		body := `{"status": "Cancelled", "note": "customer asked"}`
		got := f.call("POST", "/orders/"+otherID+"/status", erp, body, api.IdempotencyKeyHeader, "cancel-"+otherID)
		require.Equal(t, http.StatusOK, got.status, "%s", got.body)
		retried := f.call("POST", "/orders/"+otherID+"/status", erp, body, api.IdempotencyKeyHeader, "cancel-"+otherID)
		require.Equal(t, http.StatusOK, retried.status, "%s", retried.body)
		assert.Equal(t, "true", retried.header.Get(api.ReplayedHeader))
		state := f.awaitStage(erp, otherID, contract.StageCancelled)
		assert.Equal(t, "customer asked", state["cancel_reason"])
	})

	t.Run("unknown ids and bad input", func(t *testing.T) {
		for _, tc := range []struct {
			method, path, body string
			status             int
			code, field        string
		}{
			{"POST", "/orders/SO-404/status", `{"status": "Fulfilled"}`, http.StatusNotFound, "not_found", ""},
			{"POST", "/orders/" + orderID + "/status", `{"status": "Pending"}`, http.StatusBadRequest, "invalid", "status"},
			{"POST", "/orders/" + orderID + "/status", `{"state": "Fulfilled"}`, http.StatusBadRequest, "invalid", ""},
			{"GET", "/backorders/SO-404", "", http.StatusNotFound, "not_found", ""},
			{"POST", "/tasks/404404/complete", `{}`, http.StatusNotFound, "not_found", ""},
			{"POST", "/tasks/" + taskID + "/complete", `{"confirmed_eta": "soon"}`, http.StatusBadRequest, "invalid", "confirmed_eta"},
			{"GET", "/tasks?status=later", "", http.StatusBadRequest, "invalid", "status"},
			{"GET", "/backorders?limit=some", "", http.StatusBadRequest, "invalid", "limit"},
			{"GET", "/backorders?min_value=lots", "", http.StatusBadRequest, "invalid", "min_value"},
		} {
			got := f.call(tc.method, tc.path, erp, tc.body)
			require.Equal(t, tc.status, got.status, "%s %s: %s", tc.method, tc.path, got.body)
			e := got.errorOf(t)
			assert.Equal(t, tc.code, e["code"], "%s %s", tc.method, tc.path)
			assert.Equal(t, tc.field, e["field"], "%s %s", tc.method, tc.path)
			assert.NotEmpty(t, e["message"])
		}
	})
}

// awaitStage polls the backorder route until the order's workflow reports
// stage, and returns its state.
func (f *fixture) awaitStage(token, orderID string, stage contract.Stage) map[string]any {
	f.t.Helper()
	var state map[string]any
	require.EventuallyWithT(f.t, func(c *assert.CollectT) {
		got := f.call("GET", "/backorders/"+orderID, token, "")
		if !assert.Equal(c, http.StatusOK, got.status, "%s", got.body) {
			return
		}
		state = got.json(f.t)
		assert.Equal(c, string(stage), state["stage"])
	}, 60*time.Second, 200*time.Millisecond, "order %s reaches %s", orderID, stage)
	return state
}

func (f *fixture) taskStatus(id string) string {
	f.t.Helper()
	var status string
	require.NoError(f.t, f.db.Pool().QueryRow(context.Background(), `SELECT status FROM tasks WHERE id = $1`, id).Scan(&status))
	return status
}
