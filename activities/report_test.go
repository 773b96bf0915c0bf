package activities

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"image/png"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/report"
	"github.com/acme/backorders/internal/testing/fakes"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// capture is a notifier that keeps what it is handed.
type capture struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (c *capture) Send(_ context.Context, n notify.Message) (notify.Outcome, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, n)
	return notify.Outcome{Status: "captured"}, nil
}

// reportEnv runs report activities over a new database in New York.
func reportEnv(t *testing.T, notifier notify.Notifier, recipients ...string) (*testsuite.TestActivityEnvironment, *Activities) {
	t.Helper()
	s, _ := pgtest.NewStore(t)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	if notifier == nil {
		notifier = notify.Recorder{Ledger: s, Log: logger}
	}
	acts := &Activities{Store: s, Notifier: notifier,
		Settings: Settings{Location: ny, ReportRecipients: recipients}}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(logger))
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return env, acts
}

// sampleReport is a computed report of 2025-W10 (an empty database).
func sampleReport(t *testing.T, env *testsuite.TestActivityEnvironment, acts *Activities) report.Report {
	t.Helper()
	v, err := env.ExecuteActivity(acts.ComputeWeeklyReport, contract.ComputeReportInput{Week: "2025-W10"})
	require.NoError(t, err)
	var r report.Report
	require.NoError(t, v.Get(&r))
	return r
}

func TestEmailReportOncePerWeekAndRecipient(t *testing.T) {
	env, acts := reportEnv(t, nil, "ops@example.com", "buyer@example.com")
	r := sampleReport(t, env, acts)

	for _, want := range []contract.EmailOutcome{{Sent: 2}, {Duplicates: 2}} {
		v, err := env.ExecuteActivity(acts.EmailReport, contract.EmailReportInput{Report: r})
		require.NoError(t, err)
		var got contract.EmailOutcome
		require.NoError(t, v.Get(&got))
		assert.Equal(t, want, got)
	}

	rows, err := acts.Store.Pool().Query(context.Background(), `
		SELECT key, channel, recipient, subject, html_body <> '', attachments FROM notifications ORDER BY key`)
	require.NoError(t, err)
	type ledgerRow struct {
		Key, Channel, Recipient, Subject string
		HasHTML                          bool
		Attachments                      []string
	}
	var ledger []ledgerRow
	for rows.Next() {
		var l ledgerRow
		require.NoError(t, rows.Scan(&l.Key, &l.Channel, &l.Recipient, &l.Subject, &l.HasHTML, &l.Attachments))
		ledger = append(ledger, l)
	}
	require.NoError(t, rows.Err())
	files := []string{"backorder-trend-2025-W10.png", "backorder-report-2025-W10.csv"}
	subject := "Backorder report 2025-W10: 0 open"
	assert.Equal(t, []ledgerRow{
		{"report/2025-W10/buyer@example.com", "email", "buyer@example.com", subject, true, files},
		{"report/2025-W10/ops@example.com", "email", "ops@example.com", subject, true, files},
	}, ledger)
}

func TestEmailReportParts(t *testing.T) {
	sent := &capture{}
	env, acts := reportEnv(t, sent, "ops@example.com")
	r := sampleReport(t, env, acts)
	_, err := env.ExecuteActivity(acts.EmailReport, contract.EmailReportInput{Report: r})
	require.NoError(t, err)

	require.Len(t, sent.sent, 1)
	n := sent.sent[0]
	assert.Contains(t, n.Body, "Aging of open backorders", "the text part is the table")
	assert.Contains(t, n.HTMLBody, `<img src="cid:trend-chart"`)
	require.Len(t, n.Attachments, 2)

	chart := n.Attachments[0]
	assert.True(t, chart.Inline)
	assert.Equal(t, "trend-chart", chart.ContentID)
	assert.Equal(t, "image/png", chart.ContentType)
	img, err := png.Decode(bytes.NewReader(chart.Content))
	require.NoError(t, err)
	assert.Equal(t, [2]int{report.ChartWidth, report.ChartHeight}, [2]int{img.Bounds().Dx(), img.Bounds().Dy()})

	data := n.Attachments[1]
	assert.False(t, data.Inline)
	assert.Equal(t, "text/csv", data.ContentType)
	records, err := csv.NewReader(bytes.NewReader(data.Content)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, report.CSVHeader, records[0])
}

func TestEmailReportWithoutRecipientsSendsNothing(t *testing.T) {
	sent := &capture{}
	env, acts := reportEnv(t, sent)
	v, err := env.ExecuteActivity(acts.EmailReport, contract.EmailReportInput{Report: sampleReport(t, env, acts)})
	require.NoError(t, err)
	var got contract.EmailOutcome
	require.NoError(t, v.Get(&got))
	assert.Zero(t, got)
	assert.Empty(t, sent.sent)
}

