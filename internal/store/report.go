package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/report"
)

// The weekly report's queries. Every figure comes from timestamps that are
// kept (incidents' opened_at and resolved_at, notifications' sent_at,
// tasks' created_at and completed_at) and from what an incident captured
// when it opened (promised date, lines with prices), never from the order
// rows as they are today: a past week comes out the same whenever it is
// computed. Aggregation happens here, in SQL; Go only assembles the rows.

// openAt is the incidents open at instant t, as a table: opened before t
// and not closed (resolved or cancelled) before t. It is written as two
// disjoint parts, still open and closed since t, rather than one OR: each
// part reads its own stretch of the resolved_at index, where the OR made
// the planner read every incident opened before t (over a year of history,
// nearly all of them, once per trend week).
func openAt(t string) string {
	return `(SELECT * FROM incidents WHERE resolved_at IS NULL AND opened_at < ` + t + `
	         UNION ALL
	         SELECT * FROM incidents WHERE resolved_at >= ` + t + ` AND opened_at < ` + t + `)`
}

var (
	// The trend, one row per week: $1 the weeks' starts, $2 the instants
	// they are measured at (their ends; now for the week in progress).
	trendSQL = `
		SELECT (SELECT count(*) FROM incidents i WHERE i.opened_at >= w.start AND i.opened_at < w.cutoff),
		       c.resolved, c.cancelled,
		       (SELECT count(*) FROM incidents i WHERE i.escalated_at >= w.start AND i.escalated_at < w.cutoff),
		       (SELECT count(*) FROM ` + openAt("w.cutoff") + ` i),
		       round((extract(epoch FROM c.median) / 86400)::numeric, 1)
		FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS w(start, cutoff, n)
		CROSS JOIN LATERAL (
		    SELECT count(*) FILTER (WHERE i.status = 'resolved') AS resolved,
		           count(*) FILTER (WHERE i.status = 'cancelled') AS cancelled,
		           percentile_cont(0.5) WITHIN GROUP (ORDER BY i.resolved_at - i.opened_at)
		               FILTER (WHERE i.status = 'resolved') AS median
		    FROM incidents i WHERE i.resolved_at >= w.start AND i.resolved_at < w.cutoff) c
		ORDER BY w.n`
	// Revenue at risk per trend week and currency: $1 the weeks' cutoffs.
	trendRevenueSQL = `
		SELECT w.n, i.currency, sum(l.value)
		FROM unnest($1::timestamptz[]) WITH ORDINALITY AS w(cutoff, n)
		CROSS JOIN LATERAL ` + openAt("w.cutoff") + ` i
		JOIN incident_lines l ON l.incident_id = i.id
		GROUP BY w.n, i.currency`
	// Open incidents at $1 by days past their promised date on $2 (NULL:
	// no date on record) and currency, with their value (NULL: no lines).
	// Valuing each incident first, in one join, is several times faster on
	// large histories than a per-incident subquery.
	agingSQL = `
		SELECT days, currency, count(*), sum(value) FROM (
		    SELECT $2::date - i.promised_date AS days, i.currency, sum(l.value) AS value
		    FROM ` + openAt("$1") + ` i LEFT JOIN incident_lines l ON l.incident_id = i.id
		    GROUP BY i.id, i.promised_date, i.currency) valued
		GROUP BY days, currency`
	topSuppliersSQL = topSQL("supplier_id", "supplier_name")
	topSKUsSQL      = topSQL("sku", "product_name")
	// Messages sent in [$1, $2): customers are the distinct addresses of
	// emails about an incident (the only such emails are the customer's
	// delay notices); every SMS is a warehouse alert.
	messagesSQL = `
		SELECT count(DISTINCT recipient) FILTER (WHERE channel = 'email' AND incident_id IS NOT NULL),
		       count(*) FILTER (WHERE channel = 'sms')
		FROM notifications WHERE sent_at >= $1 AND sent_at < $2`
	// Tasks open at $1 per role, with the oldest one's age in days.
	openTasksSQL = `
		SELECT role, count(*), round((extract(epoch FROM $1::timestamptz - min(created_at)) / 86400)::numeric, 1)
		FROM tasks WHERE created_at < $1 AND (completed_at IS NULL OR completed_at >= $1)
		GROUP BY role ORDER BY role`
)

// topSQL ranks, per currency, the $2 keys (suppliers, SKUs) with the most
// revenue at risk at $1: key, its name as its latest incident recorded it,
// open incidents, units backordered and value.
func topSQL(key, name string) string {
	return `
		SELECT currency, ` + key + `, name, open_count, units, value FROM (
		    SELECT i.currency, l.` + key + `,
		           (array_agg(l.` + name + ` ORDER BY i.opened_at DESC, i.id))[1] AS name,
		           count(DISTINCT i.id) AS open_count, sum(l.backordered_quantity) AS units, sum(l.value) AS value,
		           row_number() OVER (PARTITION BY i.currency ORDER BY sum(l.value) DESC, l.` + key + `) AS rank
		    FROM ` + openAt("$1") + ` i JOIN incident_lines l ON l.incident_id = i.id
		    GROUP BY i.currency, l.` + key + `) ranked
		WHERE rank <= $2 ORDER BY currency, rank`
}

