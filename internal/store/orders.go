package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/contract"
)

// The order rows: loading an order for the process, and the status
// changes and stamps its steps make.

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
	return markOrderChecked(ctx, s.pool, orderID, currentStatus)
}

func markOrderChecked(ctx context.Context, q queryer, orderID, currentStatus string) error {
	tag, err := q.Exec(ctx,
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

// SetStatusOf sets the status of the orders ids, in one statement: the
// benchmark holds orders back from a sweep and fulfils them a round at a
// time.
func (s *Store) SetStatusOf(ctx context.Context, ids []string, status contract.OrderStatus) error {
	_, err := s.pool.Exec(ctx, `UPDATE orders SET status = $2, updated_at = now() WHERE id = ANY($1)`, ids, status)
	if err != nil {
		return fmt.Errorf("setting the status of %d orders: %w", len(ids), err)
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
// a *StatusRefusedError naming the current status otherwise. by, who made
// the change, goes on the order's open incident (closed_by).
func (s *Store) ChangeOrderStatus(ctx context.Context, orderID string, status contract.OrderStatus, from []contract.OrderStatus, by string) error {
	var current *contract.OrderStatus
	err := s.pool.QueryRow(ctx, `
		WITH changed AS (
		    UPDATE orders SET status = $2, updated_at = now()
		    WHERE id = $1 AND status = ANY($3) RETURNING status),
		noted AS (
		    UPDATE incidents SET closed_by = NULLIF($4, '')
		    WHERE order_id = $1 AND status = 'open' AND EXISTS (SELECT FROM changed))
		SELECT COALESCE((SELECT '' FROM changed), (SELECT status FROM orders WHERE id = $1))`,
		orderID, status, from, by).Scan(&current)
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
