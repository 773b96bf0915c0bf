package notify_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

type row struct {
	OrderID, Channel, Recipient, Subject, Body, HTML, Status string
	IncidentID                                               *string
	Attachments                                              []string
	Attempts                                                 int
	SentAt                                                   *time.Time
}

func ledgerRow(t *testing.T, s *store.Store, key string) row {
	t.Helper()
	var r row
	require.NoError(t, s.Pool().QueryRow(context.Background(), `SELECT order_id, incident_id, channel, recipient, subject, body,
		html_body, attachments, status, attempts, sent_at FROM notifications WHERE key = $1`, key).
		Scan(&r.OrderID, &r.IncidentID, &r.Channel, &r.Recipient, &r.Subject, &r.Body, &r.HTML, &r.Attachments,
			&r.Status, &r.Attempts, &r.SentAt))
	return r
}

func rows(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	require.NoError(t, s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM notifications`).Scan(&n))
	return n
}

func TestRecorderRecordsOncePerKey(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	var logs bytes.Buffer
	r := notify.Recorder{Ledger: s, Log: slog.New(slog.NewTextHandler(&logs, nil))}

	n := notify.Message{
		Key: "INC-1/weekly-report/2026-W48", OrderID: "SO-1", IncidentID: "INC-1", Channel: notify.Email,
		Recipient: "jane@example.com", Subject: "Weekly backorder report",
		Body: "Dear Jane, 3 orders are late.", HTMLBody: `<p>Dear Jane</p><img src="cid:chart">`,
		Attachments: []notify.Attachment{
			{Filename: "chart.png", ContentType: "image/png", Content: []byte{0x89, 'P', 'N', 'G'}, Inline: true, ContentID: "chart"},
			{Filename: "backorders.csv", ContentType: "text/csv", Content: []byte("order_id\nSO-1\n")},
		},
		Status: "ignored: the recorder sets its own",
	}
	out, err := r.Send(ctx, n)
	require.NoError(t, err)
	assert.Equal(t, notify.Outcome{Status: notify.StatusRecorded, Duplicate: false}, out)

	got := ledgerRow(t, s, n.Key)
	assert.Equal(t, "SO-1", got.OrderID)
	require.NotNil(t, got.IncidentID)
	assert.Equal(t, "INC-1", *got.IncidentID)
	assert.Equal(t, notify.Email, got.Channel)
	assert.Equal(t, "jane@example.com", got.Recipient)
	assert.Equal(t, "Weekly backorder report", got.Subject)
	assert.Equal(t, "Dear Jane, 3 orders are late.", got.Body)
	assert.Equal(t, `<p>Dear Jane</p><img src="cid:chart">`, got.HTML)
	assert.Equal(t, []string{"chart.png", "backorders.csv"}, got.Attachments, "the names are kept, in order")
	assert.Equal(t, notify.StatusRecorded, got.Status)
	assert.Equal(t, 1, got.Attempts)
	require.NotNil(t, got.SentAt)
	assert.WithinDuration(t, time.Now(), *got.SentAt, time.Minute)

	assert.Contains(t, logs.String(), "notification recorded")
	assert.Contains(t, logs.String(), n.Key)
	assert.NotContains(t, logs.String(), "Dear Jane", "the body holds customer details and stays out of the log")
	logged := logs.Len()

	// The same key again, even with other content, writes nothing.
	again := n
	again.Body, again.Subject, again.Attachments = "changed", "changed", nil
	out, err = r.Send(ctx, again)
	require.NoError(t, err)
	assert.Equal(t, notify.Outcome{Status: notify.StatusRecorded, Duplicate: true}, out)
	assert.Equal(t, 1, rows(t, s))
	assert.Equal(t, got, ledgerRow(t, s, n.Key), "the first record stands")
	assert.Equal(t, logged, logs.Len(), "a duplicate is not logged again")

	// Another key is another message.
	other := n
	other.Key = "INC-1/weekly-report/2026-W49"
	out, err = r.Send(ctx, other)
	require.NoError(t, err)
	assert.False(t, out.Duplicate)
	assert.Equal(t, 2, rows(t, s))
}

// A key a provider handled before (the worker had credentials then)
// answers with its row's status: a failed message is not delivered.
func TestRecorderReportsWhatTheLedgerSays(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	r := notify.Recorder{Ledger: s, Log: slog.New(slog.DiscardHandler)}
	n := notify.Message{Key: "k", Channel: notify.SMS, Recipient: "+14155550100", Body: "b"}
	_, _, err := s.ClaimNotification(ctx, n, notify.ClaimPolicy{MaxUncertainSends: 1})
	require.NoError(t, err)
	_, err = s.FailNotification(ctx, n.Key, 1, "Twilio answered HTTP 400")
	require.NoError(t, err)

	out, err := r.Send(ctx, n)
	require.NoError(t, err)
	assert.Equal(t, notify.Outcome{Status: "failed", Duplicate: true, Error: "Twilio answered HTTP 400"}, out)
	assert.False(t, out.Delivered())
}

func TestRecorderPlainSMS(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	r := notify.Recorder{Ledger: s, Log: slog.New(slog.DiscardHandler)}

	out, err := r.Send(ctx, notify.Message{Key: "SO-9/sms", OrderID: "SO-9", Channel: notify.SMS, Recipient: "+15555550100",
		Body: "Backorder SO-9: 1200.00 USD at risk, new ETA 2026-12-07."})
	require.NoError(t, err)
	assert.False(t, out.Duplicate)

	got := ledgerRow(t, s, "SO-9/sms")
	assert.Nil(t, got.IncidentID, "no incident is stored as NULL")
	assert.Equal(t, notify.SMS, got.Channel)
	assert.Empty(t, got.Subject)
	assert.Empty(t, got.HTML)
	assert.Empty(t, got.Attachments)
	assert.NotNil(t, got.Attachments, "no attachments is an empty list")
}

func TestRecorderReportsLedgerErrors(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	s.Close() // the database is gone
	var logs bytes.Buffer
	r := notify.Recorder{Ledger: s, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	out, err := r.Send(context.Background(), notify.Message{Key: "k", OrderID: "SO-1", Channel: notify.Email, Body: "b"})
	require.Error(t, err, "the activity fails and Temporal retries it")
	assert.Contains(t, err.Error(), "recording email notification k")
	assert.Equal(t, notify.Outcome{}, out)
	assert.Empty(t, logs.String(), "nothing was recorded")
}
