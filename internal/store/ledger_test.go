package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
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

func message(key, incident, channel string) notify.Message {
	return notify.Message{Key: key, OrderID: "SO-1001", IncidentID: incident, Channel: channel,
		Recipient: "jane@example.com", Subject: "s", Body: "b", HTMLBody: "<p>b</p>"}
}

var (
	email = notify.ClaimPolicy{MaxUncertainSends: 2}
	sms   = notify.ClaimPolicy{MaxUncertainSends: 1}
)

func TestClaimNotificationLifecycle(t *testing.T) {
	s, ctx, incident := deliveryStore(t)
	n := message("k1", incident, "email")

	rec, claimed, err := s.ClaimNotification(ctx, n, sms)
	require.NoError(t, err)
	assert.True(t, claimed, "a new message is claimed")
	assert.Equal(t, notify.StatusPending, rec.Status)
	assert.Equal(t, 1, rec.Attempts)

	_, applied, err := s.SettleNotification(ctx, n.Key, 1, notify.StatusRetrying, "", "HTTP 500")
	require.NoError(t, err)
	assert.True(t, applied)
	rec, claimed, err = s.ClaimNotification(ctx, n, sms)
	require.NoError(t, err)
	assert.True(t, claimed, "nothing was accepted: the next attempt sends")
	assert.Equal(t, 2, rec.Attempts)

	_, applied, err = s.SettleNotification(ctx, n.Key, 2, notify.StatusSent, "msg-1", "")
	require.NoError(t, err)
	assert.True(t, applied)
	rec, claimed, err = s.ClaimNotification(ctx, n, email)
	require.NoError(t, err)
	assert.False(t, claimed, "sent is final")
	assert.Equal(t, notify.LedgerRecord{
		Key: "k1", OrderID: "SO-1001", Channel: "email", Recipient: "jane@example.com", Status: notify.StatusSent,
		ProviderMessageID: "msg-1", Attempts: 2, LastError: "HTTP 500", CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
	}, rec)
	var sentAt *time.Time
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT sent_at FROM notifications WHERE key = 'k1'`).Scan(&sentAt))
	assert.NotNil(t, sentAt)
}

// A settle applies only for the attempt that holds the claim: a late
// attempt cannot overwrite what a newer one recorded.
func TestSettleIsFencedByTheClaim(t *testing.T) {
	s, ctx, incident := deliveryStore(t)
	n := message("k", incident, "email")
	_, _, err := s.ClaimNotification(ctx, n, email)
	require.NoError(t, err)
	// Attempt 1 is cut off mid-call; attempt 2 takes over and sends.
	rec, claimed, err := s.ClaimNotification(ctx, n, email)
	require.NoError(t, err)
	require.True(t, claimed)
	require.Equal(t, 2, rec.Attempts)
	_, applied, err := s.SettleNotification(ctx, n.Key, 2, notify.StatusSent, "msg-2", "")
	require.NoError(t, err)
	require.True(t, applied)

	// Attempt 1 answers late.
	rec, applied, err = s.SettleNotification(ctx, n.Key, 1, notify.StatusUnknown, "", "timeout")
	require.NoError(t, err)
	assert.False(t, applied)
	assert.Equal(t, notify.StatusSent, rec.Status)
	assert.Equal(t, "msg-2", rec.ProviderMessageID)
	failed, err := s.FailNotification(ctx, n.Key, 1, "HTTP 400")
	require.NoError(t, err)
	assert.False(t, failed)
	recs, err := s.ListNotifications(ctx, "SO-1001")
	require.NoError(t, err)
	assert.Equal(t, notify.StatusSent, recs[0].Status)
	assert.Equal(t, 1, recs[0].UncertainSends, "attempt 1's call is counted as uncertain")
}

func TestClaimNotificationUncertainOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name        string
		left        string // the status an earlier attempt left
		policy      notify.ClaimPolicy
		wantClaimed bool
		wantStatus  string
	}{
		{name: "sms after a timeout", left: notify.StatusUnknown, policy: sms, wantStatus: notify.StatusUnknown},
		{name: "sms after a crash mid-call", left: notify.StatusPending, policy: sms, wantStatus: notify.StatusUnknown},
		{name: "sms whose attempt noted the provider took nothing", left: notify.StatusPending,
			policy: notify.ClaimPolicy{MaxUncertainSends: 1, NothingTakenBy: 1}, wantClaimed: true, wantStatus: notify.StatusPending},
		{name: "a note about another attempt does not count", left: notify.StatusPending,
			policy: notify.ClaimPolicy{MaxUncertainSends: 1, NothingTakenBy: 7}, wantStatus: notify.StatusUnknown},
		{name: "email after a timeout", left: notify.StatusUnknown, policy: email, wantClaimed: true, wantStatus: notify.StatusPending},
		{name: "email after a crash mid-call", left: notify.StatusPending, policy: email, wantClaimed: true, wantStatus: notify.StatusPending},
		{name: "failed is final", left: notify.StatusFailed, policy: email, wantStatus: notify.StatusFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ctx, incident := deliveryStore(t)
			n := message("k", incident, "sms")
			_, _, err := s.ClaimNotification(ctx, n, tc.policy)
			require.NoError(t, err)
			switch tc.left {
			case notify.StatusFailed:
				_, err = s.FailNotification(ctx, n.Key, 1, "HTTP 400")
			case notify.StatusUnknown:
				_, _, err = s.SettleNotification(ctx, n.Key, 1, tc.left, "", "timeout")
			}
			require.NoError(t, err)

			rec, claimed, err := s.ClaimNotification(ctx, n, tc.policy)
			require.NoError(t, err)
			assert.Equal(t, tc.wantClaimed, claimed)
			assert.Equal(t, tc.wantStatus, rec.Status)
			if tc.left == notify.StatusPending && !tc.wantClaimed {
				assert.Contains(t, rec.LastError, "may have accepted it")
			}
		})
	}
}

// An email whose outcome stays unknown is sent again once, then left
// unknown: at most two copies, whether calls time out or attempts die.
func TestEmailWithUnknownOutcomesIsSentAtMostTwice(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose func(t *testing.T, s *store.Store, ctx context.Context, key string, attempt int)
	}{
		{name: "timeouts", lose: func(t *testing.T, s *store.Store, ctx context.Context, key string, attempt int) {
			_, applied, err := s.SettleNotification(ctx, key, attempt, notify.StatusUnknown, "", "timeout")
			require.NoError(t, err)
			require.True(t, applied)
		}},
		{name: "attempts that die mid-call", lose: func(*testing.T, *store.Store, context.Context, string, int) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ctx, incident := deliveryStore(t)
			n := message("k", incident, "email")
			calls := 0
			for range 5 {
				rec, claimed, err := s.ClaimNotification(ctx, n, email)
				require.NoError(t, err)
				if !claimed {
					assert.Equal(t, notify.StatusUnknown, rec.Status)
					assert.Equal(t, 2, rec.UncertainSends)
					continue
				}
				calls++
				tc.lose(t, s, ctx, n.Key, rec.Attempts)
			}
			assert.Equal(t, 2, calls)
		})
	}
}

func TestFailNotificationTellsTheIncidentOnce(t *testing.T) {
	s, ctx, incident := deliveryStore(t)
	n := message("k1", incident, "email")
	_, _, err := s.ClaimNotification(ctx, n, email)
	require.NoError(t, err)

	applied, err := s.FailNotification(ctx, n.Key, 1, "not an email address")
	require.NoError(t, err)
	assert.True(t, applied)
	applied, err = s.FailNotification(ctx, n.Key, 1, "not an email address")
	require.NoError(t, err)
	assert.False(t, applied)

	recs, err := s.ListNotifications(ctx, "SO-1001")
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, notify.StatusFailed, recs[0].Status)
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
	_, _, err = s.ClaimNotification(ctx, report, email)
	require.NoError(t, err)
	_, err = s.FailNotification(ctx, report.Key, 1, "HTTP 400")
	require.NoError(t, err)
	recs, err = s.ListNotifications(ctx, "")
	require.NoError(t, err)
	assert.Len(t, recs, 2)
}

// A person may resend an unknown or failed message, not a sent one, nor
// one being sent; rows left unsettled are listed as stuck.
func TestResendAndStuckNotifications(t *testing.T) {
	s, ctx, incident := deliveryStore(t)
	unknown, sent, pending := message("unknown", incident, "sms"), message("sent", incident, "email"), message("pending", incident, "email")
	for _, n := range []notify.Message{unknown, sent, pending} {
		_, _, err := s.ClaimNotification(ctx, n, sms)
		require.NoError(t, err)
	}
	_, _, err := s.SettleNotification(ctx, "unknown", 1, notify.StatusUnknown, "", "timeout")
	require.NoError(t, err)
	_, _, err = s.SettleNotification(ctx, "sent", 1, notify.StatusSent, "m-1", "")
	require.NoError(t, err)

	stuck, err := s.StuckNotifications(ctx, 0)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"unknown", "pending"}, keysOf(stuck))
	stuck, err = s.StuckNotifications(ctx, time.Hour)
	require.NoError(t, err)
	assert.Empty(t, stuck, "nothing is an hour old")

	_, _, err = s.ClaimResend(ctx, "sent", "pat", time.Minute)
	assert.ErrorIs(t, err, store.ErrNotResendable)
	assert.ErrorContains(t, err, "sent already")
	_, _, err = s.ClaimResend(ctx, "pending", "pat", time.Minute)
	assert.ErrorIs(t, err, store.ErrNotResendable)
	assert.ErrorContains(t, err, "being sent right now")
	_, _, err = s.ClaimResend(ctx, "nope", "pat", time.Minute)
	assert.ErrorIs(t, err, store.ErrNotFound)

	n, rec, err := s.ClaimResend(ctx, "unknown", "pat", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, unknown.Body, n.Body)
	assert.Equal(t, unknown.Recipient, n.Recipient)
	assert.Equal(t, notify.StatusPending, rec.Status)
	assert.Equal(t, 2, rec.Attempts)
	assert.Equal(t, "pat", rec.ResentBy)
}

func keysOf(recs []notify.LedgerRecord) []string {
	var keys []string
	for _, r := range recs {
		keys = append(keys, r.Key)
	}
	return keys
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
