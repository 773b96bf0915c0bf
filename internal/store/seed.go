package store

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/acme/backorders/internal/contract"
)

// SeedOptions says how much demo data Seed generates.
type SeedOptions struct {
	// Orders is how many orders to add, with 1–3 lines each.
	Orders int
	// Overdue is exactly how many of them are Backordered with a promised
	// date before AsOf.
	Overdue int
	// AsOf is the civil date "overdue" is measured against.
	AsOf time.Time
	// Seed makes the data deterministic: the same options on an empty
	// database give the same rows.
	Seed int64
	// Progress, when set, is called after each chunk of orders is written.
	Progress func(done, total int)
}

// SeedSummary counts the rows Seed added; reference rows that already
// existed are reused and not counted.
type SeedSummary struct {
	Customers, Suppliers, Products, Orders, Lines, Overdue int
	Elapsed                                                time.Duration
}

const (
	seedSuppliers = 50
	seedProducts  = 500
	// seedChunk orders are generated, copied and reported at a time: it
	// bounds memory (their lines are held until copied) however many
	// orders are asked for.
	seedChunk = 10_000
	// Every highValueEvery-th overdue order is worth more than 1000.00, so
	// the demo sends some SMS alerts; the others are kept at or below it.
	highValueEvery = 20
	// highValueCents is the SMS threshold in cents.
	highValueCents = 100_000
	// minExpensiveCents is the least price of a product that can make a
	// high-value order: 4 of them are over the threshold.
	minExpensiveCents = 30_000
)

