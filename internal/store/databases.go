package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// Database admin: creating, dropping and migrating databases.

//go:embed migrations/*.sql
var migrations embed.FS

// DatabaseURL is serverURL pointed at database name on the same server.
func DatabaseURL(serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// CreateDatabase creates a scratch database (tests, drills, benchmarks) on
// the server of serverURL, dropping one of that name first when replace is
// set, and returns its URL.
func CreateDatabase(ctx context.Context, serverURL, name string, replace bool) (string, error) {
	sql := []string{"CREATE DATABASE " + pgx.Identifier{name}.Sanitize()}
	if replace {
		sql = append([]string{dropDatabaseSQL(name)}, sql...)
	}
	if err := onServer(ctx, serverURL, sql...); err != nil {
		return "", err
	}
	return DatabaseURL(serverURL, name)
}

// DropDatabase removes a scratch database, disconnecting its sessions.
func DropDatabase(ctx context.Context, serverURL, name string) error {
	return onServer(ctx, serverURL, dropDatabaseSQL(name))
}

func dropDatabaseSQL(name string) string {
	return "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
}

// onServer runs statements on the server's "postgres" database.
func onServer(ctx context.Context, serverURL string, statements ...string) error {
	cfg, err := pgx.ParseConfig(serverURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	boundConnect(cfg)
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return unreachable(cfg, err)
	}
	defer conn.Close(ctx)
	for _, sql := range statements {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
	}
	return nil
}

// Migrate brings the schema up to date with the embedded goose migrations.
func (s *Store) Migrate(ctx context.Context) error {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, mustSub(migrations, "migrations"))
	if err != nil {
		return fmt.Errorf("loading migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("applying migrations: %w", err)
	}
	return nil
}

// EnsureDatabase creates the database named in databaseURL when it does not
// exist yet, connecting to the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, databaseURL string) error {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	err = onServer(ctx, databaseURL, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating database %q: %w", cfg.Database, err)
	}
	return nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
