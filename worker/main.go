// Command worker runs the backorder workflows and activities on the
// BACKORDER_TASK_QUEUE task queue until SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/buildinfo"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/logging"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/telemetry"
	"github.com/acme/backorders/internal/temporalx"
	"github.com/acme/backorders/workflows"
)

func main() {
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `Usage: worker [-probe URL] [-version]

Runs the backorder worker: the per-order and sweep workflows and their
activities, until interrupted (SIGINT or SIGTERM stop it gracefully, letting
running activities finish for BACKORDER_WORKER_STOP_TIMEOUT). It serves
/metrics, /healthz and /readyz on BACKORDER_METRICS_ADDR.

With -probe URL it only fetches URL and exits 0 on HTTP 200, 1 otherwise:
a health check for images without curl (docker-compose.yml).

Environment: DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE, BACKORDER_TASK_QUEUE,
BACKORDER_TIMEZONE, BACKORDER_DEFAULT_LEAD_TIME_DAYS, BACKORDER_SMS_THRESHOLD,
WAREHOUSE_MANAGER_PHONE, BACKORDER_REPORT_RECIPIENTS, BACKORDER_SUPPORT_EMAIL,
WAREHOUSE_SMS_QUIET_HOURS, BACKORDER_METRICS_ADDR,
BACKORDER_WORKER_STOP_TIMEOUT, BACKORDER_LOG_FORMAT (text or json),
BACKORDER_LOG_LEVEL (debug, info, warn or error), SENDGRID_* and TWILIO_*
(see docs/operations.md).
`)
	}
	probe := flag.String("probe", "", "fetch this URL and exit 0 on HTTP 200 (a container health check)")
	version := flag.Bool("version", false, "print the version, commit and build date, and exit")
	flag.Parse()
	if *version {
		fmt.Println(buildinfo.String("worker"))
		return
	}
	if *probe != "" {
		os.Exit(telemetry.Probe(*probe))
	}
	cfg, err := config.Load()
	if err == nil {
		err = run(cfg, logging.New(os.Stderr, cfg.Log))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

// run works until interrupted. logger is the worker's, the SDK's and,
// through activity.GetLogger, the activities'.
func run(cfg config.Config, logger *slog.Logger) error {
	ctx := context.Background()
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	metrics := telemetry.New()
	defer metrics.Close()
	c, err := temporalx.Dial(cfg, logger, metrics.Handler)
	if err != nil {
		return err
	}
	defer c.Close()
	ready := &telemetry.Readiness{Checks: map[string]func(context.Context) error{
		"postgres": db.Ping,
		"temporal": func(ctx context.Context) error {
			_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
	}}
	if cfg.MetricsAddr != "" {
		if err := metrics.RegisterGauges(db.ReadGauges); err != nil {
			return err
		}
		srv, err := telemetry.Serve(cfg.MetricsAddr, metrics, ready)
		if err != nil {
			return fmt.Errorf("serving metrics on BACKORDER_METRICS_ADDR=%s: %w (set another address, or set it empty to serve none)", cfg.MetricsAddr, err)
		}
		defer func() { _ = srv.Shutdown(context.Background()) }()
	}
	notifier, err := notify.New(cfg, db, logger)
	if err != nil {
		return err
	}

	acts := &activities.Activities{
		Store:    db,
		Notifier: notifier,
		// The same client as the worker's, so eager starts run here.
		Temporal: activities.Temporal{Client: c, TaskQueue: cfg.TaskQueue},
		Settings: activities.Settings{
			Location: cfg.Location, DefaultLeadTimeDays: cfg.DefaultLeadTimeDays,
			SMSThreshold: cfg.SMSThreshold, WarehouseManagerPhone: cfg.WarehouseManagerPhone,
			QuietHours: cfg.QuietHours, SupportEmail: cfg.SupportEmail,
			ReportRecipients: cfg.ReportRecipients, MaxCustomerNotices: cfg.MaxCustomerNotices,
		},
	}
	worker.SetStickyWorkflowCacheSize(workflows.StickyCacheSize)
	opts := workflows.WorkerOptions()
	// On SIGTERM, provider calls in flight finish instead of being cut
	// into unknown outcomes.
	opts.WorkerStopTimeout = cfg.WorkerStopTimeout
	w := worker.New(c, cfg.TaskQueue, opts)
	workflows.Register(w)
	w.RegisterActivity(acts)
	logger.Info("worker starting", "task_queue", cfg.TaskQueue, "namespace", cfg.TemporalNamespace,
		"email", cfg.EmailRoute(), "sms", cfg.SMSRoute(), "sms_threshold", cfg.SMSThreshold.String(),
		"metrics", cfg.MetricsAddr)
	if err := w.Start(); err != nil {
		return err
	}
	ready.Polling(true)
	<-worker.InterruptCh()
	ready.Polling(false)
	w.Stop()
	return nil
}
