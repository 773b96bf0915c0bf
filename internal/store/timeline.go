package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/report"
)

// What happened to an order, for the web app's order and task pages: its
// backorder incidents with their history, its tasks, and the messages the
// process sent about it (without their recipients), plus the latest
// weekly report.

// IncidentRecord is one backorder episode of an order as logged.
type IncidentRecord struct {
	ID             string
	Status         string // open, resolved or cancelled
	DelayDays      int
	BackorderValue decimal.Decimal
	Currency       string
	ETA            time.Time
	ETAVersion     int
	MitigationPlan string
	OpenedAt       time.Time
	ResolvedAt     *time.Time
	EscalatedAt    *time.Time
	CloseNote      string
	ClosedBy       string // who fulfilled or cancelled the order, when a person or system said so
	History        []IncidentEvent
}

// IncidentEvent is one entry of an incident's history: an ETA revision
// (with who and why when a person made it), an escalation, a supersession.
type IncidentEvent struct {
	Event      string `json:"event"`
	At         string `json:"at"`
	ETA        string `json:"eta,omitempty"`
	ETAVersion int    `json:"eta_version,omitempty"`
	Reason     string `json:"reason,omitempty"`
	RevisedBy  string `json:"revised_by,omitempty"`
	Note       string `json:"note,omitempty"`
}

// SentMessage is a message of the notifications ledger, described without
// its recipient's address or its body.
type SentMessage struct {
	Key        string
	IncidentID string // empty for a message about no incident
	Channel    string // email or sms
	Subject    string
	Status     string
	CreatedAt  time.Time
	SentAt     *time.Time
}

// OrderHistory is everything the process recorded about an order.
type OrderHistory struct {
	// Incidents, newest first.
	Incidents []IncidentRecord
	// Tasks and Messages, oldest first.
	Tasks    []Task
	Messages []SentMessage
}

// OrderHistory loads the order's incidents, tasks and messages in one
// consistent snapshot.
func (s *Store) OrderHistory(ctx context.Context, orderID string) (OrderHistory, error) {
	var h OrderHistory
	b := &pgx.Batch{}
	b.Queue(`
		SELECT id, status, delay_days, backorder_value, currency, eta, eta_version, mitigation_plan,
		       opened_at, resolved_at, escalated_at, close_note, COALESCE(closed_by, ''), history
		FROM incidents WHERE order_id = $1 ORDER BY opened_at DESC, id DESC`, orderID).
		Query(func(rows pgx.Rows) error {
			var err error
			h.Incidents, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (IncidentRecord, error) {
				var in IncidentRecord
				var history []byte
				if err := r.Scan(&in.ID, &in.Status, &in.DelayDays, &in.BackorderValue, &in.Currency, &in.ETA, &in.ETAVersion,
					&in.MitigationPlan, &in.OpenedAt, &in.ResolvedAt, &in.EscalatedAt, &in.CloseNote, &in.ClosedBy, &history); err != nil {
					return in, err
				}
				return in, json.Unmarshal(history, &in.History)
			})
			return err
		})
	b.Queue(`SELECT `+taskColumns+` FROM tasks WHERE order_id = $1 ORDER BY created_at, id`, orderID).
		Query(func(rows pgx.Rows) error {
			var err error
			h.Tasks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Task, error) { return scanTask(r) })
			return err
		})
	b.Queue(`SELECT key, COALESCE(incident_id, ''), channel, subject, status, created_at, sent_at FROM notifications
		WHERE order_id = $1 ORDER BY created_at, key`, orderID).
		Query(func(rows pgx.Rows) error {
			var err error
			h.Messages, err = pgx.CollectRows(rows, pgx.RowToStructByPos[SentMessage])
			return err
		})
	if err := s.readOnly(ctx, b); err != nil {
		return h, fmt.Errorf("loading the history of order %s: %w", orderID, err)
	}
	return h, nil
}

// LatestReport is the most recent stored weekly report (by week);
// ErrNotFound when none has been run yet.
func (s *Store) LatestReport(ctx context.Context) (report.Report, error) {
	var r report.Report
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM reports ORDER BY week DESC LIMIT 1`).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("weekly report: %w", ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("loading the latest weekly report: %w", err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("reading the latest weekly report: %w", err)
	}
	return r, nil
}
