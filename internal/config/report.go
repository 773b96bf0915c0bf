package config

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
)

// DefaultReportSchedule runs the weekly report on Mondays at 08:00 in
// BACKORDER_TIMEZONE.
const DefaultReportSchedule = "0 8 * * 1"

// loadReport reads the weekly report's settings.
func (cfg *Config) loadReport(get func(name, def string) string) []error {
	var errs []error
	cfg.ReportSchedule = get("BACKORDER_REPORT_SCHEDULE", DefaultReportSchedule)
	// Only the shape is checked here; Temporal checks the fields when
	// `starter setup` creates the schedule.
	if n := len(strings.Fields(cfg.ReportSchedule)); !strings.HasPrefix(cfg.ReportSchedule, "@") && (n < 5 || n > 7) {
		errs = append(errs, fmt.Errorf("BACKORDER_REPORT_SCHEDULE=%q must be a cron expression, minute hour day-of-month month day-of-week, such as %q (Mondays at 08:00 in BACKORDER_TIMEZONE)",
			cfg.ReportSchedule, DefaultReportSchedule))
	}
	var err error
	if cfg.ReportRecipients, err = parseRecipients(get("BACKORDER_REPORT_RECIPIENTS", "")); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// parseRecipients reads comma-separated email addresses ("Ops
// <ops@example.com>" gives ops@example.com), without repeats.
func parseRecipients(list string) ([]string, error) {
	var recipients []string
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		addr, err := mail.ParseAddress(part)
		if err != nil {
			return nil, fmt.Errorf("BACKORDER_REPORT_RECIPIENTS: %q is not an email address: list addresses separated by commas, such as ops@example.com,buyer@example.com", part)
		}
		if !slices.Contains(recipients, addr.Address) {
			recipients = append(recipients, addr.Address)
		}
	}
	return recipients, nil
}
