// Package pgtest gives each test its own freshly migrated PostgreSQL
// database on the real server, dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

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
// at the end of the test. With -short (make check) the test is skipped.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL: the integration tier, skipped with -short (make check)")
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "backorders_test_" + hex.EncodeToString(suffix)
	dbURL, err := store.CreateDatabase(context.Background(), ServerURL(), name, false)
	require.NoError(t, err, "PostgreSQL must be running for these tests (see README: make test starts it)")
	t.Cleanup(func() { _ = store.DropDatabase(context.Background(), ServerURL(), name) })
	return dbURL
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
