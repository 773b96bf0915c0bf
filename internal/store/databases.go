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
)

// Database admin: creating and dropping databases. The embedded migrations
// live here too; applying them and checking the schema version is schema.go.

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

// EnsureDatabase makes sure the database named in databaseURL exists and
// says whether it created it. A database that exists is left alone, and
// nothing is asked of the server for it: on managed PostgreSQL the role
// may not create databases (CREATEDB) or connect to "postgres". A missing
// one is created through the server's "postgres" database; when that is
// refused, the error says to create it by hand and run `starter migrate`.
func EnsureDatabase(ctx context.Context, databaseURL string) (created bool, err error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return false, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	boundConnect(cfg)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		_ = conn.Close(ctx)
		return false, nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name: the database is missing
		return false, unreachable(cfg, err)
	}
	why := createDatabase(ctx, cfg)
	switch {
	case why == nil:
		return true, nil
	case errors.As(why, &pgErr) && pgErr.Code == "42P04": // duplicate_database: created meanwhile
		return false, nil
	}
	return false, fmt.Errorf("database %q does not exist on %s:%d and could not be created (%s): create it (owned by the role in DATABASE_URL), "+
		"run `starter migrate`, then `starter setup` for the Temporal side", cfg.Database, cfg.Host, cfg.Port, why)
}

// createDatabase creates cfg's database through the server's "postgres"
// database. Its error is a reason, on one line, for EnsureDatabase to give.
func createDatabase(ctx context.Context, cfg *pgx.ConnConfig) error {
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("connecting to the server's \"postgres\" database to create it: %s", reasons(err))
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return fmt.Errorf("role %q may not create databases: %w", cfg.User, err)
	}
	return err
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
