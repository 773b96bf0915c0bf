package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/contract"
)

// Dataset is reference and order data to import, in the order the file
// listed it: problem messages name rows by their index in these slices.
type Dataset struct {
	Suppliers []Supplier
	Products  []Product
	Customers []Customer
	Orders    []Order
}

// Supplier ships products. A nil LeadTimeDays falls back to the configured
// default.
type Supplier struct {
	ID, Name, Email string
	LeadTimeDays    *int
}

// Product is a stock-keeping unit. A nil LeadTimeDays falls back to its
// supplier's lead time.
type Product struct {
	SKU, Name, SupplierID string
	LeadTimeDays          *int
}

// Customer places orders; Phone is optional.
type Customer struct {
	ID, Name, Email string
	Phone           *string
}

// Order is a sales order with its lines.
type Order struct {
	ID, CustomerID string
	Status         contract.OrderStatus
	// PromisedDate is a civil date: midnight UTC.
	PromisedDate time.Time
	Currency     string
	Lines        []OrderLine
}

// OrderLine is one SKU on an order; BackorderedQuantity of Quantity is
// still waiting for stock.
type OrderLine struct {
	SKU                           string
	Quantity, BackorderedQuantity int64
	UnitPrice                     decimal.Decimal
}

// ValidationError rejects an import as a whole. Each problem starts with the
// JSON path it concerns, and nothing was written.
type ValidationError struct {
	Problems []string
	// Note, when set, ends the listing: what could not be checked.
	Note string
}

func (e *ValidationError) Error() string {
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "import rejected: %d %s (nothing was written)", len(e.Problems), noun)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	if e.Note != "" {
		b.WriteString("\n")
		b.WriteString(e.Note)
	}
	return b.String()
}

// numeric hands a decimal to pgx exactly, in the binary form COPY needs too;
// pgx has no built-in codec for shopspring decimals.
func numeric(d decimal.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
}

// ImportSummary counts the rows an import inserted or updated.
type ImportSummary struct {
	Suppliers, Products, Customers, Orders, Lines int
}

// importBatchSize bounds how many statements one pipelined round trip
// carries, so a large file does not build one huge batch in memory.
const importBatchSize = 5000

// Import writes a validated Dataset in one transaction: all of it, or
// nothing. A reference the dataset does not satisfy itself (a product's
// supplier, an order's customer, a line's SKU) must already be stored;
// every one that is not is reported together in a *ValidationError.
//
// Rows are upserted by id, so importing a file again updates it; an order's
// lines are replaced by the file's. The workflow's own columns
// (last_checked_at, current_status) are left alone.
func (s *Store) Import(ctx context.Context, d Dataset) (ImportSummary, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		problems, err := unresolvedRefs(ctx, tx, d)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return &ValidationError{Problems: problems}
		}
		return upsert(ctx, tx, d)
	})
	if err != nil {
		return ImportSummary{}, err
	}
	sum := ImportSummary{
		Suppliers: len(d.Suppliers),
		Products:  len(d.Products),
		Customers: len(d.Customers),
		Orders:    len(d.Orders),
	}
	for _, o := range d.Orders {
		sum.Lines += len(o.Lines)
	}
	return sum, nil
}

// UnresolvedReferences lists, by JSON path, the references of d (a
// product's supplier, an order's customer, a line's SKU) that name neither a
// row of d nor a stored row, writing nothing. d may be what
// importer.Check read from a file with other problems: its lists keep the
// file's indexes, and an empty reference (missing or already reported) is
// skipped. The import lists these with the file's own problems, in one
// pass; Import checks again in its transaction.
func (s *Store) UnresolvedReferences(ctx context.Context, d Dataset) ([]string, error) {
	var problems []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		problems, err = unresolvedRefs(ctx, tx, d)
		return err
	})
	return problems, err
}

