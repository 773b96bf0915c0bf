package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
)

// OrderDetail is an order with what the process needs to know about it.
type OrderDetail struct {
	ID            string
	Status        contract.OrderStatus
	PromisedDate  time.Time
	Currency      string
	CustomerName  string
	CustomerEmail string
	Lines         []LineDetail
}

// LineDetail is an order line with its product and supplier.
type LineDetail struct {
	SKU                  string
	ProductName          string
	Quantity             int64
	BackorderedQuantity  int64
	UnitPrice            decimal.Decimal
	SupplierID           string
	SupplierName         string
	ProductLeadTimeDays  *int
	SupplierLeadTimeDays *int
}

// Order loads one order with its customer and lines (in line order).
func (s *Store) Order(ctx context.Context, orderID string) (OrderDetail, error) {
	var o OrderDetail
	err := s.pool.QueryRow(ctx, `
		SELECT o.id, o.status, o.promised_date, o.currency, c.name, c.email
		FROM orders o JOIN customers c ON c.id = o.customer_id
		WHERE o.id = $1`, orderID).
		Scan(&o.ID, &o.Status, &o.PromisedDate, &o.Currency, &o.CustomerName, &o.CustomerEmail)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("loading order %s: %w", orderID, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT l.sku, p.name, l.quantity, l.backordered_quantity, l.unit_price,
		       s.id, s.name, p.lead_time_days, s.lead_time_days
		FROM order_lines l
		JOIN products p ON p.sku = l.sku
		JOIN suppliers s ON s.id = p.supplier_id
		WHERE l.order_id = $1 ORDER BY l.line_no`, orderID)
	if err != nil {
		return o, fmt.Errorf("loading lines of order %s: %w", orderID, err)
	}
	o.Lines, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (LineDetail, error) {
		var l LineDetail
		err := r.Scan(&l.SKU, &l.ProductName, &l.Quantity, &l.BackorderedQuantity, &l.UnitPrice,
			&l.SupplierID, &l.SupplierName, &l.ProductLeadTimeDays, &l.SupplierLeadTimeDays)
		return l, err
	})
	if err != nil {
		return o, fmt.Errorf("loading lines of order %s: %w", orderID, err)
	}
	return o, nil
}

// MarkOrderChecked stamps last_checked_at and the human-readable stage.
func (s *Store) MarkOrderChecked(ctx context.Context, orderID, currentStatus string) error {
	tag, err := s.pool.Exec(ctx,
		`UPDATE orders SET last_checked_at = now(), current_status = $2, updated_at = now() WHERE id = $1`,
		orderID, currentStatus)
	if err != nil {
		return fmt.Errorf("updating order %s: %w", orderID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	return nil
}

// SetOrderStatus changes an order's status (Fulfilled, Cancelled, ...).
func (s *Store) SetOrderStatus(ctx context.Context, orderID string, status contract.OrderStatus) error {
	tag, err := s.pool.Exec(ctx,
		`UPDATE orders SET status = $2, updated_at = now() WHERE id = $1`, orderID, status)
	if err != nil {
		return fmt.Errorf("updating order %s: %w", orderID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	return nil
}

// StatusRefusedError: the order's status does not allow the change asked
// for; nothing was written.
type StatusRefusedError struct {
	OrderID string
	Status  contract.OrderStatus
}

func (e *StatusRefusedError) Error() string {
	return fmt.Sprintf("order %s is %s", e.OrderID, e.Status)
}

// ChangeOrderStatus sets the order's status to status only if it is now
// one of from, in one statement, so two callers cannot both win. It returns
// a *StatusRefusedError naming the current status otherwise.
func (s *Store) ChangeOrderStatus(ctx context.Context, orderID string, status contract.OrderStatus, from []contract.OrderStatus) error {
	var current *contract.OrderStatus
	err := s.pool.QueryRow(ctx, `
		WITH changed AS (
		    UPDATE orders SET status = $2, updated_at = now()
		    WHERE id = $1 AND status = ANY($3) RETURNING status)
		SELECT COALESCE((SELECT '' FROM changed), (SELECT status FROM orders WHERE id = $1))`,
		orderID, status, from).Scan(&current)
	switch {
	case err != nil:
		return fmt.Errorf("updating order %s: %w", orderID, err)
	case current == nil:
		return fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	case *current != "":
		return &StatusRefusedError{OrderID: orderID, Status: *current}
	}
	return nil
}

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

// Incident is what the per-order workflow logs about a backorder episode.
type Incident struct {
	EpisodeKey          string
	OrderID             string
	DelayDays           int
	BackorderValue      decimal.Decimal
	Currency            string
	ETA                 time.Time
	LeadTimes           []backorder.LineLeadTime
	UsedDefaultLeadTime bool
	MitigationPlan      string
}

// OpenIncident logs the incident of an episode once; a repeat returns the id
// of the one already logged. With the incident it captures, in the same
// transaction, the order's promised date and backordered lines (SKU,
// supplier, quantity, price) as they are now: the weekly report measures
// past weeks by them, whatever later becomes of the order.
func (s *Store) OpenIncident(ctx context.Context, in Incident) (string, error) {
	leadTimes, err := json.Marshal(in.LeadTimes)
	if err != nil {
		return "", err
	}
	var id string
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO incidents (episode_key, order_id, delay_days, backorder_value, currency, eta,
			                       lead_times, used_default_lead_time, mitigation_plan, promised_date)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, o.promised_date FROM orders o WHERE o.id = $2
			ON CONFLICT DO NOTHING
			RETURNING id`,
			in.EpisodeKey, in.OrderID, in.DelayDays, in.BackorderValue, in.Currency, in.ETA,
			leadTimes, in.UsedDefaultLeadTime, in.MitigationPlan).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			// Logged by an earlier attempt, or another episode of the order
			// is open (there is one at most): that one is continued. Or the
			// order is gone, which the lookup reports.
			err = tx.QueryRow(ctx, `
				SELECT id FROM incidents WHERE episode_key = $1
				UNION ALL
				SELECT id FROM incidents WHERE order_id = $2 AND status = 'open'
				LIMIT 1`, in.EpisodeKey, in.OrderID).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("order %s: %w", in.OrderID, ErrNotFound)
			}
			return err
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO incident_lines (incident_id, line_no, sku, product_name, supplier_id, supplier_name,
			                            backordered_quantity, unit_price, value)
			SELECT $1, l.line_no, l.sku, p.name, s.id, s.name, l.backordered_quantity, l.unit_price,
			       l.backordered_quantity * l.unit_price
			FROM order_lines l
			JOIN products p ON p.sku = l.sku
			JOIN suppliers s ON s.id = p.supplier_id
			WHERE l.order_id = $2 AND l.backordered_quantity > 0`, id, in.OrderID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("logging incident for order %s: %w", in.OrderID, err)
	}
	return id, nil
}

// OpenEpisode is the open incident of an order, for a workflow that takes
// over an episode whose own workflow ended without closing it.
type OpenEpisode struct {
	IncidentID string
	EpisodeKey string
	ETA        time.Time
	ETAVersion int
	Escalated  bool
}

// OpenEpisodeOf returns the order's open incident, or nil.
func (s *Store) OpenEpisodeOf(ctx context.Context, orderID string) (*OpenEpisode, error) {
	var e OpenEpisode
	err := s.pool.QueryRow(ctx, `
		SELECT id, episode_key, eta, eta_version, escalated_at IS NOT NULL
		FROM incidents WHERE order_id = $1 AND status = 'open'`, orderID).
		Scan(&e.IncidentID, &e.EpisodeKey, &e.ETA, &e.ETAVersion, &e.Escalated)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("finding the open incident of order %s: %w", orderID, err)
	}
	return &e, nil
}

// EscalateIncident marks the incident escalated, once; reason goes on its
// history.
func (s *Store) EscalateIncident(ctx context.Context, incidentID, reason string) error {
	entry, err := json.Marshal(map[string]any{"event": "escalated", "reason": reason, "at": time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		UPDATE incidents SET escalated_at = now(), history = history || jsonb_build_array($2::jsonb), updated_at = now()
		WHERE id = $1 AND escalated_at IS NULL`, incidentID, entry)
	if err != nil {
		return fmt.Errorf("escalating incident %s: %w", incidentID, err)
	}
	return nil
}

