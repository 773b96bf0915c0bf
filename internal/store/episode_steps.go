package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The writes at the start of an episode that always go together, each
// set in one transaction: one local activity and one commit instead of
// two or three. Each write is idempotent on its own (a task and an alert
// once per key, the order's stamp overwritten), so a retried set, or one
// that an earlier attempt committed, writes nothing twice.

// queryer is what a statement runs on: the pool, or a transaction.
type queryer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// BeginInvestigation stamps the order with currentStatus and creates
// procurement's task (or returns the one an earlier attempt created).
func (s *Store) BeginInvestigation(ctx context.Context, orderID, currentStatus string, task NewTask) (Task, error) {
	var t Task
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := markOrderChecked(ctx, tx, orderID, currentStatus); err != nil {
			return err
		}
		var err error
		t, err = createTask(ctx, tx, task)
		return err
	})
	return t, err
}

// Awaiting is what an episode records before it waits for the order's
// outcome.
type Awaiting struct {
	OrderID string
	// CurrentStatus is the order's stage while it waits.
	CurrentStatus string
	// Task is the inventory clerk's.
	Task NewTask
	// Alert is the high-value alert; nil for an order below the threshold.
	Alert *Alert
}

// AwaitFulfilment creates the clerk's task (or returns the one an earlier
// attempt created), raises the alert and stamps the order.
func (s *Store) AwaitFulfilment(ctx context.Context, a Awaiting) (Task, error) {
	var t Task
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if t, err = createTask(ctx, tx, a.Task); err != nil {
			return err
		}
		if a.Alert != nil {
			if err := raiseAlert(ctx, tx, *a.Alert); err != nil {
				return err
			}
		}
		return markOrderChecked(ctx, tx, a.OrderID, a.CurrentStatus)
	})
	return t, err
}
