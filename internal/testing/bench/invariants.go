package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/testing/systest"
)

// invariants checks, after fulfilment, that the run did exactly what the
// process calls for: one workflow, one incident, two tasks and one customer
// message per overdue order, no failures, nothing left running.
func (r *run) invariants(ctx context.Context) error {
	n := r.opts.Overdue
	// Visibility trails the last completions by a moment.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if running, err := systest.CountWorkflows(ctx, r.temporal, `ExecutionStatus = "Running"`); err != nil || running == 0 {
			break
		}
	}
	type check struct {
		name  string
		count func() (int, error)
		want  int
	}
	visibility := func(query string) func() (int, error) {
		return func() (int, error) { return systest.CountWorkflows(ctx, r.temporal, query) }
	}
	incidents := func(count func(perOrder map[string]int) int) func() (int, error) {
		return func() (int, error) {
			perOrder, err := r.db.IncidentsPerOrder(ctx)
			return count(perOrder), err
		}
	}
	checks := []check{
		{"one workflow per overdue order", visibility(`WorkflowType = "BackorderWorkflow"`), n},
		{"one incident per order", incidents(func(perOrder map[string]int) int { return len(perOrder) }), n},
		{"no second incident", incidents(func(perOrder map[string]int) int { return total(perOrder) - len(perOrder) }), 0},
		{"two tasks per order", func() (int, error) { return r.ordersWithTasks(ctx, 2) }, n},
		{"one customer message per order", func() (int, error) { return r.ordersWithEmails(ctx, 1) }, n},
		{"no failed workflows", visibility(`ExecutionStatus = "Failed" OR ExecutionStatus = "TimedOut" OR ExecutionStatus = "Terminated"`), 0},
		{"nothing left running", visibility(`ExecutionStatus = "Running"`), 0},
		{"every incident resolved", func() (int, error) { return r.db.CountUnresolvedIncidents(ctx) }, 0},
		{"no active alerts left", func() (int, error) { return r.db.CountActiveAlerts(ctx) }, 0},
	}
	r.results.InvariantsOK = true
	for _, c := range checks {
		got, err := c.count()
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		inv := Invariant{Name: c.name, OK: got == c.want, Detail: fmt.Sprintf("%d (want %d)", got, c.want)}
		r.results.Invariants = append(r.results.Invariants, inv)
		r.results.InvariantsOK = r.results.InvariantsOK && inv.OK
	}
	return nil
}

// ordersWithTasks counts the orders with exactly k tasks.
func (r *run) ordersWithTasks(ctx context.Context, k int) (int, error) {
	counts, err := r.db.TaskCounts(ctx)
	if err != nil {
		return 0, err
	}
	perOrder := map[string]int{}
	for _, c := range counts {
		perOrder[c.OrderID] += c.Tasks
	}
	return withCount(perOrder, k), nil
}

// ordersWithEmails counts the orders with exactly k emails on the ledger.
func (r *run) ordersWithEmails(ctx context.Context, k int) (int, error) {
	ledger, err := r.db.ListNotifications(ctx, "")
	if err != nil {
		return 0, err
	}
	perOrder := map[string]int{}
	for _, rec := range ledger {
		if rec.Channel == notify.Email {
			perOrder[rec.OrderID]++
		}
	}
	return withCount(perOrder, k), nil
}

// withCount counts the keys whose count is k.
func withCount(perKey map[string]int, k int) int {
	n := 0
	for _, c := range perKey {
		if c == k {
			n++
		}
	}
	return n
}

func total(perKey map[string]int) int {
	t := 0
	for _, c := range perKey {
		t += c
	}
	return t
}
