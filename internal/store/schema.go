package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The schema version: goose records each applied migration in its version
// table; the database's version is the highest recorded, 0 for none (or
// for no table at all). This build needs the highest embedded version.

// versionTable is goose's default version table.
const versionTable = "goose_db_version"

// embeddedVersions lists the versions of the embedded migrations, in order.
var embeddedVersions = sync.OnceValue(func() []int64 {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		panic(err) // the pattern is constant
	}
	versions := make([]int64, 0, len(files))
	for _, f := range files {
		v, err := goose.NumericComponent(path.Base(f))
		if err != nil {
			panic(fmt.Sprintf("embedded migration %s: %v", f, err)) // a build that ships a misnamed file
		}
		versions = append(versions, v)
	}
	slices.Sort(versions)
	return versions
})

// SchemaVersion is the schema version this build needs: its newest
// embedded migration.
func SchemaVersion() int64 {
	v := embeddedVersions()
	return v[len(v)-1]
}

// SchemaError says the database's schema is not the one this build needs:
// none at all, an older one (run `starter migrate`), or a newer one (this
// binary is older than the database).
type SchemaError struct {
	Database string // host:port/database, no credentials
	Version  int64  // the database's schema version; 0 for none
	Want     int64  // the version this build needs
}

func (e *SchemaError) Error() string {
	switch {
	case e.Version <= 0:
		return fmt.Sprintf("the database at %s has no backorder schema: run `starter migrate`", e.Database)
	case e.Version < e.Want:
		return fmt.Sprintf("the database at %s has an older backorder schema (version %d of %d): run `starter migrate`", e.Database, e.Version, e.Want)
	default:
		return fmt.Sprintf("the database at %s has a newer backorder schema (version %d) than this build knows (%d): use the starter and worker built from the newer code",
			e.Database, e.Version, e.Want)
	}
}

// CheckSchema returns a *SchemaError when the database's schema is older
// than this build needs (or missing). A newer one is accepted: migrations
// only add, so during a rolling upgrade a worker of the previous build
// keeps working after the new build's `starter migrate`. It is one query
// on goose's version table; callers that read or write the database run it
// once, right after Open (the starter's commands, the worker before it
// starts).
func (s *Store) CheckSchema(ctx context.Context) error {
	version, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if want := SchemaVersion(); version < want {
		return &SchemaError{Database: s.where(), Version: version, Want: want}
	}
	return nil
}

// schemaVersion is the database's schema version: the highest version in
// goose's table (goose's own definition), 0 when the table is missing.
func (s *Store) schemaVersion(ctx context.Context) (int64, error) {
	var version int64
	err := s.pool.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM "+versionTable).Scan(&version)
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return version, nil
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table: never migrated
		return 0, nil
	case errors.As(err, &pgErr) && pgErr.Code == "42501": // insufficient_privilege
		user := s.pool.Config().ConnConfig.User
		return 0, fmt.Errorf("checking the schema version of the database at %s: role %q may not read %s: GRANT SELECT ON %s TO %s (see docs/operations.md, Security)",
			s.where(), user, versionTable, versionTable, user)
	default:
		return 0, fmt.Errorf("checking the schema version of the database at %s: %w", s.where(), err)
	}
}

// Migration is what ApplyMigrations did.
type Migration struct {
	Database    string             // host:port/database, no credentials
	FromVersion int64              // the schema version before; 0 for none
	ToVersion   int64              // the schema version after
	Applied     []AppliedMigration // in order; empty when the schema was current
}

// AppliedMigration is one migration ApplyMigrations ran.
type AppliedMigration struct {
	Version int64
	File    string // its file in internal/store/migrations, e.g. 00001_core.sql
}

// Migrate brings the schema up to date with the embedded goose migrations.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.ApplyMigrations(ctx)
	return err
}

// ApplyMigrations brings the schema up to date with the embedded goose
// migrations and says what it applied. It never creates the database: it
// works on the database DATABASE_URL names, as it is. Concurrent runs on
// one database are serialized by goose's PostgreSQL advisory lock.
func (s *Store) ApplyMigrations(ctx context.Context) (Migration, error) {
	m := Migration{Database: s.where(), Applied: []AppliedMigration{}}
	from, err := s.schemaVersion(ctx)
	if err != nil {
		return m, err
	}
	m.FromVersion, m.ToVersion = from, from
	if want := SchemaVersion(); from > want {
		return m, &SchemaError{Database: m.Database, Version: from, Want: want}
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return m, fmt.Errorf("loading migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, mustSub(migrations, "migrations"), goose.WithSessionLocker(locker))
	if err != nil {
		return m, fmt.Errorf("loading migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			m.Applied = append(m.Applied, AppliedMigration{Version: r.Source.Version, File: path.Base(r.Source.Path)})
			m.ToVersion = max(m.ToVersion, r.Source.Version)
		}
	}
	if err != nil {
		return m, fmt.Errorf("applying migrations to the database at %s: %w", s.where(), err)
	}
	return m, nil
}

// where names the store's database as host:port/database, without the
// password.
func (s *Store) where() string { return redact(s.pool.Config().ConnConfig) }
