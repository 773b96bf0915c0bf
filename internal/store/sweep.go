package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/contract"
)

// The sweep's queries: the overdue backorders it pages through, the
// stamps it makes on them, what it reconciles, and its own record.

// OverdueOrder is one row of the sweep's page.
type OverdueOrder struct {
	ID             string
	Currency       string
	PromisedDate   time.Time
	BackorderValue decimal.Decimal
	// OpenIncident: an episode is open for the order (its workflow runs,
	// or ended without closing it).
	OpenIncident bool
}

// OverdueBackorders pages, in id order after afterID, through orders that
// are Backordered with a promise before asOf, with their backorder value.
func (s *Store) OverdueBackorders(ctx context.Context, asOf time.Time, afterID string, limit int) ([]OverdueOrder, error) {
	rows, err := s.pool.Query(ctx, overdueBackordersSQL, asOf, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("finding overdue backorders: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[OverdueOrder])
}

const overdueBackordersSQL = `
		SELECT o.id, o.currency, o.promised_date,
		       COALESCE(sum(l.backordered_quantity * l.unit_price), 0),
		       EXISTS (SELECT 1 FROM incidents i WHERE i.order_id = o.id AND i.status = 'open')
		FROM (SELECT id, currency, promised_date FROM orders
		      WHERE status = 'Backordered' AND promised_date < $1 AND id > $2
		      ORDER BY id LIMIT $3) o
		LEFT JOIN order_lines l ON l.order_id = o.id
		GROUP BY o.id, o.currency, o.promised_date
		ORDER BY o.id`

// StampChecked is step 3 for a whole sweep page in one statement: every
// order's last_checked_at, and the delay recorded on its open incident as
// of asOf, parked orders included.
func (s *Store) StampChecked(ctx context.Context, orderIDs []string, asOf time.Time) error {
	_, err := s.pool.Exec(ctx, `
		WITH checked AS (
		    UPDATE orders SET last_checked_at = now() WHERE id = ANY($1) RETURNING id, promised_date)
		UPDATE incidents i SET delay_days = $2::date - c.promised_date, updated_at = now()
		FROM checked c
		WHERE i.order_id = c.id AND i.status = 'open' AND i.delay_days <> $2::date - c.promised_date`,
		orderIDs, asOf)
	if err != nil {
		return fmt.Errorf("stamping %d checked orders: %w", len(orderIDs), err)
	}
	return nil
}

// ExplainOverdueBackorders returns the query plan of OverdueBackorders, so
// the benchmark can show it uses the partial index.
func (s *Store) ExplainOverdueBackorders(ctx context.Context, asOf time.Time, afterID string, limit int) (string, error) {
	var plan string
	err := s.pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+overdueBackordersSQL, asOf, afterID, limit).Scan(&plan)
	return plan, err
}

// CountOnTheirWay counts the orders among ids that are still Backordered
// and whose current_status is not arrived: the sweep's measure of the orders
// it started that are still on their way. One no longer backordered has
// ended, not stalled.
func (s *Store) CountOnTheirWay(ctx context.Context, ids []string, arrived string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx,
		`SELECT count(*) FROM orders WHERE id = ANY($1) AND status = 'Backordered' AND current_status <> $2`,
		ids, arrived).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting orders in flight: %w", err)
	}
	return n, nil
}

// UnacknowledgedCompletions pages, in order id order after afterID, through
// done tasks of open incidents that their workflows have not acknowledged.
func (s *Store) UnacknowledgedCompletions(ctx context.Context, afterID string, limit int) ([]Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+prefixed("t.", taskColumns)+` FROM tasks t
		JOIN incidents i ON i.id = t.incident_id AND i.status = 'open'
		WHERE t.status = 'done' AND t.acknowledged_at IS NULL AND t.order_id > $1
		ORDER BY t.order_id, t.id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("finding unacknowledged task completions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Task, error) { return scanTask(r) })
}

func prefixed(prefix, columns string) string {
	return prefix + strings.ReplaceAll(columns, ", ", ", "+prefix)
}

// ClosedOrder is an order whose row is closed while its incident is open.
type ClosedOrder struct {
	ID     string
	Status contract.OrderStatus
}

// ClosedOrdersWithOpenIncidents finds orders marked Fulfilled or Cancelled
// whose backorder incident is still open: their workflows missed a signal.
func (s *Store) ClosedOrdersWithOpenIncidents(ctx context.Context, afterID string, limit int) ([]ClosedOrder, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT o.id, o.status
		FROM incidents i JOIN orders o ON o.id = i.order_id
		WHERE i.status = 'open' AND o.status IN ('Fulfilled', 'Cancelled') AND o.id > $1
		ORDER BY o.id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("finding closed orders with open incidents: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ClosedOrder])
}

// SweepRun is the record of one sweep. sweep_runs keeps no NotStarted:
// each such order's current_status says so.
type SweepRun struct {
	SweepID string
	AsOf    time.Time
	contract.SweepTally
	Finished bool
}

// SaveSweepRun creates or updates a sweep's record.
func (s *Store) SaveSweepRun(ctx context.Context, r SweepRun) error {
	totals, err := json.Marshal(r.TotalBackorderValue)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO sweep_runs (sweep_id, as_of, orders_found, total_backorder_value,
		                        workflows_started, already_running, reconciled, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() END)
		ON CONFLICT (sweep_id) DO UPDATE SET
		    orders_found = EXCLUDED.orders_found, total_backorder_value = EXCLUDED.total_backorder_value,
		    workflows_started = EXCLUDED.workflows_started, already_running = EXCLUDED.already_running,
		    reconciled = EXCLUDED.reconciled, finished_at = EXCLUDED.finished_at`,
		r.SweepID, r.AsOf, r.OrdersFound, totals, r.WorkflowsStarted, r.AlreadyRunning, r.Reconciled, r.Finished)
	if err != nil {
		return fmt.Errorf("recording sweep %s: %w", r.SweepID, err)
	}
	return nil
}
