package chaos

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/localproc"
	"github.com/acme/backorders/internal/testing/systest"
)

const (
	// awaitingStatus is what the workflow writes to orders.current_status
	// once the customer was told and both tasks exist.
	awaitingStatus = "Backorder: awaiting fulfillment"
	// closedStatus is current_status after a fulfilment was handled.
	closedStatus = "Fulfilled: backorder closed"
	// smsThreshold is BACKORDER_SMS_THRESHOLD as the worker gets it.
	smsThreshold = "1000.00"
	// clientConcurrency bounds the drill's own parallel calls.
	clientConcurrency = 16
)

// Expected is what a sweep must do: the overdue orders it must handle and
// which of them are worth more than the SMS threshold.
type Expected struct {
	AsOf      string
	Orders    []string
	HighValue map[string]bool
}

// Seed adds overdue overdue orders plus a few that are not overdue, and
// reads back from the order lines which overdue orders are high value.
func (s *Stack) Seed(ctx context.Context, overdue int, asOf time.Time) (Expected, error) {
	extra := max(5, overdue/10)
	if _, err := s.Store.Seed(ctx, store.SeedOptions{Orders: overdue + extra, Overdue: overdue, AsOf: asOf, Seed: 1}); err != nil {
		return Expected{}, err
	}
	got, err := s.Store.OverdueOrderValues(ctx, asOf)
	if err != nil {
		return Expected{}, err
	}
	threshold := decimal.RequireFromString(smsThreshold)
	exp := Expected{AsOf: asOf.Format(time.DateOnly), HighValue: map[string]bool{}}
	for _, o := range got {
		exp.Orders = append(exp.Orders, o.ID)
		if o.BackorderValue.GreaterThan(threshold) {
			exp.HighValue[o.ID] = true
		}
	}
	if len(exp.Orders) != overdue {
		return exp, fmt.Errorf("seeded %d overdue orders, found %d", overdue, len(exp.Orders))
	}
	return exp, nil
}

// StartSweep starts a sweep at the as-of date, as `starter sweep` does.
func (s *Stack) StartSweep(ctx context.Context, asOf string) error {
	_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contract.SweepWorkflowID(asOf, "chaos"), TaskQueue: taskQueue,
	}, contract.SweepWorkflowName, contract.SweepInput{AsOf: asOf})
	return err
}

// Awaiting counts orders whose workflow reached awaiting_fulfillment and
// whose notices are settled on the ledger: the customer email, and the
// warehouse SMS of an order with an active alert. Notices go out beside
// the other steps, so the stage alone does not mean the customer was told,
// and a fulfilment before a notice rightly suppresses it.
func (s *Stack) Awaiting(ctx context.Context) (int, error) {
	return within(ctx, func(ctx context.Context) (int, error) {
		return s.Store.CountAwaitingNoticesSettled(ctx, awaitingStatus)
	})
}

// Completed counts per-order workflows that completed.
func (s *Stack) Completed(ctx context.Context) (int, error) {
	return s.countWorkflows(ctx, `WorkflowType = "BackorderWorkflow" AND ExecutionStatus = "Completed"`)
}

// Fulfil does what `starter fulfill` does for each order: the row says
// Fulfilled, then the workflow is signalled.
func (s *Stack) Fulfil(ctx context.Context, orders []string) error {
	return localproc.Parallel(orders, clientConcurrency, func(id string) error {
		if err := retry(ctx, func(ctx context.Context) error { return s.Store.SetOrderStatus(ctx, id, contract.OrderFulfilled) }); err != nil {
			return err
		}
		return retry(ctx, func(ctx context.Context) error {
			return s.Temporal.SignalWorkflow(ctx, contract.BackorderWorkflowID(id), "", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{Note: "chaos drill"})
		})
	})
}

// CompleteProcurementTasks does what `starter task complete` does for
// each order's procurement task: done in Postgres, then the signal.
func (s *Stack) CompleteProcurementTasks(ctx context.Context, orders []string) error {
	return localproc.Parallel(orders, clientConcurrency, func(id string) error {
		tasks, err := s.Store.ListTasks(ctx, store.TaskFilter{OrderID: id, Role: contract.RoleProcurementManager})
		if err == nil && len(tasks) == 0 {
			err = store.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("procurement task of %s: %w", id, err)
		}
		taskID := tasks[0].ID
		at := time.Now().UTC()
		if _, err := s.Store.CompleteTask(ctx, store.TaskCompletion{TaskID: taskID, CompletedBy: "chaos", Note: "supplier chased", At: at}); err != nil {
			return err
		}
		return retry(ctx, func(ctx context.Context) error {
			return s.Temporal.SignalWorkflow(ctx, contract.BackorderWorkflowID(id), "", contract.SignalTaskCompleted, contract.TaskCompletedSignal{
				TaskID: taskID, CompletedBy: "chaos", Note: "supplier chased", CompletedAt: at.Format(time.RFC3339),
			})
		})
	})
}

// Result reads a completed per-order workflow's final state.
func (s *Stack) Result(ctx context.Context, orderID string) (contract.BackorderState, error) {
	var st contract.BackorderState
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := s.Temporal.GetWorkflow(rctx, contract.BackorderWorkflowID(orderID), "").Get(rctx, &st)
	return st, err
}

// waitUntil polls check until it reports done, for at most limit. Errors
// from check (the database or the server is down, as the drill intends)
// are tolerated until the deadline and then reported; a worker that died
// on its own fails at once.
func (s *Stack) waitUntil(ctx context.Context, what string, limit time.Duration, check func(context.Context) (bool, string, error)) error {
	wait := systest.Wait{
		What: what, Limit: limit, Every: 100 * time.Millisecond, TolerateErrors: true, Guard: s.checkWorkers,
		Report: func(status string, waited time.Duration) {
			s.opts.Logf("waiting for %s: %s (%.0fs)", what, status, waited.Seconds())
		},
	}
	return wait.Until(ctx, check)
}

// waitAwaiting waits until at least n orders are awaiting fulfilment.
func (s *Stack) waitAwaiting(ctx context.Context, n int, limit time.Duration) error {
	return s.waitUntil(ctx, fmt.Sprintf("%d orders awaiting fulfilment", n), limit, func(ctx context.Context) (bool, string, error) {
		got, err := s.Awaiting(ctx)
		return got >= n, fmt.Sprintf("%d awaiting", got), err
	})
}

// waitCompleted waits until n per-order workflows completed.
func (s *Stack) waitCompleted(ctx context.Context, n int, limit time.Duration) error {
	return s.waitUntil(ctx, fmt.Sprintf("%d workflows completed", n), limit, func(ctx context.Context) (bool, string, error) {
		got, err := s.Completed(ctx)
		return got >= n, fmt.Sprintf("%d completed", got), err
	})
}

// retry calls fn until it succeeds, for up to a minute: the server or the
// database may be coming back. Not-found errors are final.
func retry(ctx context.Context, fn func(context.Context) error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := fn(cctx)
		cancel()
		var notFound *serviceerror.NotFound
		if err == nil || errors.As(err, &notFound) || errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
}
