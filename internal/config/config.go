// Package config reads the process's settings from the environment, with
// the defaults documented in docs/operations.md, and rejects bad values with one
// error that names the variable and what to set it to.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
)

// Defaults, shared with docker-compose.yml (checked by a test). The task
// queue's is contract.DefaultTaskQueue.
const (
	DefaultDatabaseURL       = "postgres://postgres@127.0.0.1:5432/backorders?sslmode=disable"
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
	DefaultTimezone          = "UTC"
	DefaultLeadTimeDays      = 14
	DefaultSMSThreshold      = "1000.00"
	DefaultSweepInterval     = time.Hour
	// DefaultMetricsAddr is where the worker serves /metrics, /healthz and
	// /readyz: this machine only, Prometheus's port convention for
	// exporters.
	DefaultMetricsAddr = "127.0.0.1:9464"
	// DefaultWorkerStopTimeout lets a provider call in flight at SIGTERM
	// finish (its own deadline is notify.DefaultTimeout), inside the
	// 30 s a container runtime usually waits before SIGKILL.
	DefaultWorkerStopTimeout = 25 * time.Second
	// DefaultMaxCustomerNotices: ETA notices a customer gets per episode,
	// the first delay notice included.
	DefaultMaxCustomerNotices = 3
)

// Config is everything the worker and the starter read from the environment.
type Config struct {
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	TaskQueue         string

	// Location is the business timezone (BACKORDER_TIMEZONE): "today", the
	// as-of date and ETAs are calendar dates in it.
	Location *time.Location
	// DefaultLeadTimeDays is used when neither product nor supplier has one.
	DefaultLeadTimeDays int
	// SMSThreshold: a backorder worth strictly more than its currency's
	// threshold (or the default one) alerts the warehouse manager by SMS; a
	// currency with neither never does.
	SMSThreshold backorder.SMSThresholds
	// WarehouseManagerPhone receives the SMS alerts; empty means alerts are
	// recorded but there is nobody to text (the worker says so at start).
	WarehouseManagerPhone string
	// MaxCustomerNotices caps the ETA notices a customer gets per episode
	// (the first included); after that a missed ETA escalates.
	MaxCustomerNotices int
	// SweepInterval is how often the scheduled sweep runs.
	SweepInterval time.Duration
	// MetricsAddr is where the worker serves metrics and health
	// (BACKORDER_METRICS_ADDR); empty: nowhere.
	MetricsAddr string
	// WorkerStopTimeout is how long a stopping worker lets running
	// activities finish before cancelling them
	// (BACKORDER_WORKER_STOP_TIMEOUT).
	WorkerStopTimeout time.Duration
	// Log is the worker's log format and level (BACKORDER_LOG_FORMAT,
	// BACKORDER_LOG_LEVEL).
	Log Log

	// SupportEmail is where customers write to cancel or ask.
	SupportEmail string
	// QuietHours is the daily window, in Location, without SMS.
	QuietHours backorder.QuietHours
	// SendGrid and Twilio deliver email and SMS when configured; otherwise
	// messages are recorded in the ledger only.
	SendGrid SendGrid
	Twilio   Twilio

	// ReportSchedule is the weekly report's cron expression, in Location.
	ReportSchedule string
	// ReportRecipients get the weekly report by email.
	ReportRecipients []string

	// Web is `starter serve`: listen address, sessions, single sign-on.
	Web Web
}

// Load reads the environment. All problems are reported together.
func Load() (Config, error) {
	return load(os.LookupEnv)
}

