// Package inproc runs the backorder system inside a test process, for the
// handler tests of the web app and the JSON API: one Temporal dev server
// shared by a package's tests (SharedDevServer, stopped by StopDevServer
// in TestMain), and the real workflows and activities on a test's own
// task queue (StartWorker), with notifications kept in the ledger only.
package inproc

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/workflows"
)

var (
	devServerOnce sync.Once
	devServer     *testsuite.DevServer
	devServerErr  error
)

// SharedDevServer is the package's dev server, started by the first test
// that asks; each test keeps to its own task queue and order ids. Under
// -short the test is skipped.
func SharedDevServer(t testing.TB) *testsuite.DevServer {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the Temporal dev server: the integration tier, skipped with -short (make check)")
	}
	devServerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "inproc-temporal")
		if err != nil {
			devServerErr = err
			return
		}
		devServer, devServerErr = testsuite.StartDevServer(context.Background(), devstack.DevServerOptions(dir))
	})
	require.NoError(t, devServerErr, "the Temporal dev server is needed (scripts/ensure-temporal.sh builds it)")
	return devServer
}

// StopDevServer stops the shared dev server if a test started it; call it
// from TestMain after the tests ran.
func StopDevServer() {
	if devServer != nil {
		_ = devServer.Stop()
	}
}

// StartWorker runs the real workflows and activities on cfg.TaskQueue, as
// the worker binary does, until the test ends. With no provider
// configured in cfg, messages are recorded in the ledger, not sent.
func StartWorker(t testing.TB, c client.Client, db *store.Store, cfg config.Config) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	notifier, err := notify.New(cfg, db, quiet)
	require.NoError(t, err)
	// The SDK's logging of every step would bury the test's output.
	c, err = client.NewClientFromExisting(c, client.Options{Logger: log.NewStructuredLogger(quiet)})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w := worker.New(c, cfg.TaskQueue, workflows.WorkerOptions())
	workflows.Register(w)
	w.RegisterActivity(&activities.Activities{
		Store: db, Notifier: notifier,
		Temporal: activities.Temporal{Client: c, TaskQueue: cfg.TaskQueue},
		Settings: activities.Settings{
			Location: cfg.Location, DefaultLeadTimeDays: cfg.DefaultLeadTimeDays,
			SMSThreshold: cfg.SMSThreshold, WarehouseManagerPhone: cfg.WarehouseManagerPhone,
			QuietHours: cfg.QuietHours, SupportEmail: cfg.SupportEmail,
			ReportRecipients: cfg.ReportRecipients, MaxCustomerNotices: cfg.MaxCustomerNotices,
		},
	})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
}
