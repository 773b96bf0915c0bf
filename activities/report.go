package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/report"
)

// PreviousReportWeek is the last complete ISO week (YYYY-Www) before At in
// the business timezone: what a scheduled run reports. A local activity,
// because workflow code cannot load timezones.
func (a *Activities) PreviousReportWeek(_ context.Context, in contract.ReportWeekInput) (string, error) {
	return report.WeekOf(in.At, a.Settings.Location).Add(-1).String(), nil
}

// ComputeWeeklyReport computes the week's report in PostgreSQL, with the
// store's report SQL. A week in progress is measured now; a week that has
// not started is bad input.
func (a *Activities) ComputeWeeklyReport(ctx context.Context, in contract.ComputeReportInput) (report.Report, error) {
	week, err := report.ParseWeek(in.Week)
	if err != nil {
		return report.Report{}, badData(contract.ErrTypeInvalidInput, err)
	}
	r, err := a.Store.WeeklyReport(ctx, week, a.Settings.Location, time.Now())
	if errors.Is(err, report.ErrWeekNotStarted) {
		return report.Report{}, badData(contract.ErrTypeInvalidInput, err)
	}
	return r, err
}

// StoreReport keeps the report in the reports table, replacing the week's
// earlier one.
func (a *Activities) StoreReport(ctx context.Context, in contract.StoreReportInput) error {
	return a.Store.SaveReport(ctx, in.Report)
}

// reportChartID is the inline chart's Content-ID, which the HTML shows.
const reportChartID = "trend-chart"

// reportEmailKey is the ledger key of a week's report to one recipient:
// each gets it once, however often the report runs.
func reportEmailKey(week, recipient string) string {
	return "report/" + week + "/" + recipient
}

// EmailReport emails the report to each of BACKORDER_REPORT_RECIPIENTS: the
// table as text, the same as HTML with the trend chart inline, and the
// figures as a CSV attachment.
func (a *Activities) EmailReport(ctx context.Context, in contract.EmailReportInput) (contract.EmailOutcome, error) {
	ctx, stop := notify.Attempt(ctx)
	defer stop()
	r := in.Report
	if len(a.Settings.ReportRecipients) == 0 {
		activity.GetLogger(ctx).Warn("weekly report not emailed: BACKORDER_REPORT_RECIPIENTS is not set", "week", r.Week)
		return contract.EmailOutcome{}, nil
	}
	var text, html, chart, data bytes.Buffer
	if err := report.WriteTable(&text, r); err != nil {
		return contract.EmailOutcome{}, err
	}
	if err := report.WriteHTML(&html, r, "cid:"+reportChartID); err != nil {
		return contract.EmailOutcome{}, err
	}
	if err := report.WriteChart(&chart, r); err != nil {
		return contract.EmailOutcome{}, fmt.Errorf("drawing the trend chart of %s: %w", r.Week, err)
	}
	if err := report.WriteCSV(&data, r); err != nil {
		return contract.EmailOutcome{}, err
	}
	attachments := []notify.Attachment{
		{Filename: "backorder-trend-" + r.Week + ".png", ContentType: "image/png", Content: chart.Bytes(), Inline: true, ContentID: reportChartID},
		{Filename: "backorder-report-" + r.Week + ".csv", ContentType: "text/csv", Content: data.Bytes()},
	}
	var out contract.EmailOutcome
	for i, to := range a.Settings.ReportRecipients {
		sent, err := a.Notifier.Send(ctx, notify.Message{
			Key: reportEmailKey(r.Week, to), Channel: notify.Email, Recipient: to,
			Subject: r.Summary(), Body: text.String(), HTMLBody: html.String(), Attachments: attachments,
		})
		if err != nil {
			// The notifier's ApplicationError (ProviderUnavailable with the
			// provider's Retry-After, or a non-retryable one) must stay at
			// the top of the chain for Temporal to see its class. The
			// recipient by number: the error reaches logs and the history.
			return out, retrySoon(ctx, wrapKeepingClass(err, "emailing report %s to recipient %d of %d", r.Week, i+1, len(a.Settings.ReportRecipients)))
		}
		switch {
		case !sent.Delivered():
			out.Failed++
			out.FailedRecipients = append(out.FailedRecipients, to)
			// No address in the log: `starter notifications` names the recipient.
			activity.GetLogger(ctx).Warn("weekly report not delivered to one recipient", "week", r.Week, "status", sent.Status, "error", sent.Error)
		case sent.Duplicate:
			out.Duplicates++
		default:
			out.Sent++
		}
	}
	activity.GetLogger(ctx).Info("weekly report emailed", "week", r.Week, "sent", out.Sent, "duplicates", out.Duplicates, "failed", out.Failed)
	return out, nil
}