// Seed adds realistic demo data: suppliers, products and customers (reused
// when their ids exist) and opts.Orders new orders. Order ids are SO-%07d
// numbered after the highest existing one, so seeding again appends. It
// all happens in one transaction, streamed with COPY.
func (s *Store) Seed(ctx context.Context, opts SeedOptions) (SeedSummary, error) {
	start := time.Now()
	switch {
	case opts.Orders < 0:
		return SeedSummary{}, errors.New("seed: the number of orders must be 0 or more")
	case opts.Overdue < 0 || opts.Overdue > opts.Orders:
		return SeedSummary{}, fmt.Errorf("seed: overdue orders must be between 0 and the number of orders (%d)", opts.Orders)
	case opts.AsOf.IsZero():
		return SeedSummary{}, errors.New("seed: the as-of date is required")
	}
	y, m, d := opts.AsOf.Date()
	g := &seeder{
		rng:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
		asOf:      time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		orders:    opts.Orders,
		overdue:   opts.Overdue,
		customers: max(100, opts.Orders/10),
	}
	sum := SeedSummary{Orders: opts.Orders, Overdue: opts.Overdue}

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Two seeders at once would pick the same order ids.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('backorders.seed'))"); err != nil {
			return fmt.Errorf("waiting for other seeders: %w", err)
		}
		var err error
		if sum.Suppliers, err = g.insertSuppliers(ctx, tx); err != nil {
			return fmt.Errorf("seeding suppliers: %w", err)
		}
		if sum.Products, err = g.insertProducts(ctx, tx); err != nil {
			return fmt.Errorf("seeding products: %w", err)
		}
		if sum.Customers, err = g.insertCustomers(ctx, tx); err != nil {
			return fmt.Errorf("seeding customers: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(substr(id, 4)::bigint), 0) FROM orders WHERE id ~ '^SO-[0-9]{1,18}$'`).
			Scan(&g.lastID); err != nil {
			return fmt.Errorf("finding the last order id: %w", err)
		}
		for g.done < g.orders {
			n := min(seedChunk, g.orders-g.done)
			g.lines = g.lines[:0]
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"orders"},
				[]string{"id", "customer_id", "status", "promised_date", "currency"}, &orderRows{g: g, left: n}); err != nil {
				return fmt.Errorf("seeding orders: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"order_lines"},
				[]string{"order_id", "line_no", "sku", "quantity", "backordered_quantity", "unit_price"},
				pgx.CopyFromSlice(len(g.lines), g.lineRow)); err != nil {
				return fmt.Errorf("seeding order lines: %w", err)
			}
			sum.Lines += len(g.lines)
			if opts.Progress != nil {
				opts.Progress(g.done, g.orders)
			}
		}
		return nil
	})
	if err != nil {
		return SeedSummary{}, err
	}
	// Fresh statistics, so the sweep's first queries plan for the real size.
	if _, err := s.pool.Exec(ctx, "ANALYZE orders, order_lines"); err != nil {
		return SeedSummary{}, fmt.Errorf("analyzing seeded tables: %w", err)
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// seeder generates the data. Everything is drawn from one PCG stream in a
// fixed order, which is what makes a seed reproducible.
type seeder struct {
	rng  *rand.Rand
	asOf time.Time

	customers int
	// prices holds each product's price in cents; expensive lists the
	// products that can make an order high value.
	prices    []int64
	expensive []int

	orders, overdue int
	// done and overdueDone count the orders generated so far.
	done, overdueDone int
	lastID            int64
	// lines are the current chunk's lines, copied after its orders.
	lines []seedLine
}

type seedLine struct {
	orderID             string
	lineNo              int32
	product             int
	quantity, backorder int32
}

// between returns a random int in [lo, hi].
func (g *seeder) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

func pick[T any](g *seeder, from []T) T { return from[g.rng.IntN(len(from))] }

var (
	supplierNames = []string{"Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure Works", "Proseware", "Wingtip", "Lakeshore", "Bluebird"}
	supplierKinds = []string{"Components", "Supply Co.", "Industrial", "Manufacturing", "Trading"}
	productKinds  = []string{"Hex Bolt", "Caster Wheel", "Hinge", "Bearing", "Gasket", "Drive Belt", "Pressure Valve", "Cable Gland", "Relay", "Thermostat", "Pump Seal", "Bracket", "Filter Cartridge", "Sensor", "Circuit Breaker"}
	productTraits = []string{"Stainless", "Heavy-Duty", "Compact", "Industrial", "Brass", "High-Temp", "Sealed", "Galvanized", "Precision", "Low-Profile"}
	firstNames    = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Maria", "Wei", "Aisha", "Hiroshi", "Olga", "Priya"}
	lastNames     = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Chen", "Nguyen", "Patel", "Kim", "Okafor"}
	areaCodes     = []string{"212", "312", "415", "503", "617", "702", "720", "206", "305", "512", "404", "615"}
)

func supplierID(i int) string { return fmt.Sprintf("SUP-%03d", i+1) }
func productSKU(i int) string { return fmt.Sprintf("SKU-%05d", i+1) }
func customerID(i int) string { return fmt.Sprintf("CUST-%06d", i+1) }

// insertSuppliers writes each combination of name and kind once, e.g.
// "Northwind Components", with lead times of 5–30 days or, for some, none.
func (g *seeder) insertSuppliers(ctx context.Context, tx pgx.Tx) (int, error) {
	ids, names, emails := make([]string, seedSuppliers), make([]string, seedSuppliers), make([]string, seedSuppliers)
	leads := make([]*int, seedSuppliers)
	for i := range seedSuppliers {
		base, kind := supplierNames[i%len(supplierNames)], supplierKinds[i/len(supplierNames)%len(supplierKinds)]
		ids[i], names[i] = supplierID(i), base+" "+kind
		emails[i] = fmt.Sprintf("orders@%s.example", slug(names[i]))
		if g.rng.IntN(8) > 0 {
			leads[i] = new(g.between(5, 30))
		}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO suppliers (id, name, email, lead_time_days)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) ON CONFLICT (id) DO NOTHING`,
		ids, names, emails, leads)
	return int(tag.RowsAffected()), err
}

// insertProducts gives 40% of products their own lead time and prices them
// in tiers from 2.00 to 900.00, mostly cheap.
func (g *seeder) insertProducts(ctx context.Context, tx pgx.Tx) (int, error) {
	skus, names, suppliers := make([]string, seedProducts), make([]string, seedProducts), make([]string, seedProducts)
	leads := make([]*int, seedProducts)
	g.prices = make([]int64, seedProducts)
	for i := range seedProducts {
		skus[i] = productSKU(i)
		names[i] = pick(g, productTraits) + " " + pick(g, productKinds)
		suppliers[i] = supplierID(g.rng.IntN(seedSuppliers))
		if g.rng.IntN(10) < 4 {
			leads[i] = new(g.between(3, 45))
		}
		switch {
		case i%10 == 0:
			g.prices[i] = int64(g.between(minExpensiveCents, 90_000))
			g.expensive = append(g.expensive, i)
		case i%3 == 0:
			g.prices[i] = int64(g.between(5_000, minExpensiveCents-1))
		default:
			g.prices[i] = int64(g.between(200, 4_999))
		}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO products (sku, name, supplier_id, lead_time_days)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) ON CONFLICT (sku) DO NOTHING`,
		skus, names, suppliers, leads)
	return int(tag.RowsAffected()), err
}

