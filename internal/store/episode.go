package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
)

// A backorder episode: its incident, its ETA revisions and escalation,
// its alerts, and its close.

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
	return raiseAlert(ctx, s.pool, a)
}

func raiseAlert(ctx context.Context, q queryer, a Alert) error {
	_, err := q.Exec(ctx, `
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

// obsoleteOpenTasksSQL marks an order's open tasks obsolete; it reads
// tasks_open_by_order_idx alone.
const obsoleteOpenTasksSQL = `UPDATE tasks SET status = 'obsolete', completed_at = now()
	WHERE order_id = $1 AND status = 'open'`

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
		batch.Queue(obsoleteOpenTasksSQL, c.OrderID)
		batch.Queue(`UPDATE orders SET current_status = $2, last_checked_at = now(), updated_at = now()
			WHERE id = $1`, c.OrderID, c.CurrentStatus)
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("closing backorder of order %s: %w", c.OrderID, err)
		}
		return nil
	})
}
