package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// HistoryOptions says how much backorder history SeedHistory writes.
type HistoryOptions struct {
	// Incidents is how many incidents to add.
	Incidents int
	// Weeks is how far back they were opened, up to Until.
	Weeks int
	// Until is the instant the history reaches: incidents still open then
	// stay open.
	Until time.Time
	// Seed makes the history deterministic on the same orders.
	Seed int64
}

// HistorySummary counts the rows SeedHistory added.
type HistorySummary struct {
	Incidents, Open, Lines, Notifications, Tasks int
}

// Shape of the generated history.
const (
	// historyMeanDaysOpen is the mean time from an incident's opening to
	// its close: a few percent of a year's incidents are open at its end.
	historyMeanDaysOpen = 15
	// One incident in historyCancelledEvery is cancelled rather than
	// resolved; one in historyEscalatedEvery escalates after
	// historyEscalateAfter open.
	historyCancelledEvery = 10
	historyEscalatedEvery = 25
	historyEscalateAfter  = 10 * 24 * time.Hour
	// historyTaskDone: procurement finishes its task this long after the
	// opening, unless the incident closed first.
	historyTaskDone = 48 * time.Hour
)

// SeedHistory adds a backorder history behind existing orders, as the
// weekly report reads it: incidents opened over opts.Weeks weeks up to
// opts.Until with their lines, closes and escalations, a customer email
// each (and a warehouse SMS for those above 1000.00), and a procurement
// task each. Closed incidents go to any order, open ones each to an order
// without an open incident (one open episode per order); an open incident
// with no such order left is closed just before Until instead. One
// transaction, streamed with COPY; rows are derived from opts.Seed and
// the incident's number, so the same options on the same orders write
// the same rows.
func (s *Store) SeedHistory(ctx context.Context, opts HistoryOptions) (HistorySummary, error) {
	switch {
	case opts.Incidents < 0:
		return HistorySummary{}, errors.New("seed history: the number of incidents must be 0 or more")
	case opts.Weeks < 1:
		return HistorySummary{}, errors.New("seed history: the history must span at least one week")
	case opts.Until.IsZero():
		return HistorySummary{}, errors.New("seed history: the instant it reaches is required")
	}
	var sum HistorySummary
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		g, err := newHistorySeeder(ctx, tx, opts)
		if err != nil {
			return err
		}
		sum.Open = len(g.openOrder)
		copies := []struct {
			table   string
			columns []string
			rows    iter.Seq[[]any]
			count   *int
		}{
			{"incidents", []string{"id", "episode_key", "order_id", "status", "delay_days", "backorder_value", "currency", "eta",
				"lead_times", "used_default_lead_time", "mitigation_plan", "opened_at", "updated_at", "resolved_at",
				"promised_date", "escalated_at", "close_note"}, g.incidentRows, &sum.Incidents},
			{"incident_lines", []string{"incident_id", "line_no", "sku", "product_name", "supplier_id", "supplier_name",
				"backordered_quantity", "unit_price", "value"}, g.lineRows, &sum.Lines},
			{"notifications", []string{"key", "order_id", "incident_id", "channel", "recipient", "subject", "body",
				"status", "attempts", "created_at", "updated_at", "sent_at"}, g.notificationRows, &sum.Notifications},
			{"tasks", []string{"idem_key", "order_id", "incident_id", "role", "title", "status", "created_at",
				"completed_at", "completed_by", "acknowledged_at"}, g.taskRows, &sum.Tasks},
		}
		for _, c := range copies {
			next, stop := iter.Pull(c.rows)
			n, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.columns, pgx.CopyFromFunc(func() ([]any, error) {
				row, _ := next()
				return row, nil
			}))
			stop()
			if err != nil {
				return fmt.Errorf("seeding history into %s: %w", c.table, err)
			}
			*c.count = int(n)
		}
		return nil
	})
	if err != nil {
		return HistorySummary{}, err
	}
	// A year of history in a live database has long been vacuumed
	// (autovacuum runs after inserts, too): its pages are all-visible, so
	// the report's index-only scans need not visit the table.
	if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) incidents, incident_lines, notifications, tasks"); err != nil {
		return HistorySummary{}, fmt.Errorf("vacuuming the seeded history: %w", err)
	}
	return sum, nil
}

