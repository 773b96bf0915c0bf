package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/contract"
)

// What a run left in the database, counted: read-only queries the fault
// drills (internal/testing/chaos) and the benchmark (internal/testing/bench)
// wait on and check their invariants with. The process itself does not
// call them. The ledger's rows come from ListNotifications, a task by its
// order and role from ListTasks.

// OrderValue is an order's backordered value: Σ backordered quantity ×
// unit price of its lines (0 for an order without lines).
type OrderValue struct {
	ID             string
	BackorderValue decimal.Decimal
}

// OverdueOrderValues lists, in id order, the orders that are Backordered
// with a promise before asOf, with their backorder value: what a sweep as
// of asOf must handle.
func (s *Store) OverdueOrderValues(ctx context.Context, asOf time.Time) ([]OrderValue, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT o.id, COALESCE(sum(l.backordered_quantity * l.unit_price), 0)
		FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id
		WHERE o.status = 'Backordered' AND o.promised_date < $1
		GROUP BY o.id ORDER BY o.id`, asOf)
	if err != nil {
		return nil, fmt.Errorf("listing overdue orders: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[OrderValue])
}

// CountOverdueInCurrentStatus counts the orders that are Backordered with
// a promise before asOf and whose current_status is currentStatus, through
// the partial index of backordered orders (cheap enough to poll beside a
// run that is being measured).
func (s *Store) CountOverdueInCurrentStatus(ctx context.Context, asOf time.Time, currentStatus string) (int, error) {
	return s.count(ctx, `SELECT count(*) FROM orders
			WHERE status = 'Backordered' AND promised_date < $1 AND current_status = $2`, asOf, currentStatus)
}

// CountInCurrentStatus counts the orders among ids whose current_status is
// currentStatus.
func (s *Store) CountInCurrentStatus(ctx context.Context, ids []string, currentStatus string) (int, error) {
	return s.count(ctx, `SELECT count(*) FROM orders WHERE id = ANY($1) AND current_status = $2`, ids, currentStatus)
}

// CountCheckedOrders counts the orders a workflow or a sweep has stamped
// (last_checked_at set).
func (s *Store) CountCheckedOrders(ctx context.Context) (int, error) {
	return s.count(ctx, `SELECT count(*) FROM orders WHERE last_checked_at IS NOT NULL`)
}

// noticeSettled is the condition that a notifications row is settled:
// sent, recorded or failed, or unknown and not to be sent again (an SMS,
// or an email after two uncertain sends).
const noticeSettled = `status IN ('sent', 'recorded', 'failed') OR (status = 'unknown' AND (channel = 'sms' OR uncertain_sends >= 2))`

// PendingNotificationKeys lists the notifications whose provider call is
// in flight, or was when its attempt ended.
func (s *Store) PendingNotificationKeys(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT key FROM notifications WHERE status = 'pending' ORDER BY key`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CountNotificationsSettled counts the notifications of keys that are
// settled (noticeSettled).
func (s *Store) CountNotificationsSettled(ctx context.Context, keys []string) (int, error) {
	return s.count(ctx, `SELECT count(*) FROM notifications WHERE key = ANY($1) AND (`+noticeSettled+`)`, keys)
}

// CountAwaitingNoticesSettled counts the orders whose current_status is
// currentStatus (awaiting fulfilment) and whose notices are settled on the
// ledger: the customer email, and the warehouse SMS of an order with an
// active alert. A row is settled once sent, recorded or failed, or unknown
// and not to be sent again (an SMS, or an email after two uncertain
// sends). Notices go out beside the other steps, so the stage alone does
// not mean the customer was told.
func (s *Store) CountAwaitingNoticesSettled(ctx context.Context, currentStatus string) (int, error) {
	return s.count(ctx, `
		WITH settled AS (SELECT order_id, channel FROM notifications WHERE `+noticeSettled+`)
		SELECT count(*) FROM orders o
		WHERE o.current_status = $1
		  AND EXISTS (SELECT 1 FROM settled n WHERE n.order_id = o.id AND n.channel = 'email')
		  AND (SELECT count(*) FROM notifications n WHERE n.order_id = o.id) =
		      (SELECT count(*) FROM settled n WHERE n.order_id = o.id)
		  AND (NOT EXISTS (SELECT 1 FROM active_alerts a WHERE a.order_id = o.id)
		       OR EXISTS (SELECT 1 FROM settled n WHERE n.order_id = o.id AND n.channel = 'sms'))`,
		currentStatus)
}

// CustomerNotices counts the customer emails (about an incident) the
// ledger accepted, recorded or sent, and says when the last one was.
func (s *Store) CustomerNotices(ctx context.Context) (n int, last time.Time, err error) {
	var at *time.Time
	err = s.pool.QueryRow(ctx, `SELECT count(*), max(sent_at) FROM notifications
		WHERE channel = 'email' AND incident_id IS NOT NULL AND sent_at IS NOT NULL`).Scan(&n, &at)
	if at != nil {
		last = *at
	}
	return n, last, err
}

// CheckedOrder is an order with the moment it was last stamped.
type CheckedOrder struct {
	ID            string
	LastCheckedAt time.Time
}

// OrdersInCurrentStatus lists the orders whose current_status is
// currentStatus, with when each was last stamped.
func (s *Store) OrdersInCurrentStatus(ctx context.Context, currentStatus string) ([]CheckedOrder, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, last_checked_at FROM orders WHERE current_status = $1`, currentStatus)
	if err != nil {
		return nil, fmt.Errorf("listing orders in %q: %w", currentStatus, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CheckedOrder])
}

// IncidentsPerOrder counts the incidents of each order that has any.
func (s *Store) IncidentsPerOrder(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT order_id, count(*) FROM incidents GROUP BY order_id`)
	if err != nil {
		return nil, fmt.Errorf("counting incidents per order: %w", err)
	}
	out := map[string]int{}
	var orderID string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&orderID, &n}, func() error {
		out[orderID] = n
		return nil
	})
	return out, err
}

// OrdersWithIncidents lists up to limit ids of orders with an incident
// logged, in id order (an id once per incident).
func (s *Store) OrdersWithIncidents(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT order_id FROM incidents ORDER BY order_id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("listing orders with incidents: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CountResolvedIncidents counts the incidents resolved (fulfilled).
func (s *Store) CountResolvedIncidents(ctx context.Context) (int, error) {
	return s.count(ctx, `SELECT count(*) FROM incidents WHERE status = 'resolved'`)
}

// CountUnresolvedIncidents counts the incidents not resolved: open or
// cancelled.
func (s *Store) CountUnresolvedIncidents(ctx context.Context) (int, error) {
	return s.count(ctx, `SELECT count(*) FROM incidents WHERE status <> 'resolved'`)
}

// TaskCount is how many tasks an order has for one role.
type TaskCount struct {
	OrderID string
	Role    contract.Role
	Tasks   int
}

// TaskCounts counts the tasks of each order and role that has any.
func (s *Store) TaskCounts(ctx context.Context) ([]TaskCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT order_id, role, count(*) FROM tasks GROUP BY order_id, role`)
	if err != nil {
		return nil, fmt.Errorf("counting tasks per order and role: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[TaskCount])
}

// CountActiveAlerts counts the alerts not cleared yet.
func (s *Store) CountActiveAlerts(ctx context.Context) (int, error) {
	return s.count(ctx, `SELECT count(*) FROM active_alerts`)
}

func (s *Store) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, query, args...).Scan(&n)
	return n, err
}