// insertCustomers gives most customers a fictional US number (555-01xx,
// reserved for fiction) in E.164 form.
func (g *seeder) insertCustomers(ctx context.Context, tx pgx.Tx) (int, error) {
	ids, names, emails := make([]string, g.customers), make([]string, g.customers), make([]string, g.customers)
	phones := make([]*string, g.customers)
	for i := range g.customers {
		first, last := pick(g, firstNames), pick(g, lastNames)
		ids[i], names[i] = customerID(i), first+" "+last
		emails[i] = fmt.Sprintf("%s.%s@example.com", slug(first), slug(last))
		if g.rng.IntN(100) < 85 {
			phones[i] = new(fmt.Sprintf("+1%s55501%02d", pick(g, areaCodes), g.rng.IntN(100)))
		}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO customers (id, name, email, phone)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT (id) DO NOTHING`,
		ids, names, emails, phones)
	return int(tag.RowsAffected()), err
}

// slug lower-cases a name for an email address, dropping what is not a
// letter.
func slug(s string) string {
	b := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return string(b)
}

// nextOrder generates one order into row and queues its lines.
func (g *seeder) nextOrder(row []any) []any {
	// Selection sampling: picking each order with probability
	// (overdue still needed) / (orders still to come) picks exactly
	// g.overdue of them, spread evenly, without holding them all.
	overdue := g.rng.IntN(g.orders-g.done) < g.overdue-g.overdueDone
	g.done++
	g.lastID++
	id := fmt.Sprintf("SO-%07d", g.lastID)

	var status contract.OrderStatus
	var promised time.Time
	backordered, highValue := false, false
	switch r := g.rng.IntN(100); {
	case overdue:
		status, promised, backordered = contract.OrderBackordered, g.asOf.AddDate(0, 0, -g.between(1, 90)), true
		highValue = g.overdueDone%highValueEvery == 0
		g.overdueDone++
	case r < 10: // backordered, but the promise still stands
		status, promised, backordered = contract.OrderBackordered, g.asOf.AddDate(0, 0, g.between(0, 45)), true
	case r < 45:
		status, promised = contract.OrderPending, g.asOf.AddDate(0, 0, g.between(-10, 60))
	case r < 90:
		status, promised = contract.OrderFulfilled, g.asOf.AddDate(0, 0, -g.between(1, 180))
	default:
		status, promised = contract.OrderCancelled, g.asOf.AddDate(0, 0, g.between(-120, 30))
	}
	currency := "USD"
	switch r := g.rng.IntN(100); {
	case r >= 92:
		currency = "GBP"
	case r >= 80:
		currency = "EUR"
	}
	g.addLines(id, backordered, highValue)
	return append(row[:0], id, customerID(g.rng.IntN(g.customers)), status, promised, currency)
}

// addLines adds 1–3 lines for different products. A backordered order has
// at least one line with stock outstanding; its backordered value stays at
// or below the SMS threshold unless highValue, when one line alone is above
// it.
func (g *seeder) addLines(orderID string, backordered, highValue bool) {
	n := 1
	switch r := g.rng.IntN(10); {
	case r >= 8:
		n = 3
	case r >= 5:
		n = 2
	}
	first := len(g.lines)
	for i := range n {
		g.lines = append(g.lines, seedLine{orderID: orderID, lineNo: int32(i + 1), product: -1, quantity: int32(g.between(1, 12))})
	}
	lines := g.lines[first:]
	// must is the line sure to be backordered.
	must := g.rng.IntN(n)
	if highValue {
		lines[must].product = pick(g, g.expensive)
	}
	for i := range lines {
		if lines[i].product >= 0 {
			continue
		}
		p := g.rng.IntN(seedProducts)
		for onOrder(lines, p) {
			p = (p + 1) % seedProducts
		}
		lines[i].product = p
	}
	if !backordered {
		return
	}

	if highValue {
		l := &lines[must]
		l.quantity = int32(g.between(4, 12))
		l.backorder = int32(g.between(4, int(l.quantity))) // at least 4 x 300.00
		for i := range lines {
			if i != must && g.rng.IntN(3) == 0 {
				lines[i].backorder = int32(g.between(1, int(lines[i].quantity)))
			}
		}
		return
	}
	// The must line takes from the budget first: no price is above 900.00,
	// so at least one of it always fits.
	budget := int64(highValueCents)
	for k := range n {
		i := (must + k) % n
		if i != must && g.rng.IntN(3) > 0 {
			continue
		}
		l := &lines[i]
		want := int64(g.between(1, int(l.quantity)))
		l.backorder = int32(min(want, budget/g.prices[l.product]))
		budget -= int64(l.backorder) * g.prices[l.product]
	}
}

func onOrder(lines []seedLine, product int) bool {
	for _, l := range lines {
		if l.product == product {
			return true
		}
	}
	return false
}

func (g *seeder) lineRow(i int) ([]any, error) {
	l := g.lines[i]
	price := pgtype.Numeric{Int: big.NewInt(g.prices[l.product]), Exp: -2, Valid: true}
	return []any{l.orderID, l.lineNo, productSKU(l.product), l.quantity, l.backorder, price}, nil
}

// orderRows streams a chunk of generated orders into COPY, so no more than
// one chunk is ever in memory.
type orderRows struct {
	g    *seeder
	left int
	row  []any
}

func (r *orderRows) Next() bool {
	if r.left == 0 {
		return false
	}
	r.left--
	r.row = r.g.nextOrder(r.row)
	return true
}

func (r *orderRows) Values() ([]any, error) { return r.row, nil }

func (r *orderRows) Err() error { return nil }