type historyProduct struct {
	sku, name, supplierID, supplierName string
	cents                               int64
}

// historySeeder derives incident n from the seed and n alone, so each
// table's pass regenerates the same incident without keeping it.
type historySeeder struct {
	opts     HistoryOptions
	from     time.Time
	orders   []string
	products []historyProduct
	// openOrder: the order of each incident left open, by number, once
	// openPlaced.
	openOrder  map[int]string
	openPlaced bool
}

func newHistorySeeder(ctx context.Context, tx pgx.Tx, opts HistoryOptions) (*historySeeder, error) {
	g := &historySeeder{opts: opts, from: opts.Until.Add(-time.Duration(opts.Weeks) * 7 * 24 * time.Hour), openOrder: map[int]string{}}
	// Closed incidents spread over up to this many orders.
	rows, err := tx.Query(ctx, `
		SELECT id FROM orders o
		WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.order_id = o.id AND i.status = 'open')
		ORDER BY id LIMIT $1`, max(opts.Incidents, 1))
	if err != nil {
		return nil, fmt.Errorf("listing orders for the history: %w", err)
	}
	if g.orders, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, fmt.Errorf("listing orders for the history: %w", err)
	}
	if len(g.orders) == 0 && opts.Incidents > 0 {
		return nil, errors.New("seed history: there are no orders to hang incidents on: seed orders first")
	}
	rows, err = tx.Query(ctx, `SELECT p.sku, p.name, s.id, s.name FROM products p JOIN suppliers s ON s.id = p.supplier_id ORDER BY p.sku`)
	if err != nil {
		return nil, fmt.Errorf("listing products for the history: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x415))
	var p historyProduct
	_, err = pgx.ForEachRow(rows, []any{&p.sku, &p.name, &p.supplierID, &p.supplierName}, func() error {
		// Prices in tiers from 2.00 to 900.00, mostly cheap, as the seed's.
		switch r := rng.IntN(10); {
		case r == 0:
			p.cents = 30_000 + rng.Int64N(60_000)
		case r < 4:
			p.cents = 5_000 + rng.Int64N(25_000)
		default:
			p.cents = 200 + rng.Int64N(4_800)
		}
		g.products = append(g.products, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing products for the history: %w", err)
	}
	if len(g.products) == 0 && opts.Incidents > 0 {
		return nil, errors.New("seed history: there are no products for the incidents' lines: seed orders first")
	}
	// Each open incident gets an order of its own, in incident order.
	next := 0
	for n := range opts.Incidents {
		if g.incident(n).closed.IsZero() && next < len(g.orders) {
			g.openOrder[n] = g.orders[next]
			next++
		}
	}
	g.openPlaced = true
	return g, nil
}

// historyIncident is one generated incident.
type historyIncident struct {
	id, orderID, currency string
	opened, closed        time.Time
	cancelled             bool
	escalated             *time.Time
	promised, eta         time.Time
	lines                 []historyLine
	valueCents            int64
	taskDone              *time.Time
}

type historyLine struct {
	product  historyProduct
	quantity int64
}

// incident generates incident n. Its order is known once newHistorySeeder
// has placed the open ones.
func (g *historySeeder) incident(n int) historyIncident {
	rng := rand.New(rand.NewPCG(uint64(g.opts.Seed), uint64(n)))
	span := g.opts.Until.Sub(g.from)
	inc := historyIncident{id: fmt.Sprintf("HIST-%07d", n+1)}
	inc.opened = g.from.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Second)
	open := time.Duration((1 + rng.ExpFloat64()*historyMeanDaysOpen) * float64(24*time.Hour)).Truncate(time.Second)
	if closed := inc.opened.Add(open); closed.Before(g.opts.Until) {
		inc.closed = closed
	}
	inc.cancelled = rng.IntN(historyCancelledEvery) == 0
	if rng.IntN(historyEscalatedEvery) == 0 {
		at := inc.opened.Add(historyEscalateAfter)
		if at.Before(g.opts.Until) && (inc.closed.IsZero() || at.Before(inc.closed)) {
			inc.escalated = &at
		}
	}
	day := time.Date(inc.opened.Year(), inc.opened.Month(), inc.opened.Day(), 0, 0, 0, 0, time.UTC)
	inc.promised = day.AddDate(0, 0, -(1 + rng.IntN(60)))
	inc.eta = day.AddDate(0, 0, 5+rng.IntN(40))
	switch r := rng.IntN(100); {
	case r >= 92:
		inc.currency = "GBP"
	case r >= 80:
		inc.currency = "EUR"
	default:
		inc.currency = "USD"
	}
	for range 1 + rng.IntN(3) {
		l := historyLine{product: g.products[rng.IntN(len(g.products))], quantity: 1 + rng.Int64N(12)}
		inc.lines = append(inc.lines, l)
		inc.valueCents += l.quantity * l.product.cents
	}
	inc.orderID = g.orders[rng.IntN(len(g.orders))]
	if order, ok := g.openOrder[n]; ok {
		inc.orderID = order
	} else if g.openPlaced && inc.closed.IsZero() {
		// No order was left for it to be open on.
		inc.closed = g.opts.Until.Add(-time.Minute)
		if inc.closed.Before(inc.opened) {
			inc.closed = inc.opened
		}
	}
	if done := inc.opened.Add(historyTaskDone); done.Before(g.opts.Until) {
		if !inc.closed.IsZero() && inc.closed.Before(done) {
			done = inc.closed
		}
		inc.taskDone = &done
	}
	return inc
}

func cents(c int64) pgtype.Numeric { return pgtype.Numeric{Int: big.NewInt(c), Exp: -2, Valid: true} }

func (g *historySeeder) incidentRows(yield func([]any) bool) {
	noLeadTimes := json.RawMessage("[]")
	for n := range g.opts.Incidents {
		inc := g.incident(n)
		status, resolved, note := "open", (*time.Time)(nil), ""
		if !inc.closed.IsZero() {
			status, resolved, note = "resolved", &inc.closed, "fulfilled"
			if inc.cancelled {
				status, note = "cancelled", "cancelled by the customer"
			}
		}
		updated := inc.opened
		if resolved != nil {
			updated = *resolved
		}
		if !yield([]any{inc.id, "history/" + inc.id, inc.orderID, status, int32(inc.opened.Sub(inc.promised) / (24 * time.Hour)),
			cents(inc.valueCents), inc.currency, inc.eta, noLeadTimes, false, "seeded history", inc.opened, updated, resolved,
			inc.promised, inc.escalated, note}) {
			return
		}
	}
}

func (g *historySeeder) lineRows(yield func([]any) bool) {
	for n := range g.opts.Incidents {
		inc := g.incident(n)
		for i, l := range inc.lines {
			if !yield([]any{inc.id, int32(i + 1), l.product.sku, l.product.name, l.product.supplierID, l.product.supplierName,
				int32(l.quantity), cents(l.product.cents), cents(l.quantity * l.product.cents)}) {
				return
			}
		}
	}
}

// historySMSAboveCents: the default SMS threshold, 1000.00.
const historySMSAboveCents = 100_000

func (g *historySeeder) notificationRows(yield func([]any) bool) {
	for n := range g.opts.Incidents {
		inc := g.incident(n)
		sent := inc.opened.Add(time.Minute)
		if !yield([]any{inc.id + "/customer-eta/v1", inc.orderID, inc.id, "email", "customer-" + inc.orderID + "@example.com",
			"Your order is delayed", "seeded history", "recorded", int32(1), sent, sent, sent}) {
			return
		}
		if inc.valueCents > historySMSAboveCents {
			if !yield([]any{inc.id + "/warehouse-sms", inc.orderID, inc.id, "sms", "+15555550100",
				"", "seeded history", "recorded", int32(1), sent, sent, sent}) {
				return
			}
		}
	}
}

func (g *historySeeder) taskRows(yield func([]any) bool) {
	for n := range g.opts.Incidents {
		inc := g.incident(n)
		status, by := "open", (*string)(nil)
		if inc.taskDone != nil {
			status, by = "done", new("procurement")
			if !inc.closed.IsZero() && !inc.taskDone.Before(inc.closed) {
				status, by = "obsolete", nil
			}
		}
		if !yield([]any{"history/" + inc.id + "/procurement_manager", inc.orderID, inc.id, "procurement_manager",
			"Investigate shortage on order " + inc.orderID, status, inc.opened, inc.taskDone, by, inc.taskDone}) {
			return
		}
	}
}
