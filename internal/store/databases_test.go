package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

func TestCreateDatabaseReplacesAndDrops(t *testing.T) {
	ctx := context.Background()
	const name = "backorders_test_replace"
	t.Cleanup(func() { _ = store.DropDatabase(ctx, pgtest.ServerURL(), name) })

	dbURL, err := store.CreateDatabase(ctx, pgtest.ServerURL(), name, true)
	require.NoError(t, err)
	s, err := store.Open(ctx, dbURL)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	s.Close()

	_, err = store.CreateDatabase(ctx, pgtest.ServerURL(), name, false)
	assert.Error(t, err, "without replace an existing database is an error")

	dbURL, err = store.CreateDatabase(ctx, pgtest.ServerURL(), name, true)
	require.NoError(t, err, "replace drops the old one first")
	s, err = store.Open(ctx, dbURL)
	require.NoError(t, err)
	defer s.Close()
	var tables int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables))
	assert.Zero(t, tables, "the replaced database starts empty")
}

func TestDatabaseURLKeepsServerAndOptions(t *testing.T) {
	got, err := store.DatabaseURL("postgres://u:p@db.example:5433/main?sslmode=disable", "other")
	require.NoError(t, err)
	assert.Equal(t, "postgres://u:p@db.example:5433/other?sslmode=disable", got)
}