// WeeklyReport computes the report of week w in loc as of now (see
// report.New for what "as of" means), in one round trip and one snapshot,
// so its figures agree with each other.
func (s *Store) WeeklyReport(ctx context.Context, w report.Week, loc *time.Location, now time.Time) (report.Report, error) {
	r, err := report.New(w, loc, now)
	if err != nil {
		return r, err
	}
	starts, cutoffs := make([]time.Time, report.TrendWeeks), make([]time.Time, report.TrendWeeks)
	for i, tw := range w.Trend() {
		starts[i], cutoffs[i] = tw.Bounds(loc)
		if cutoffs[i].After(r.AsOf) {
			cutoffs[i] = r.AsOf
		}
	}
	// Days past the promised date count calendar days in the business
	// timezone, as the sweep does: a date promised for Sunday is one day
	// late at Monday 00:00.
	asOfDate := backorder.DateOf(r.AsOf, loc)

	b := &pgx.Batch{}
	b.Queue(trendSQL, starts, cutoffs).Query(func(rows pgx.Rows) error {
		for i := 0; rows.Next() && i < len(r.Trend); i++ {
			t := &r.Trend[i]
			if err := rows.Scan(&t.New, &t.Resolved, &t.Cancelled, &t.Escalated, &t.OpenAtWeekEnd, &t.MedianDaysToResolution); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	b.Queue(trendRevenueSQL, cutoffs).Query(func(rows pgx.Rows) error {
		var (
			n        int
			currency string
			value    decimal.Decimal
		)
		_, err := pgx.ForEachRow(rows, []any{&n, &currency, &value}, func() error {
			r.Trend[n-1].RevenueAtRisk.Add(currency, value)
			return nil
		})
		return err
	})
	b.Queue(agingSQL, r.AsOf, asOfDate).Query(func(rows pgx.Rows) error {
		var (
			days     *int
			currency string
			count    int
			value    decimal.NullDecimal
		)
		_, err := pgx.ForEachRow(rows, []any{&days, &currency, &count, &value}, func() error {
			r.AddAged(days, count, currency, value)
			return nil
		})
		return err
	})
	b.Queue(topSuppliersSQL, r.AsOf, report.TopN).Query(func(rows pgx.Rows) error {
		var (
			t     report.TopSupplier
			value decimal.Decimal
		)
		_, err := pgx.ForEachRow(rows, []any{&t.Currency, &t.SupplierID, &t.SupplierName, &t.OpenCount, &t.Units, &value}, func() error {
			t.RevenueAtRisk = backorder.FormatMoney(value)
			r.TopSuppliers = append(r.TopSuppliers, t)
			return nil
		})
		return err
	})
	b.Queue(topSKUsSQL, r.AsOf, report.TopN).Query(func(rows pgx.Rows) error {
		var (
			t     report.TopSKU
			value decimal.Decimal
		)
		_, err := pgx.ForEachRow(rows, []any{&t.Currency, &t.SKU, &t.ProductName, &t.OpenCount, &t.Units, &value}, func() error {
			t.RevenueAtRisk = backorder.FormatMoney(value)
			r.TopSKUs = append(r.TopSKUs, t)
			return nil
		})
		return err
	})
	b.Queue(messagesSQL, starts[len(starts)-1], r.AsOf).QueryRow(func(row pgx.Row) error {
		return row.Scan(&r.CustomersNotified, &r.SMSAlertsSent)
	})
	b.Queue(openTasksSQL, r.AsOf).Query(func(rows pgx.Rows) error {
		var t report.RoleTasks
		_, err := pgx.ForEachRow(rows, []any{&t.Role, &t.Count, &t.OldestAgeDays}, func() error {
			r.OpenTasks = append(r.OpenTasks, t)
			return nil
		})
		return err
	})
	if err := s.readOnly(ctx, b); err != nil {
		return r, fmt.Errorf("computing report %s: %w", w, err)
	}
	// The week's own figures are the trend's last week.
	last := r.Trend[len(r.Trend)-1]
	r.OpenCount, r.RevenueAtRisk = last.OpenAtWeekEnd, maps.Clone(last.RevenueAtRisk)
	r.Escalations = last.Escalated
	return r, nil
}

// readOnly runs a batch of queries in one read-only, repeatable-read
// transaction: a consistent snapshot.
func (s *Store) readOnly(ctx context.Context, b *pgx.Batch) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
}

// SaveReport stores a week's report, replacing an earlier one of the week.
func (s *Store) SaveReport(ctx context.Context, r report.Report) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO reports (week, timezone, as_of, complete, data) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (week) DO UPDATE SET timezone = EXCLUDED.timezone, as_of = EXCLUDED.as_of,
		    complete = EXCLUDED.complete, data = EXCLUDED.data, generated_at = now()`,
		r.Week, r.Timezone, r.AsOf, r.Complete, data)
	if err != nil {
		return fmt.Errorf("storing report %s: %w", r.Week, err)
	}
	return nil
}
