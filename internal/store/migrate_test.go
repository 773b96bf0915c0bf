package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/testing/pgtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	require.NoError(t, s.Migrate(context.Background()), "running migrations a second time must be a no-op")
	var n int
	require.NoError(t, s.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.tables WHERE table_name IN ('orders','incidents','tasks','notifications','active_alerts','sweep_runs')").Scan(&n))
	require.Equal(t, 6, n)
}