func TestComputeAndStoreReport(t *testing.T) {
	env, acts := reportEnv(t, nil)
	r := sampleReport(t, env, acts)
	assert.True(t, r.Complete)
	assert.Equal(t, "America/New_York", r.Timezone)
	_, err := env.ExecuteActivity(acts.StoreReport, contract.StoreReportInput{Report: r})
	require.NoError(t, err)
	var weeks []string
	rows, err := acts.Store.Pool().Query(context.Background(), `SELECT week FROM reports`)
	require.NoError(t, err)
	for rows.Next() {
		var w string
		require.NoError(t, rows.Scan(&w))
		weeks = append(weeks, w)
	}
	assert.Equal(t, []string{"2025-W10"}, weeks)
}

func TestComputeReportRejectsBadWeeks(t *testing.T) {
	env, acts := reportEnv(t, nil)
	next := report.WeekOf(time.Now(), time.UTC).Add(2).String()
	for _, week := range []string{"2025-W53", "last week", next} {
		_, err := env.ExecuteActivity(acts.ComputeWeeklyReport, contract.ComputeReportInput{Week: week})
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), "%s: %v", week, err)
		assert.Equal(t, contract.ErrTypeInvalidInput, appErr.Type(), week)
		assert.True(t, appErr.NonRetryable(), week)
	}
}

func TestPreviousReportWeekInBusinessTimezone(t *testing.T) {
	env, acts := reportEnv(t, nil)
	for at, want := range map[time.Time]string{
		time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC): "2026-W48", // Monday 08:00 in New York
		time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC):  "2026-W47", // still Sunday there
		time.Date(2027, 1, 4, 13, 0, 0, 0, time.UTC):   "2026-W53",
	} {
		v, err := env.ExecuteActivity(acts.PreviousReportWeek, contract.ReportWeekInput{At: at})
		require.NoError(t, err)
		var got string
		require.NoError(t, v.Get(&got))
		assert.Equal(t, want, got, "%s", at)
	}
}

// throughSendGrid sends the report env's emails through the real SendGrid
// client and the fake, as the worker does with SENDGRID_API_KEY set.
func throughSendGrid(t *testing.T, acts *Activities) *sendgridfake.Server {
	t.Helper()
	sg := sendgridfake.New(sendGridKey)
	t.Cleanup(sg.Close)
	acts.Notifier = notify.Delivery{Ledger: acts.Store, ResendUnknown: true, Log: slog.New(slog.DiscardHandler),
		Provider: notify.NewSendGrid(notify.SendGridOptions{APIKey: sendGridKey, From: "reports@shop.example", BaseURL: sg.URL})}
	return sg
}

// A provider's error reaches Temporal with its class: the type, the
// retryability and the provider's Retry-After as the next retry delay, at
// the top of the error (where the SDK reads them), not behind a wrapper.
func TestEmailReportKeepsTheProviderRetryClass(t *testing.T) {
	env, acts := reportEnv(t, nil, "ops@example.com")
	sg := throughSendGrid(t, acts)
	r := sampleReport(t, env, acts)
	sg.Push(fakes.RateLimited(42 * time.Second))

	_, err := env.ExecuteActivity(acts.EmailReport, contract.EmailReportInput{Report: r})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, contract.ErrTypeProviderUnavailable, appErr.Type(), "the outermost error's type: %v", err)
	assert.Equal(t, 42*time.Second, appErr.NextRetryDelay(), "SendGrid's Retry-After")
	assert.False(t, appErr.NonRetryable())
	assert.Contains(t, appErr.Message(), "emailing report 2025-W10 to recipient 1 of 1: SendGrid answered HTTP 429")
	assert.NotContains(t, appErr.Message(), "ops@example.com", "no address in logs or the history")

	// A notifier's non-retryable error stays non-retryable.
	acts.Notifier = refusing{temporal.NewNonRetryableApplicationError("no notifier for channel email", "UnknownChannel", nil)}
	_, err = env.ExecuteActivity(acts.EmailReport, contract.EmailReportInput{Report: r})
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, "UnknownChannel", appErr.Type(), "%v", err)
	assert.True(t, appErr.NonRetryable(), "%v", err)
}

// refusing is a notifier that fails every send with err.
type refusing struct{ err error }

func (r refusing) Send(context.Context, notify.Message) (notify.Outcome, error) {
	return notify.Outcome{}, r.err
}

// A recipient whose email failed for good is not counted as sent, on the
// first run or on a later one.
func TestEmailReportDoesNotCountFailuresAsSent(t *testing.T) {
	env, acts := reportEnv(t, nil, "ops@example.com", "buyer@example.com")
	sg := throughSendGrid(t, acts)
	r := sampleReport(t, env, acts)
	sg.Push(fakes.Status(400)) // ops@example.com: refused for good

	for _, want := range []contract.EmailOutcome{
		{Sent: 1, Failed: 1, FailedRecipients: []string{"ops@example.com"}},
		{Duplicates: 1, Failed: 1, FailedRecipients: []string{"ops@example.com"}},
	} {
		v, err := env.ExecuteActivity(acts.EmailReport, contract.EmailReportInput{Report: r})
		require.NoError(t, err)
		var got contract.EmailOutcome
		require.NoError(t, v.Get(&got))
		assert.Equal(t, want, got)
	}
	assert.Len(t, sg.Accepted(), 1)
}
