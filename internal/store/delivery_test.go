package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/pgtest"
	"github.com/acme/backorders/internal/store"
)

// deliveryStore has order SO-1001 with an open incident, whose id it
// returns.
func deliveryStore(t *testing.T) (*store.Store, context.Context, string) {
	t.Helper()
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.Import(ctx, dataset())
	require.NoError(t, err)
	incident, err := s.OpenIncident(ctx, store.Incident{
		EpisodeKey: "ep-1", OrderID: "SO-1001", DelayDays: 3, BackorderValue: decimal.RequireFromString("39.98"),
		Currency: "USD", ETA: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), MitigationPlan: "wait",
	})
	require.NoError(t, err)
	return s, ctx, incident
}

func message(key, incident, channel string) store.Notification {
	return store.Notification{Key: key, OrderID: "SO-1001", IncidentID: incident, Channel: channel,
		Recipient: "jane@example.com", Subject: "s", Body: "b", HTMLBody: "<p>b</p>"}
}

func TestClaimNotificationLifecycle(t *testing.T) {
	s, ctx, incident := deliveryStore(t)
	n := message("k1", incident, "email")

	rec, claimed, err := s.ClaimNotification(ctx, n, false)
	require.NoError(t, err)
	assert.True(t, claimed, "a new message is claimed")
	assert.Equal(t, store.StatusPending, rec.Status)
	assert.Equal(t, 1, rec.Attempts)

	require.NoError(t, s.SettleNotification(ctx, n.Key, store.StatusRetrying, "", "HTTP 500"))
	rec, claimed, err = s.ClaimNotification(ctx, n, false)
	require.NoError(t, err)
	assert.True(t, claimed, "nothing was accepted: the next attempt sends")
	assert.Equal(t, 2, rec.Attempts)

	require.NoError(t, s.SettleNotification(ctx, n.Key, store.StatusSent, "msg-1", ""))
	rec, claimed, err = s.ClaimNotification(ctx, n, true)
	require.NoError(t, err)
	assert.False(t, claimed, "sent is final")
	assert.Equal(t, store.NotificationRecord{
		Key: "k1", OrderID: "SO-1001", Channel: "email", Recipient: "jane@example.com", Status: store.StatusSent,
		ProviderMessageID: "msg-1", Attempts: 2, LastError: "HTTP 500", CreatedAt: rec.CreatedAt,
	}, rec)
	var sentAt *time.Time
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT sent_at FROM notifications WHERE key = 'k1'`).Scan(&sentAt))
	assert.NotNil(t, sentAt)
}

func TestClaimNotificationUncertainOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		left          string // the status an earlier attempt left
		resendUnknown bool
		wantClaimed   bool
		wantStatus    string
	}{
		{name: "sms after a timeout", left: store.StatusUnknown, wantStatus: store.StatusUnknown},
		{name: "sms after a crash mid-call", left: store.StatusPending, wantStatus: store.StatusUnknown},
		{name: "email after a timeout", left: store.StatusUnknown, resendUnknown: true, wantClaimed: true, wantStatus: store.StatusPending},
		{name: "email after a crash mid-call", left: store.StatusPending, resendUnknown: true, wantClaimed: true, wantStatus: store.StatusPending},
		{name: "failed is final", left: store.StatusFailed, resendUnknown: true, wantStatus: store.StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ctx, incident := deliveryStore(t)
			n := message("k", incident, "sms")
			_, _, err := s.ClaimNotification(ctx, n, tc.resendUnknown)
			require.NoError(t, err)
			if tc.left != store.StatusPending {
				require.NoError(t, s.SettleNotification(ctx, n.Key, tc.left, "", "timeout"))
			}

			rec, claimed, err := s.ClaimNotification(ctx, n, tc.resendUnknown)
			require.NoError(t, err)
			assert.Equal(t, tc.wantClaimed, claimed)
			assert.Equal(t, tc.wantStatus, rec.Status)
			if tc.left == store.StatusPending && !tc.resendUnknown {
				assert.Contains(t, rec.LastError, "may have accepted it")
			}
		})
	}
}

func TestFailNotificationTellsTheIncidentOnce(t *testing.T) {
	s, ctx, incident := deliveryStore(t)
	n := message("k1", incident, "email")
	_, _, err := s.ClaimNotification(ctx, n, true)
	require.NoError(t, err)

	require.NoError(t, s.FailNotification(ctx, n.Key, "not an email address"))
	require.NoError(t, s.FailNotification(ctx, n.Key, "not an email address"))

	recs, err := s.ListNotifications(ctx, "SO-1001")
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, store.StatusFailed, recs[0].Status)
	assert.Equal(t, "not an email address", recs[0].LastError)

	var raw []byte
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT delivery_failures FROM incidents WHERE id = $1`, incident).Scan(&raw))
	var failures []map[string]string
	require.NoError(t, json.Unmarshal(raw, &failures))
	require.Len(t, failures, 1, "once, however often it is recorded")
	assert.Equal(t, "k1", failures[0]["key"])
	assert.Equal(t, "email", failures[0]["channel"])
	assert.Equal(t, "jane@example.com", failures[0]["recipient"])
	assert.Equal(t, "not an email address", failures[0]["error"])
	assert.NotEmpty(t, failures[0]["at"])

	// A message without an incident (a report) fails on the ledger only.
	report := message("report/2026-W48", "", "email")
	_, _, err = s.ClaimNotification(ctx, report, true)
	require.NoError(t, err)
	require.NoError(t, s.FailNotification(ctx, report.Key, "HTTP 400"))
	recs, err = s.ListNotifications(ctx, "")
	require.NoError(t, err)
	assert.Len(t, recs, 2)
}

func TestSuppressions(t *testing.T) {
	s, ctx, _ := deliveryStore(t)
	_, suppressed, err := s.Suppression(ctx, "sms", "+14155552671")
	require.NoError(t, err)
	assert.False(t, suppressed)

	require.NoError(t, s.Suppress(ctx, "sms", "+14155552671", "unsubscribed (Twilio 21610)", "k1"))
	require.NoError(t, s.Suppress(ctx, "sms", "+14155552671", "again", "k2"), "suppressing twice is harmless")
	reason, suppressed, err := s.Suppression(ctx, "sms", "+14155552671")
	require.NoError(t, err)
	assert.True(t, suppressed)
	assert.Equal(t, "unsubscribed (Twilio 21610)", reason, "the first reason stands")

	_, suppressed, err = s.Suppression(ctx, "email", "+14155552671")
	require.NoError(t, err)
	assert.False(t, suppressed, "per channel")
}
