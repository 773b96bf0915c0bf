package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// BenchmarkOverdueBackordersPage times one page of the sweep's query on
// 100,000 orders with 5,000 overdue.
func BenchmarkOverdueBackordersPage(b *testing.B) {
	s, _ := pgtest.NewStore(b)
	ctx := context.Background()
	_, err := s.Seed(ctx, store.SeedOptions{Orders: 100_000, Overdue: 5_000, AsOf: seedAsOf, Seed: 1})
	require.NoError(b, err)
	for b.Loop() {
		page, err := s.OverdueBackorders(ctx, seedAsOf, "SO-0050000", 500)
		require.NoError(b, err)
		require.NotEmpty(b, page)
	}
}
