package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/contract"
)

// The open backorder episodes, for people looking for an order: what
// `starter backorders` lists.

// BackorderFilter narrows the open episodes listed; zero fields match all.
type BackorderFilter struct {
	// Stage is awaiting_fulfillment or escalated: the only stages an open
	// episode has in PostgreSQL. Any other stage matches nothing.
	Stage    contract.Stage
	OrderID  string
	MinValue *decimal.Decimal // backorder value at least this, in the episode's own currency
	Limit    int              // at most this many; 0 for all
}

// BackorderSummary is one open episode: an order's open incident.
type BackorderSummary struct {
	OrderID    string
	IncidentID string
	Stage      contract.Stage
	// DelayDays is the delay when the episode opened.
	DelayDays  int
	Value      decimal.Decimal
	Currency   string
	ETA        time.Time // a calendar date
	ETAVersion int
	OpenedAt   time.Time
}

// Backorders lists the open episodes matching f, oldest first.
func (s *Store) Backorders(ctx context.Context, f BackorderFilter) ([]BackorderSummary, error) {
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	rows, err := s.pool.Query(ctx, `
		SELECT order_id, id,
		       CASE WHEN escalated_at IS NULL THEN $1 ELSE $2 END AS stage,
		       delay_days, backorder_value, currency, eta, eta_version, opened_at
		FROM incidents
		WHERE status = 'open'
		  AND ($3 = '' OR (CASE WHEN escalated_at IS NULL THEN $1 ELSE $2 END) = $3)
		  AND ($4 = '' OR order_id = $4)
		  AND ($5::numeric IS NULL OR backorder_value >= $5)
		ORDER BY opened_at, order_id
		LIMIT $6`,
		string(contract.StageAwaitingFulfillment), string(contract.StageEscalated), string(f.Stage), f.OrderID, f.MinValue, limit)
	if err != nil {
		return nil, fmt.Errorf("listing open backorders: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[BackorderSummary])
	if err != nil {
		return nil, fmt.Errorf("listing open backorders: %w", err)
	}
	return list, nil
}
