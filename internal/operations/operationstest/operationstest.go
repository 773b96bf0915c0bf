// Package operationstest holds the fixtures the operations tests and the
// starter's tests share: a scratch database of orders and tasks, readers
// of the rows an operation must (or must not) change, and a stand-in
// backorder workflow whose validators refuse every update.
package operationstest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// OrdersDB is a scratch database holding one order per id in statuses,
// imported in that status, and its URL.
func OrdersDB(t *testing.T, statuses map[string]string) (*store.Store, string) {
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

// OrderRow is what a refused operation must leave alone.
type OrderRow struct {
	Status    string
	UpdatedAt time.Time
}

// ReadOrder reads an order's row.
func ReadOrder(t *testing.T, s *store.Store, id string) OrderRow {
	t.Helper()
	var r OrderRow
	require.NoError(t, s.Pool().QueryRow(context.Background(),
		`SELECT status, updated_at FROM orders WHERE id = $1`, id).Scan(&r.Status, &r.UpdatedAt))
	return r
}

// TaskRow is a task as stored, with whether its workflow acknowledged it.
type TaskRow struct {
	Status       string
	CompletedBy  *string
	Note         *string
	ConfirmedETA *time.Time
	CompletedAt  *time.Time
	Acknowledged bool
}

// ReadTask reads a task's row.
func ReadTask(t *testing.T, s *store.Store, id string) TaskRow {
	t.Helper()
	var r TaskRow
	require.NoError(t, s.Pool().QueryRow(context.Background(), `
		SELECT status, completed_by, note, confirmed_eta, completed_at, acknowledged_at IS NOT NULL
		FROM tasks WHERE id = $1`, id).
		Scan(&r.Status, &r.CompletedBy, &r.Note, &r.ConfirmedETA, &r.CompletedAt, &r.Acknowledged))
	return r
}

// NewTask creates an open task of role for the order and returns its id.
func NewTask(t *testing.T, s *store.Store, orderID, role string) string {
	t.Helper()
	task, err := s.CreateTask(context.Background(), store.NewTask{
		IdemKey: "test/" + orderID + "/" + role, OrderID: orderID, Role: contract.Role(role), Title: "Confirm a new supplier date",
	})
	require.NoError(t, err)
	return task.ID
}

// DateIn is today plus days in the named timezone, as YYYY-MM-DD.
func DateIn(t *testing.T, tz string, days int) string {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	require.NoError(t, err)
	return backorder.DateOf(time.Now(), loc).AddDate(0, 0, days).Format(backorder.DateLayout)
}

// ErrUnknownTask is what RefusingBackorder's complete-task validator wraps.
var ErrUnknownTask = errors.New("unknown task")

// RefusingBackorder stands in for BackorderWorkflow with the same names:
// its validators refuse every update, and it returns what the first
// closing signal carried. Register it under contract.BackorderWorkflowName.
// It tests the callers' side only; the real workflow is covered end to end
// elsewhere.
func RefusingBackorder(ctx workflow.Context, _ contract.BackorderInput) (string, error) {
	err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateCompleteTask,
		func(workflow.Context, contract.TaskCompletedSignal) (contract.BackorderState, error) {
			return contract.BackorderState{}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, in contract.TaskCompletedSignal) error {
			return fmt.Errorf("task %s is not a task of this order: %w", in.TaskID, ErrUnknownTask)
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
