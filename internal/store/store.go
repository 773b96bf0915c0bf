// Package store is the PostgreSQL side of the process, one job a file:
// the connection (store.go), database admin (databases.go), migrations
// and the schema version check (schema.go), the order process's queries
// (orders.go, sweep.go, episode.go, tasks.go), the notification ledger
// (ledger.go), import (import.go), the seed generator (seed.go), the
// weekly report's SQL (report.go), and the counts the fault drills and
// the benchmark check their runs with (audit.go).
//
// Every write that an activity makes is idempotent: it is keyed by a
// deterministic key under a unique constraint, so an at-least-once retry
// finds what the first attempt wrote instead of writing it twice.
package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultMaxConns is the pool size when DATABASE_URL sets none
// (pool_max_conns=N sets it).
const defaultMaxConns = 16

// ErrNotFound is returned when a row the caller named does not exist.
var ErrNotFound = errors.New("not found")

// Store wraps a connection pool.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to databaseURL and checks the connection.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		// pgx defaults to max(4, cores) connections; local activities run
		// many short queries at once, so allow more unless the URL says.
		cfg.MaxConns = defaultMaxConns
	}
	boundConnect(cfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, unreachable(cfg.ConnConfig, err)
	}
	return &Store{pool: pool}, nil
}

// Close releases the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool is a test seam: the store's tests and the tests of its callers
// set up and inspect rows with raw SQL through it. Product code, the
// fault drills and the benchmark use the typed queries instead.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// connectTimeout bounds a connection attempt when DATABASE_URL sets no
// connect_timeout: pgx has none, so a server that accepts the TCP
// connection and never answers would hang the starter forever.
const connectTimeout = 5 * time.Second

func boundConnect(cfg *pgx.ConnConfig) {
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
}

// unreachable is the error for a server that could not be connected to,
// on one line, saying what to do.
func unreachable(cfg *pgx.ConnConfig, err error) error {
	why := reasons(err)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "3D000": // invalid_catalog_name
		return fmt.Errorf("database %q does not exist on %s:%d: run `starter setup` to create it "+
			"(or, where the role may not create databases, create it yourself and run `starter migrate`), or set DATABASE_URL",
			cfg.Database, cfg.Host, cfg.Port)
	case errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000"): // invalid_password, invalid_authorization_specification
		return fmt.Errorf("PostgreSQL at %s refused the login (%s): check the user and password in DATABASE_URL", redact(cfg), why)
	}
	return fmt.Errorf("cannot reach PostgreSQL at %s (%s): start it or set DATABASE_URL", redact(cfg), why)
}

// reasons is err on one line: pgconn puts each address it tried (and
// each TLS fallback) on a line of its own.
func reasons(err error) string {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) && connectErr.Unwrap() != nil {
		err = connectErr.Unwrap()
	}
	causes := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		causes = joined.Unwrap()
	}
	var parts []string
	for _, cause := range causes {
		part := strings.Join(strings.Fields(cause.Error()), " ")
		if !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, "; ")
}

// redact names the server without the password.
func redact(cfg *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
}

// inTx runs fn in one transaction: all of it lands, or none.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// Ping checks that PostgreSQL answers, for the worker's /readyz.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
