package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// migrationFiles are the migrations in the source tree, which the build
// embeds.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}

func TestSchemaVersionIsTheNewestMigration(t *testing.T) {
	files := migrationFiles(t)
	newest, err := goose.NumericComponent(files[len(files)-1])
	require.NoError(t, err)
	assert.Equal(t, newest, store.SchemaVersion())
}

// openEmpty opens a store on a new database without migrating it.
func openEmpty(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), pgtest.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// migrateDownTo takes the schema back to version with goose's own API, as
// a database last migrated by an older release would be.
func migrateDownTo(t *testing.T, s *store.Store, version int64) {
	t.Helper()
	db := stdlib.OpenDBFromPool(s.Pool())
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	require.NoError(t, err)
	_, err = p.DownTo(context.Background(), version)
	require.NoError(t, err)
}

func TestCheckSchemaAndApplyMigrations(t *testing.T) {
	ctx := context.Background()
	s := openEmpty(t)
	want := store.SchemaVersion()

	// An empty database: no schema, said once, with what to do.
	err := s.CheckSchema(ctx)
	var schemaErr *store.SchemaError
	require.ErrorAs(t, err, &schemaErr)
	assert.Equal(t, int64(0), schemaErr.Version)
	assert.Contains(t, err.Error(), "has no backorder schema: run `starter migrate`")

	// Migrating applies every embedded migration, in order, and says so.
	m, err := s.ApplyMigrations(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(0), m.FromVersion)
	assert.Equal(t, want, m.ToVersion)
	var files []string
	for _, a := range m.Applied {
		files = append(files, a.File)
	}
	assert.Equal(t, migrationFiles(t), files)
	require.NoError(t, s.CheckSchema(ctx))

	// Again: nothing to do.
	m, err = s.ApplyMigrations(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.Migration{Database: m.Database, FromVersion: want, ToVersion: want, Applied: []store.AppliedMigration{}}, m)

	// An older schema says which version it has, and migrating brings it up.
	migrateDownTo(t, s, want-2)
	err = s.CheckSchema(ctx)
	require.ErrorAs(t, err, &schemaErr)
	assert.Contains(t, err.Error(), fmt.Sprintf("has an older backorder schema (version %d of %d): run `starter migrate`", want-2, want))
	m, err = s.ApplyMigrations(ctx)
	require.NoError(t, err)
	assert.Equal(t, want-2, m.FromVersion)
	assert.Equal(t, want, m.ToVersion)
	assert.Equal(t, []store.AppliedMigration{{Version: want - 1, File: files[len(files)-2]}, {Version: want, File: files[len(files)-1]}}, m.Applied)
	require.NoError(t, s.CheckSchema(ctx))

	// Back to nothing (every Down run): no schema again.
	migrateDownTo(t, s, 0)
	require.ErrorAs(t, s.CheckSchema(ctx), &schemaErr)
	assert.Equal(t, int64(0), schemaErr.Version)
}

// A database migrated by a newer build still serves this one (a rolling
// upgrade: migrations only add), but this build does not migrate it.
func TestNewerSchemaServesButIsNotMigrated(t *testing.T) {
	ctx := context.Background()
	s, _ := pgtest.NewStore(t)
	_, err := s.Pool().Exec(ctx, "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)", store.SchemaVersion()+1)
	require.NoError(t, err)
	require.NoError(t, s.CheckSchema(ctx))
	var schemaErr *store.SchemaError
	err = s.Migrate(ctx)
	require.ErrorAs(t, err, &schemaErr)
	assert.Contains(t, err.Error(), fmt.Sprintf("has a newer backorder schema (version %d) than this build knows (%d)", store.SchemaVersion()+1, store.SchemaVersion()))
}

// A role that may not read goose's table is told which grant it lacks
// (the worker's least-privilege role in docs/operations.md has it).
func TestCheckSchemaNamesTheMissingGrant(t *testing.T) {
	ctx := context.Background()
	s, dbURL := pgtest.NewStore(t)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	role := "backorders_nogrant_" + hex.EncodeToString(suffix)
	_, err := s.Pool().Exec(ctx, "CREATE ROLE "+role+" LOGIN")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = s.Pool().Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })

	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	u.User = url.User(role)
	asRole, err := store.Open(ctx, u.String())
	require.NoError(t, err)
	defer asRole.Close()
	err = asRole.CheckSchema(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GRANT SELECT ON goose_db_version TO "+role)
}