// unresolvedRefs lists the references that name neither a row of the
// dataset nor a stored row. The stored rows it relies on are locked FOR KEY
// SHARE so they cannot be deleted before this transaction commits.
func unresolvedRefs(ctx context.Context, tx pgx.Tx, d Dataset) ([]string, error) {
	suppliers := make(map[string]bool, len(d.Suppliers))
	for _, s := range d.Suppliers {
		suppliers[s.ID] = true
	}
	products := make(map[string]bool, len(d.Products))
	for _, p := range d.Products {
		products[p.SKU] = true
	}
	customers := make(map[string]bool, len(d.Customers))
	for _, c := range d.Customers {
		customers[c.ID] = true
	}

	// The ids to look for in the database, each once.
	supplierIDs, customerIDs, skus := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range d.Products {
		if p.SupplierID != "" && !suppliers[p.SupplierID] {
			supplierIDs[p.SupplierID] = true
		}
	}
	for _, o := range d.Orders {
		if o.CustomerID != "" && !customers[o.CustomerID] {
			customerIDs[o.CustomerID] = true
		}
		for _, l := range o.Lines {
			if l.SKU != "" && !products[l.SKU] {
				skus[l.SKU] = true
			}
		}
	}
	for _, q := range []struct {
		sql   string
		ids   map[string]bool
		known map[string]bool
	}{
		{"SELECT id FROM suppliers WHERE id = ANY($1) FOR KEY SHARE", supplierIDs, suppliers},
		{"SELECT id FROM customers WHERE id = ANY($1) FOR KEY SHARE", customerIDs, customers},
		{"SELECT sku FROM products WHERE sku = ANY($1) FOR KEY SHARE", skus, products},
	} {
		if len(q.ids) == 0 {
			continue
		}
		rows, _ := tx.Query(ctx, q.sql, slices.Collect(maps.Keys(q.ids)))
		stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("checking references: %w", err)
		}
		for _, id := range stored {
			q.known[id] = true
		}
	}

	var problems []string
	check := func(path, kind, id string, known map[string]bool) {
		if id != "" && !known[id] {
			problems = append(problems, fmt.Sprintf("%s: %s %q is neither in the file nor in the database", path, kind, id))
		}
	}
	for i, p := range d.Products {
		check(fmt.Sprintf("products[%d].supplier_id", i), "supplier", p.SupplierID, suppliers)
	}
	for i, o := range d.Orders {
		check(fmt.Sprintf("orders[%d].customer_id", i), "customer", o.CustomerID, customers)
		for j, l := range o.Lines {
			check(fmt.Sprintf("orders[%d].lines[%d].sku", i, j), "product", l.SKU, products)
		}
	}
	return problems, nil
}

// upsert queues every write in dependency order (a batch runs its
// statements in order) and sends them in pipelined round trips.
func upsert(ctx context.Context, tx pgx.Tx, d Dataset) error {
	b := &batcher{ctx: ctx, tx: tx, batch: &pgx.Batch{}}
	for _, s := range d.Suppliers {
		b.queue(`INSERT INTO suppliers (id, name, email, lead_time_days) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, lead_time_days = EXCLUDED.lead_time_days`,
			s.ID, s.Name, s.Email, s.LeadTimeDays)
	}
	for _, p := range d.Products {
		b.queue(`INSERT INTO products (sku, name, supplier_id, lead_time_days) VALUES ($1, $2, $3, $4)
			ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, supplier_id = EXCLUDED.supplier_id, lead_time_days = EXCLUDED.lead_time_days`,
			p.SKU, p.Name, p.SupplierID, p.LeadTimeDays)
	}
	for _, c := range d.Customers {
		b.queue(`INSERT INTO customers (id, name, email, phone) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone`,
			c.ID, c.Name, c.Email, c.Phone)
	}
	for _, o := range d.Orders {
		b.queue(`INSERT INTO orders (id, customer_id, status, promised_date, currency) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status,
				promised_date = EXCLUDED.promised_date, currency = EXCLUDED.currency, updated_at = now()`,
			o.ID, o.CustomerID, o.Status, o.PromisedDate, o.Currency)
		b.queue("DELETE FROM order_lines WHERE order_id = $1", o.ID)
		for j, l := range o.Lines {
			b.queue(`INSERT INTO order_lines (order_id, line_no, sku, quantity, backordered_quantity, unit_price)
				VALUES ($1, $2, $3, $4, $5, $6)`,
				o.ID, j+1, l.SKU, l.Quantity, l.BackorderedQuantity, numeric(l.UnitPrice))
		}
	}
	return b.close()
}

// batcher sends queued statements importBatchSize at a time and keeps the
// first error, after which it sends nothing more.
type batcher struct {
	ctx   context.Context
	tx    pgx.Tx
	batch *pgx.Batch
	err   error
}

func (b *batcher) queue(sql string, args ...any) {
	b.batch.Queue(sql, args...)
	if b.batch.Len() >= importBatchSize {
		b.send()
	}
}

func (b *batcher) send() {
	if b.err == nil && b.batch.Len() > 0 {
		b.err = b.tx.SendBatch(b.ctx, b.batch).Close()
	}
	b.batch = &pgx.Batch{}
}

func (b *batcher) close() error {
	b.send()
	if b.err != nil {
		return fmt.Errorf("writing import: %w", b.err)
	}
	return nil
}
