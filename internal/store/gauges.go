package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Gauges are the process's state as PostgreSQL holds it, for the metrics
// endpoint: read in one snapshot at each scrape.
type Gauges struct {
	// OpenEpisodes counts open incidents by stage: awaiting_fulfillment or
	// escalated.
	OpenEpisodes map[string]int
	// Escalations counts incidents ever escalated.
	Escalations int
	// RevenueAtRisk sums the open incidents' lines per currency.
	RevenueAtRisk map[string]decimal.Decimal
	// LastSweep is how long the last finished sweep took; zero before one.
	LastSweep time.Duration
}

// ReadGauges reads Gauges.
func (s *Store) ReadGauges(ctx context.Context) (Gauges, error) {
	g := Gauges{OpenEpisodes: map[string]int{"awaiting_fulfillment": 0, "escalated": 0}, RevenueAtRisk: map[string]decimal.Decimal{}}
	b := &pgx.Batch{}
	b.Queue(`SELECT count(*) FILTER (WHERE escalated_at IS NULL), count(*) FILTER (WHERE escalated_at IS NOT NULL)
	         FROM incidents WHERE status = 'open'`).QueryRow(func(row pgx.Row) error {
		var awaiting, escalated int
		err := row.Scan(&awaiting, &escalated)
		g.OpenEpisodes["awaiting_fulfillment"], g.OpenEpisodes["escalated"] = awaiting, escalated
		return err
	})
	b.Queue(`SELECT count(*) FROM incidents WHERE escalated_at IS NOT NULL`).QueryRow(func(row pgx.Row) error {
		return row.Scan(&g.Escalations)
	})
	b.Queue(`SELECT i.currency, sum(l.value) FROM incidents i JOIN incident_lines l ON l.incident_id = i.id
	         WHERE i.status = 'open' GROUP BY i.currency`).Query(func(rows pgx.Rows) error {
		var currency string
		var value decimal.Decimal
		_, err := pgx.ForEachRow(rows, []any{&currency, &value}, func() error {
			g.RevenueAtRisk[currency] = value
			return nil
		})
		return err
	})
	b.Queue(`SELECT coalesce(extract(epoch FROM finished_at - started_at), 0) FROM sweep_runs
	         WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1`).Query(func(rows pgx.Rows) error {
		var seconds float64
		_, err := pgx.ForEachRow(rows, []any{&seconds}, func() error {
			g.LastSweep = time.Duration(seconds * float64(time.Second))
			return nil
		})
		return err
	})
	if err := s.readOnly(ctx, b); err != nil {
		return g, fmt.Errorf("reading the metrics gauges: %w", err)
	}
	return g, nil
}
