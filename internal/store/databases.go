package store

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
)

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
