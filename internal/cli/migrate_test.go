package cli_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// where is how errors name dbURL's database: host:port/name.
func where(t *testing.T, dbURL string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dbURL)
	require.NoError(t, err)
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}

func migrationFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../store/migrations/*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}

// tableCount is how many tables dbURL's public schema has.
func tableCount(t *testing.T, dbURL string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(context.Background(),
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&n))
	return n
}

// migrate needs no Temporal (TEMPORAL_ADDRESS points at nothing here),
// says what it applied, and the second time that there was nothing to do.
func TestMigrateAppliesThenHasNothingToDo(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	usingEnv(t, "DATABASE_URL", dbURL)
	files := migrationFiles(t)
	want := store.SchemaVersion()

	r := run("migrate")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, len(files)+2, r.stdout)
	assert.Equal(t, "database  "+where(t, dbURL), lines[0])
	for i, f := range files {
		assert.Equal(t, "applied   "+f, lines[i+1])
	}
	assert.Equal(t, fmt.Sprintf("schema    version %d (was 0)", want), lines[len(lines)-1])

	r = run("migrate")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, fmt.Sprintf("database  %s\nschema    version %d, current: nothing to apply\n", where(t, dbURL), want), r.stdout)

	r = run("tasks")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "no tasks match\n", r.stdout)
}

func TestMigrateJSON(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	usingEnv(t, "DATABASE_URL", dbURL)
	want := store.SchemaVersion()

	type applied struct {
		Version int64  `json:"version"`
		File    string `json:"file"`
	}
	type result struct {
		Database    string    `json:"database"`
		FromVersion int64     `json:"from_version"`
		ToVersion   int64     `json:"to_version"`
		Applied     []applied `json:"applied"`
	}
	decode := func(r failure) (res result) {
		t.Helper()
		require.Equal(t, 0, r.code, r.stderr)
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(&res), r.stdout)
		return res
	}

	var all []applied
	for _, f := range migrationFiles(t) {
		v, err := goose.NumericComponent(f)
		require.NoError(t, err)
		all = append(all, applied{Version: v, File: f})
	}
	assert.Equal(t, result{Database: where(t, dbURL), FromVersion: 0, ToVersion: want, Applied: all}, decode(run("migrate", "--json")))

	r := run("migrate", "--json")
	assert.Equal(t, result{Database: where(t, dbURL), FromVersion: want, ToVersion: want, Applied: []applied{}}, decode(r))
	assert.Contains(t, r.stdout, `"applied": []`, "an empty list, not null")
}

// Every command that reads or writes the database refuses an unmigrated
// one with the same line, and writes nothing to it.
func TestUnmigratedDatabaseSaysRunMigrate(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	usingEnv(t, "DATABASE_URL", dbURL)
	for _, args := range [][]string{
		{"tasks"}, {"tasks", "--json"}, {"notifications"}, {"notifications", "--stuck"},
		{"notifications", "resend", "email:x", "--by", "alice"},
		{"fulfill", "SO-1"}, {"cancel", "SO-1"}, {"task", "complete", "T-1"},
		{"seed", "--orders", "10"}, {"import", "--file", "../testing/e2e/testdata/orders.json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			requireOneLine(t, run(args...), exitFailed, "starter: the database at "+where(t, dbURL)+" has no backorder schema: run `starter migrate`")
		})
	}
	assert.Zero(t, tableCount(t, dbURL), "nothing was written")
}

// A database an older release migrated says so, with its version.
func TestOlderSchemaSaysRunMigrate(t *testing.T) {
	s, dbURL := pgtest.NewStore(t)
	want := store.SchemaVersion()
	db := stdlib.OpenDBFromPool(s.Pool())
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("../store/migrations"))
	require.NoError(t, err)
	_, err = p.DownTo(context.Background(), want-1)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	usingEnv(t, "DATABASE_URL", dbURL)
	requireOneLine(t, run("tasks"), exitFailed, fmt.Sprintf("starter: the database at %s has an older backorder schema (version %d of %d): run `starter migrate`",
		where(t, dbURL), want-1, want))

	r := run("migrate")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, fmt.Sprintf("schema    version %d (was %d)", want, want-1))
	r = run("tasks")
	assert.Equal(t, 0, r.code, r.stderr)
}

// managedRole is a login role without CREATEDB, as managed PostgreSQL
// gives: with hasDatabase, a database of its own exists (created by
// someone who may). It returns a DATABASE_URL for the role and its
// database.
func managedRole(t *testing.T, hasDatabase bool) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL: the integration tier, skipped with -short (make check)")
	}
	ctx := context.Background()
	adminURL, err := store.DatabaseURL(pgtest.ServerURL(), "postgres")
	require.NoError(t, err)
	admin, err := pgx.Connect(ctx, adminURL)
	require.NoError(t, err, "PostgreSQL must be running for these tests")
	t.Cleanup(func() { _ = admin.Close(context.Background()) })

	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	role := "backorders_managed_" + hex.EncodeToString(suffix)
	database := "backorders_test_managed_" + hex.EncodeToString(suffix)
	_, err = admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN NOCREATEDB")
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+database+" WITH (FORCE)")
		_, _ = admin.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	})
	if hasDatabase {
		_, err = admin.Exec(ctx, "CREATE DATABASE "+database+" OWNER "+role)
		require.NoError(t, err)
	}
	dbURL, err := store.DatabaseURL(pgtest.ServerURL(), database)
	require.NoError(t, err)
	u, err := url.Parse(dbURL)
	require.NoError(t, err)
	u.User = url.User(role)
	return u.String()
}

// A role that may not create databases, whose database is missing: setup
// says to create it and run migrate, on one line, before any Temporal.
func TestSetupWithoutCreateDBAndNoDatabaseSaysWhatToDo(t *testing.T) {
	dbURL := managedRole(t, false)
	usingEnv(t, "DATABASE_URL", dbURL)
	cfg, err := pgx.ParseConfig(dbURL)
	require.NoError(t, err)
	requireOneLine(t, run("setup"), exitFailed,
		fmt.Sprintf(`database %q does not exist on %s:%d and could not be created (role %q may not create databases`, cfg.Database, cfg.Host, cfg.Port, cfg.User),
		"create it", "run `starter migrate`, then `starter setup` for the Temporal side")
	// migrate never creates it, and says how to get one.
	requireOneLine(t, run("migrate"), exitFailed, fmt.Sprintf(`database %q does not exist`, cfg.Database), "run `starter migrate`")
}

// Managed PostgreSQL: the role may not create databases but its database
// exists. setup goes on to migrate, register the search attributes and
// ensure the schedules; migrate alone works too.
func TestSetupWithoutCreateDBUsesTheExistingDatabase(t *testing.T) {
	dbURL := managedRole(t, true)
	if _, err := devstack.TemporalCLIPath(); err != nil {
		t.Fatalf("the Temporal CLI is needed for this test: %v", err)
	}
	server, err := testsuite.StartDevServer(context.Background(), devstack.DevServerOptions(t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = server.Stop() })
	usingEnv(t, "DATABASE_URL", dbURL, "TEMPORAL_ADDRESS", server.FrontendHostPort())
	want := store.SchemaVersion()
	files := migrationFiles(t)

	r := run("setup")
	require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Empty(t, r.stderr)
	assert.NotContains(t, r.stdout, "database      created", "the database was there already")
	assert.Contains(t, r.stdout, fmt.Sprintf("database      migrated (schema version 0 to %d, %d applied)\n", want, len(files)))
	assert.Contains(t, r.stdout, "search attrs  ")
	assert.Contains(t, r.stdout, "schedule      backorder-sweep created")
	assert.Contains(t, r.stdout, "schedule      backorder-weekly-report created")

	// Again, as at every deploy; then migrate on its own.
	r = run("setup")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, fmt.Sprintf("database      migrated (schema version %d, already current)\n", want))
	assert.Contains(t, r.stdout, "schedule      backorder-sweep updated")
	r = run("migrate")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "nothing to apply")
	r = run("tasks")
	assert.Equal(t, 0, r.code, r.stderr)
}
