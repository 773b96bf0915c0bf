// Package systest is what the fault drills (internal/testing/chaos) and the
// benchmark (internal/testing/bench) share to run a whole system on this
// machine: a Temporal dev server on a port and SQLite file of its own,
// started, killed and restarted, with a client on it (DevServer); a fresh
// migrated database (FreshDatabase, OpenMigrated); counting workflows
// through visibility (CountWorkflows); waiting until a condition holds,
// with progress reports (Wait); and their commands' flags and settings
// (WorkerFlag, Usage, ServerURL, IntFromEnv, DurationFromEnv).
package systest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/store"
)

// FreshDatabase creates database name on the server of serverURL,
// dropping one of that name first when replace is set, and opens and
// migrates it. It returns the store and the database's URL.
func FreshDatabase(ctx context.Context, serverURL, name string, replace bool) (*store.Store, string, error) {
	dbURL, err := store.CreateDatabase(ctx, serverURL, name, replace)
	if err != nil {
		return nil, "", err
	}
	db, err := OpenMigrated(ctx, dbURL)
	return db, dbURL, err
}

// OpenMigrated opens the database at dbURL and brings its schema up to
// date.
func OpenMigrated(ctx context.Context, dbURL string) (*store.Store, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// ServerURL is the PostgreSQL server the drills and the benchmark create
// their databases on: DATABASE_URL, else the documented default.
func ServerURL() string {
	if u := strings.TrimSpace(os.Getenv("DATABASE_URL")); u != "" {
		return u
	}
	return config.DefaultDatabaseURL
}

// IntFromEnv reads a whole number of at least least from the environment
// variable name, def when it is not set.
func IntFromEnv(name string, def, least int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < least {
		return 0, fmt.Errorf("%s=%q must be a whole number of at least %d", name, v, least)
	}
	return n, nil
}

// DurationFromEnv reads a positive duration from the environment variable
// name, 0 when it is not set.
func DurationFromEnv(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q must be a positive duration such as 30s", name, v)
	}
	return d, nil
}
