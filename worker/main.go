// Command worker runs the backorder workflows and activities on the
// BACKORDER_TASK_QUEUE task queue until SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/worker"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/temporalx"
	"github.com/acme/backorders/workflows"
)

func main() {
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), `Usage: worker

Runs the backorder worker: the per-order and sweep workflows and their
activities, until interrupted (SIGINT or SIGTERM stop it gracefully).

Environment: DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
BACKORDER_TASK_QUEUE, BACKORDER_TIMEZONE, BACKORDER_DEFAULT_LEAD_TIME_DAYS,
BACKORDER_SMS_THRESHOLD, WAREHOUSE_MANAGER_PHONE, BACKORDER_REPORT_RECIPIENTS,
BACKORDER_SUPPORT_EMAIL, WAREHOUSE_SMS_QUIET_HOURS, SENDGRID_* and TWILIO_*
(see docs/operations.md).
`)
	}
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(logger); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	c, err := temporalx.Dial(cfg, logger)
	if err != nil {
		return err
	}
	defer c.Close()
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
		Log: logger,
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
		"email", cfg.EmailRoute(), "sms", cfg.SMSRoute(), "sms_threshold", cfg.SMSThreshold.String())
	return w.Run(worker.InterruptCh())
}
