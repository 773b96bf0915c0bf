// Package pgtest gives each test its own freshly migrated PostgreSQL
// database on the real server, dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/store"
)

// ServerURL is the server tests create their databases on: DATABASE_URL
// when set, else the documented default.
func ServerURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return config.DefaultDatabaseURL
}

// NewDatabase creates an empty database and returns its URL; it is dropped
// at the end of the test.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(ServerURL())
	require.NoError(t, err)
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err, "PostgreSQL must be running for these tests (see README: make test starts it)")

	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "backorders_test_" + hex.EncodeToString(suffix)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close(context.Background())
	})
	u, err := url.Parse(ServerURL())
	require.NoError(t, err, "DATABASE_URL must be a postgres:// URL")
	u.Path = "/" + name
	return u.String()
}

// NewStore opens a migrated store on a new database.
func NewStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	dbURL := NewDatabase(t)
	s, err := store.Open(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NoError(t, s.Migrate(context.Background()))
	return s, dbURL
}
