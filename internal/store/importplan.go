package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// What an import would change, for `starter import --dry-run`.

// RowChanges counts the rows of one kind an import would insert, update
// or delete.
type RowChanges struct {
	Insert, Update, Delete int
}

// ImportChanges is what Import would do with a dataset. Rows are matched
// by id; an order's lines by their position on the order, since Import
// replaces them: a stored line past the file's last is deleted.
type ImportChanges struct {
	Suppliers, Products, Customers, Orders, Lines RowChanges
}

// PlanImport checks d's references as Import does and counts what Import
// would insert, update and delete, writing nothing. References that name
// no row are a *ValidationError, as from Import.
func (s *Store) PlanImport(ctx context.Context, d Dataset) (ImportChanges, error) {
	var c ImportChanges
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		problems, err := unresolvedRefs(ctx, tx, d)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return &ValidationError{Problems: problems}
		}
		ids := func(n int, id func(int) string) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = id(i)
			}
			return out
		}
		for _, kind := range []struct {
			sql     string
			ids     []string
			changes *RowChanges
		}{
			{`SELECT count(*) FROM suppliers WHERE id = ANY($1)`, ids(len(d.Suppliers), func(i int) string { return d.Suppliers[i].ID }), &c.Suppliers},
			{`SELECT count(*) FROM products WHERE sku = ANY($1)`, ids(len(d.Products), func(i int) string { return d.Products[i].SKU }), &c.Products},
			{`SELECT count(*) FROM customers WHERE id = ANY($1)`, ids(len(d.Customers), func(i int) string { return d.Customers[i].ID }), &c.Customers},
			{`SELECT count(*) FROM orders WHERE id = ANY($1)`, ids(len(d.Orders), func(i int) string { return d.Orders[i].ID }), &c.Orders},
		} {
			if err := tx.QueryRow(ctx, kind.sql, kind.ids).Scan(&kind.changes.Update); err != nil {
				return err
			}
			kind.changes.Insert = len(kind.ids) - kind.changes.Update
		}
		// The stored lines of the file's orders, by order; a line number
		// present in both is an update, one only in the file an insert,
		// one only stored a delete.
		lineCounts := make([]int, len(d.Orders))
		for i, o := range d.Orders {
			lineCounts[i] = len(o.Lines)
		}
		return tx.QueryRow(ctx, `
			WITH file AS (SELECT * FROM unnest($1::text[], $2::int[]) AS f(order_id, lines)),
			     stored AS (SELECT order_id, count(*)::int AS lines FROM order_lines WHERE order_id = ANY($1) GROUP BY order_id)
			SELECT coalesce(sum(greatest(f.lines - coalesce(s.lines, 0), 0)), 0),
			       coalesce(sum(least(f.lines, coalesce(s.lines, 0))), 0),
			       coalesce(sum(greatest(coalesce(s.lines, 0) - f.lines, 0)), 0)
			FROM file f LEFT JOIN stored s USING (order_id)`,
			ids(len(d.Orders), func(i int) string { return d.Orders[i].ID }), lineCounts).
			Scan(&c.Lines.Insert, &c.Lines.Update, &c.Lines.Delete)
	})
	var rejected *ValidationError
	if errors.As(err, &rejected) {
		return ImportChanges{}, err
	}
	if err != nil {
		return ImportChanges{}, fmt.Errorf("planning the import: %w", err)
	}
	return c, nil
}
