package bench

import (
	"context"
	"fmt"
	"time"
)

// invariants checks, after fulfilment, that the run did exactly what the
// process calls for: one workflow, one incident, two tasks and one customer
// message per overdue order, no failures, nothing left running.
func (r *run) invariants(ctx context.Context) error {
	n := r.opts.Overdue
	// Visibility trails the last completions by a moment.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if running, err := r.countWorkflows(ctx, `ExecutionStatus = "Running"`); err != nil || running == 0 {
			break
		}
	}
	type check struct {
		name  string
		count func() (int, error)
		want  int
	}
	sql := func(query string) func() (int, error) {
		return func() (int, error) { return r.countSQL(ctx, query) }
	}
	visibility := func(query string) func() (int, error) {
		return func() (int, error) { return r.countWorkflows(ctx, query) }
	}
	checks := []check{
		{"one workflow per overdue order", visibility(`WorkflowType = "BackorderWorkflow"`), n},
		{"one incident per order", sql(`SELECT count(DISTINCT order_id) FROM incidents`), n},
		{"no second incident", sql(`SELECT count(*) - count(DISTINCT order_id) FROM incidents`), 0},
		{"two tasks per order", sql(`SELECT count(*) FROM (SELECT order_id FROM tasks GROUP BY order_id HAVING count(*) = 2) t`), n},
		{"one customer message per order", sql(`SELECT count(*) FROM (SELECT order_id FROM notifications WHERE channel = 'email' GROUP BY order_id HAVING count(*) = 1) t`), n},
		{"no failed workflows", visibility(`ExecutionStatus = "Failed" OR ExecutionStatus = "TimedOut" OR ExecutionStatus = "Terminated"`), 0},
		{"nothing left running", visibility(`ExecutionStatus = "Running"`), 0},
		{"every incident resolved", sql(`SELECT count(*) FROM incidents WHERE status <> 'resolved'`), 0},
		{"no active alerts left", sql(`SELECT count(*) FROM active_alerts`), 0},
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
