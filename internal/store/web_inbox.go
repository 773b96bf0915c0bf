package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/contract"
)

// The web app's task inbox: open tasks with what a person needs to pick
// the next one (the order's delay, value and ETA from its incident).

// InboxTask is an open task with its backorder's figures: those of the
// order's open incident (else its latest); zero before one is logged.
type InboxTask struct {
	Task
	DelayDays      int
	BackorderValue decimal.Decimal
	Currency       string
	ETA            *time.Time
}

// InboxFilter narrows OpenTasks. Roles empty: every role's tasks.
type InboxFilter struct {
	Roles []contract.Role
	// OrderID, when set, keeps the tasks whose order id contains it
	// (ignoring case).
	OrderID string
	Limit   int
}

// OpenTasks lists open tasks, oldest first.
func (s *Store) OpenTasks(ctx context.Context, f InboxFilter) ([]InboxTask, error) {
	roles := make([]string, len(f.Roles))
	for i, r := range f.Roles {
		roles[i] = string(r)
	}
	// LIKE's own wildcards in the filter are matched literally.
	pattern := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.OrderID) + "%"
	rows, err := s.pool.Query(ctx, `
		SELECT `+prefixed("t.", taskColumns)+`,
		       COALESCE(i.delay_days, 0), COALESCE(i.backorder_value, 0), COALESCE(i.currency, ''), i.eta
		FROM tasks t
		-- The figures of the order's open episode, else its latest: the
		-- first task is created before the incident is logged.
		LEFT JOIN LATERAL (
		    SELECT delay_days, backorder_value, currency, eta FROM incidents
		    WHERE order_id = t.order_id ORDER BY status = 'open' DESC, opened_at DESC LIMIT 1) i ON true
		WHERE t.status = 'open' AND (cardinality($1::text[]) = 0 OR t.role = ANY($1)) AND t.order_id ILIKE $2
		ORDER BY t.created_at, t.id
		LIMIT $3`, roles, pattern, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("listing open tasks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (InboxTask, error) {
		var it InboxTask
		t := &it.Task
		err := r.Scan(&t.ID, &t.OrderID, &t.Role, &t.Title, &t.Status, &t.CreatedAt,
			&t.CompletedAt, &t.CompletedBy, &t.Note, &t.ConfirmedETA, &t.Acknowledged,
			&it.DelayDays, &it.BackorderValue, &it.Currency, &it.ETA)
		return it, err
	})
}