func load(lookupEnv func(string) (string, bool)) (Config, error) {
	var errs []error
	getenv := func(name string) string {
		v, _ := lookupEnv(name)
		return v
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		DatabaseURL:           get("DATABASE_URL", DefaultDatabaseURL),
		TemporalAddress:       get("TEMPORAL_ADDRESS", DefaultTemporalAddress),
		TemporalNamespace:     get("TEMPORAL_NAMESPACE", DefaultTemporalNamespace),
		TaskQueue:             get("BACKORDER_TASK_QUEUE", contract.DefaultTaskQueue),
		WarehouseManagerPhone: get("WAREHOUSE_MANAGER_PHONE", ""),
	}

	tz := get("BACKORDER_TIMEZONE", DefaultTimezone)
	loc, err := time.LoadLocation(tz)
	if err != nil {
		errs = append(errs, fmt.Errorf("BACKORDER_TIMEZONE=%q is not a known IANA timezone: set it to a name such as UTC or Europe/Berlin", tz))
	}
	cfg.Location = loc

	lead := get("BACKORDER_DEFAULT_LEAD_TIME_DAYS", strconv.Itoa(DefaultLeadTimeDays))
	cfg.DefaultLeadTimeDays, err = strconv.Atoi(lead)
	if err != nil || cfg.DefaultLeadTimeDays < 0 {
		errs = append(errs, fmt.Errorf("BACKORDER_DEFAULT_LEAD_TIME_DAYS=%q must be a whole number of days, 0 or more", lead))
	}

	threshold := get("BACKORDER_SMS_THRESHOLD", DefaultSMSThreshold)
	cfg.SMSThreshold, err = backorder.ParseSMSThresholds(threshold)
	if err != nil {
		errs = append(errs, fmt.Errorf("BACKORDER_SMS_THRESHOLD=%q: %w: set it to an amount for every currency such as 1000.00, "+
			"or a list such as USD:1000.00,EUR:2000.00 with at most one bare default (1000.00,JPY:150000)", threshold, err))
	}

	notices := get("BACKORDER_MAX_CUSTOMER_NOTICES", strconv.Itoa(DefaultMaxCustomerNotices))
	cfg.MaxCustomerNotices, err = strconv.Atoi(notices)
	if err != nil || cfg.MaxCustomerNotices < 1 {
		errs = append(errs, fmt.Errorf("BACKORDER_MAX_CUSTOMER_NOTICES=%q must be a whole number, 1 or more (the first delay notice counts)", notices))
	}

	interval := get("BACKORDER_SWEEP_INTERVAL", DefaultSweepInterval.String())
	cfg.SweepInterval, err = time.ParseDuration(interval)
	if err != nil || cfg.SweepInterval < time.Minute {
		errs = append(errs, fmt.Errorf("BACKORDER_SWEEP_INTERVAL=%q must be a duration of at least 1m, such as 1h or 30m", interval))
	}
	cfg.MetricsAddr = get("BACKORDER_METRICS_ADDR", DefaultMetricsAddr)
	if v, set := lookupEnv("BACKORDER_METRICS_ADDR"); set && strings.TrimSpace(v) == "" {
		cfg.MetricsAddr = "" // set and empty: disabled
	} else if _, _, err := net.SplitHostPort(cfg.MetricsAddr); err != nil {
		errs = append(errs, fmt.Errorf("BACKORDER_METRICS_ADDR=%q must be HOST:PORT, such as 127.0.0.1:9464 (set it empty to serve no metrics)", cfg.MetricsAddr))
	}
	stop := get("BACKORDER_WORKER_STOP_TIMEOUT", DefaultWorkerStopTimeout.String())
	cfg.WorkerStopTimeout, err = time.ParseDuration(stop)
	if err != nil || cfg.WorkerStopTimeout < 0 {
		errs = append(errs, fmt.Errorf("BACKORDER_WORKER_STOP_TIMEOUT=%q must be a duration such as 25s (0 cancels running activities at once)", stop))
	}
	errs = append(errs, cfg.loadLog(get)...)
	errs = append(errs, cfg.loadNotifications(get)...)
	errs = append(errs, cfg.loadReport(get)...)
	errs = append(errs, cfg.loadWeb(get)...)
	return cfg, errors.Join(errs...)
}
