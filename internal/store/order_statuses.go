package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/acme/backorders/internal/contract"
)

// OrderStatuses maps each id of ids that names a stored order to its
// status; ids of no order are left out.
func (s *Store) OrderStatuses(ctx context.Context, ids []string) (map[string]contract.OrderStatus, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, status FROM orders WHERE id = ANY($1)`, ids)
	out := map[string]contract.OrderStatus{}
	var id string
	var status contract.OrderStatus
	_, err := pgx.ForEachRow(rows, []any{&id, &status}, func() error {
		out[id] = status
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading order statuses: %w", err)
	}
	return out, nil
}