// IncidentRevision moves an incident to a new ETA.
type IncidentRevision struct {
	IncidentID string
	ETA        time.Time
	// ETAVersion orders revisions: a revision at or below the stored version
	// has been applied already and is skipped.
	ETAVersion int
	DelayDays  int
	// LeadTimes is nil when the date came from a person, not a lookup.
	LeadTimes []backorder.LineLeadTime
	Reason    string
	// RevisedBy and Note: the person who set the date and why; empty when
	// the process revised it itself.
	RevisedBy string
	Note      string
}

// ReviseIncident records a new ETA once per version, keeping the history of
// revisions on the incident.
func (s *Store) ReviseIncident(ctx context.Context, r IncidentRevision) error {
	entry, err := json.Marshal(map[string]any{
		"event": "eta_revised", "eta": r.ETA.Format(backorder.DateLayout), "eta_version": r.ETAVersion, "reason": r.Reason,
		"revised_by": r.RevisedBy, "note": r.Note, "lead_times": r.LeadTimes, "at": time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		UPDATE incidents SET eta = $2, eta_version = $3, delay_days = $4,
		       history = history || jsonb_build_array($5::jsonb), updated_at = now()
		WHERE id = $1 AND eta_version < $3`,
		r.IncidentID, r.ETA, r.ETAVersion, r.DelayDays, entry)
	if err != nil {
		return fmt.Errorf("revising incident %s: %w", r.IncidentID, err)
	}
	return nil
}

// Task is a human task.
type Task struct {
	ID           string
	OrderID      string
	Role         contract.Role
	Title        string
	Status       contract.TaskStatus
	CreatedAt    time.Time
	CompletedAt  *time.Time
	CompletedBy  *string
	Note         *string
	ConfirmedETA *time.Time
	// Acknowledged: the order's workflow knows the task is done.
	Acknowledged bool
}

const taskColumns = `id, order_id, role, title, status, created_at, completed_at, completed_by, note, confirmed_eta, acknowledged_at IS NOT NULL`

func scanTask(row pgx.Row) (Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.OrderID, &t.Role, &t.Title, &t.Status, &t.CreatedAt,
		&t.CompletedAt, &t.CompletedBy, &t.Note, &t.ConfirmedETA, &t.Acknowledged)
	return t, err
}

// NewTask is a task to create once per idempotency key.
type NewTask struct {
	IdemKey    string
	OrderID    string
	IncidentID string
	Role       contract.Role
	Title      string
}

// CreateTask creates the task for its key, or returns the one created by an
// earlier attempt.
func (s *Store) CreateTask(ctx context.Context, nt NewTask) (Task, error) {
	var incident *string
	if nt.IncidentID != "" {
		incident = &nt.IncidentID
	}
	t, err := scanTask(s.pool.QueryRow(ctx, `
		INSERT INTO tasks (idem_key, order_id, incident_id, role, title)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (idem_key) DO UPDATE SET idem_key = EXCLUDED.idem_key
		RETURNING `+taskColumns, nt.IdemKey, nt.OrderID, incident, nt.Role, nt.Title))
	if err != nil {
		return t, fmt.Errorf("creating %s task for order %s: %w", nt.Role, nt.OrderID, err)
	}
	return t, nil
}

// Task loads one task.
func (s *Store) Task(ctx context.Context, id string) (Task, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	return t, err
}

// TaskFilter narrows ListTasks; empty fields match everything.
type TaskFilter struct {
	Role    contract.Role
	Status  contract.TaskStatus
	OrderID string
}

// ListTasks lists tasks, oldest first.
func (s *Store) ListTasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE ($1 = '' OR role = $1) AND ($2 = '' OR status = $2) AND ($3 = '' OR order_id = $3)
		ORDER BY created_at, id`, f.Role, f.Status, f.OrderID)
	if err != nil {
		return nil, fmt.Errorf("listing tasks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Task, error) { return scanTask(r) })
}

// TaskCompletion records who finished a task.
type TaskCompletion struct {
	TaskID       string
	CompletedBy  string
	Note         string
	ConfirmedETA *time.Time
	At           time.Time
	// Acknowledged: the order's workflow made this completion, so it knows
	// of it. Without it, the next sweep tells the workflow.
	Acknowledged bool
}

// ErrTaskClosed: the task was closed as obsolete and cannot be completed.
var ErrTaskClosed = errors.New("task is closed as obsolete")

// CompleteTask marks an open task done. Completing a done task again is a
// no-op that returns it as it is (and, when Acknowledged, records that the
// workflow now knows).
func (s *Store) CompleteTask(ctx context.Context, c TaskCompletion) (Task, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, `
		UPDATE tasks SET status = 'done', completed_at = $2, completed_by = $3,
		       note = NULLIF($4, ''), confirmed_eta = $5, acknowledged_at = CASE WHEN $6 THEN now() END
		WHERE id = $1 AND status = 'open'
		RETURNING `+taskColumns, c.TaskID, c.At, c.CompletedBy, c.Note, c.ConfirmedETA, c.Acknowledged))
	if errors.Is(err, pgx.ErrNoRows) {
		if c.Acknowledged {
			if _, err := s.pool.Exec(ctx, `UPDATE tasks SET acknowledged_at = now()
				WHERE id = $1 AND status = 'done' AND acknowledged_at IS NULL`, c.TaskID); err != nil {
				return t, fmt.Errorf("acknowledging task %s: %w", c.TaskID, err)
			}
		}
		t, err = s.Task(ctx, c.TaskID)
		if err == nil && t.Status == contract.TaskObsolete {
			return t, fmt.Errorf("task %s: %w", c.TaskID, ErrTaskClosed)
		}
		return t, err
	}
	if err != nil {
		return t, fmt.Errorf("completing task %s: %w", c.TaskID, err)
	}
	return t, nil
}

// Alert is a temporary alert entry for an order needing attention.
type Alert struct {
	Key        string
	OrderID    string
	IncidentID string
	Kind       string
	Message    string
}

// RaiseAlert records an active alert once per key.
func (s *Store) RaiseAlert(ctx context.Context, a Alert) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO active_alerts (key, order_id, incident_id, kind, message)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`,
		a.Key, a.OrderID, a.IncidentID, a.Kind, a.Message)
	if err != nil {
		return fmt.Errorf("recording alert for order %s: %w", a.OrderID, err)
	}
	return nil
}

// EpisodeClosure ends a backorder episode.
type EpisodeClosure struct {
	OrderID        string
	IncidentID     string
	IncidentStatus string // resolved or cancelled
	CurrentStatus  string
	// OrderStatus (Fulfilled or Cancelled) is recorded on the order unless
	// the row already says Fulfilled or Cancelled; empty leaves it alone.
	OrderStatus contract.OrderStatus
	// Note is why the episode ended (fulfilment note, cancel reason).
	Note string
}

// CloseEpisode clears the order's alerts, closes its incident and its open
// tasks, and records the order's status, in one transaction, so a
// fulfilment signalled from anywhere is the order's truth too and no later
// sweep reopens it. Repeating it changes nothing more.
func (s *Store) CloseEpisode(ctx context.Context, c EpisodeClosure) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue(`DELETE FROM active_alerts WHERE order_id = $1`, c.OrderID)
		batch.Queue(`UPDATE incidents SET status = $2, resolved_at = now(), updated_at = now(), close_note = $3
			WHERE id = $1 AND status = 'open'`, c.IncidentID, c.IncidentStatus, c.Note)
		batch.Queue(`UPDATE orders SET status = $2, updated_at = now()
			WHERE id = $1 AND $2 <> '' AND status NOT IN ('Fulfilled', 'Cancelled')`, c.OrderID, c.OrderStatus)
		batch.Queue(`UPDATE tasks SET status = 'obsolete', completed_at = now()
			WHERE order_id = $1 AND status = 'open'`, c.OrderID)
		batch.Queue(`UPDATE orders SET current_status = $2, last_checked_at = now(), updated_at = now()
			WHERE id = $1`, c.OrderID, c.CurrentStatus)
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("closing backorder of order %s: %w", c.OrderID, err)
		}
		return nil
	})
}

// Notification is one intended message in the ledger.
type Notification struct {
	// Key is deterministic per intent (incident, notice kind, ETA version),
	// never per attempt: the unique constraint that makes sending once work.
	Key        string
	OrderID    string
	IncidentID string
	Channel    string // email or sms
	Recipient  string
	Subject    string
	// Body is the plain-text part (the whole SMS).
	Body string
	// HTMLBody is the optional HTML part of an email.
	HTMLBody    string
	Attachments []Attachment
	Status      string
}

// Attachment is a file sent with an email; Inline ones are shown in the
// HTML body through their ContentID (cid:...).
type Attachment struct {
	Filename    string
	ContentType string
	Content     []byte
	Inline      bool
	ContentID   string
}

func (n Notification) attachmentNames() []string {
	names := make([]string, len(n.Attachments))
	for i, a := range n.Attachments {
		names[i] = a.Filename
	}
	return names
}

// RecordNotification writes a ledger row once per key; inserted is false
// when the key has a row already, and rec is the row as it stands (it may
// say failed or unknown if a provider handled the key before).
func (s *Store) RecordNotification(ctx context.Context, n Notification) (rec NotificationRecord, inserted bool, err error) {
	rec, err = scanRecord(s.pool.QueryRow(ctx, `
		INSERT INTO notifications (key, order_id, incident_id, channel, recipient, subject, body, html_body, attachments, status, attempts, sent_at)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8, $9, $10, 1, now())
		ON CONFLICT (key) DO NOTHING
		RETURNING `+recordColumns,
		n.Key, n.OrderID, n.IncidentID, n.Channel, n.Recipient, n.Subject, n.Body, n.HTMLBody, n.attachmentNames(), n.Status))
	if err == nil {
		return rec, true, nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		rec, err = scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM notifications WHERE key = $1`, n.Key))
	}
	if err != nil {
		return rec, false, fmt.Errorf("recording %s notification %s: %w", n.Channel, n.Key, err)
	}
	return rec, false, nil
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
