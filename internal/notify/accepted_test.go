package notify_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/fakes"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/fakes/twiliofake"
)

// lostSettles is the ledger with the database gone right after the
// provider answered: the next settles fail.
type lostSettles struct {
	*store.Store
	fail int
}

func (l *lostSettles) SettleNotification(ctx context.Context, key string, attempt int, status, id, lastError string) (notify.LedgerRecord, bool, error) {
	if l.fail > 0 {
		l.fail--
		return notify.LedgerRecord{}, false, errors.New("recording notification: FATAL: terminating connection due to administrator command (SQLSTATE 57P01)")
	}
	return l.Store.SettleNotification(ctx, key, attempt, status, id, lastError)
}

// A message the provider accepted but the ledger could not record is
// recorded by the activity's next attempt, from its heartbeat details,
// and not sent again (the db-outage fault drill sent such emails twice).
func TestAcceptedButUnrecordedIsNotSentAgain(t *testing.T) {
	f := newFixture(t)
	fake := sendgridfake.New(sendGridKey)
	t.Cleanup(fake.Close)
	ledger := &lostSettles{Store: f.s, fail: 2}
	d := notify.Delivery{
		Ledger: ledger, ResendUnknown: true, Log: f.log,
		Provider: notify.NewSendGrid(notify.SendGridOptions{APIKey: sendGridKey, From: "backorders@shop.example", BaseURL: fake.URL}),
	}
	attempt := attempts(t, f.log, func(ctx context.Context) (notify.Outcome, error) { return d.Send(ctx, f.email("k")) })
	_, details, err := attempt(nil)
	require.Error(t, err, "SendGrid took it, the ledger was not told")
	require.NotNil(t, details, "the acceptance is noted in the heartbeat")
	assert.Equal(t, "pending", f.row("k").Status)
	require.Len(t, fake.Accepted(), 1)

	_, details, err = attempt(details)
	require.Error(t, err, "the database is still away")
	require.NotNil(t, details, "the note is kept for the next attempt")

	out, _, err := attempt(details)
	require.NoError(t, err)
	messageID := fake.Accepted()[0].MessageID
	assert.Equal(t, notify.Outcome{Status: "sent", ProviderMessageID: messageID}, out)
	assert.Len(t, fake.Requests(), 1, "sent once")
	row := f.row("k")
	assert.Equal(t, "sent", row.Status)
	assert.Equal(t, messageID, row.ProviderMessageID)
	assert.Contains(t, f.logs.String(), "recorded now")
}

// attempts returns a runner of send as an activity attempt that starts
// with the heartbeat details the previous one left, and returns its own.
// The activity logs to logger.
func attempts(t *testing.T, logger *slog.Logger, send func(ctx context.Context) (notify.Outcome, error)) func(previous converter.EncodedValues) (notify.Outcome, converter.EncodedValues, error) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(logger))
	return func(previous converter.EncodedValues) (notify.Outcome, converter.EncodedValues, error) {
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivityWithOptions(send, activity.RegisterOptions{Name: "Send"})
		if previous != nil {
			var notes []map[string]any
			require.NoError(t, previous.Get(&notes))
			env.SetHeartbeatDetails(notes)
		}
		var details converter.EncodedValues
		env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) { details = d })
		v, err := env.ExecuteActivity("Send")
		var out notify.Outcome
		if err == nil {
			require.NoError(t, v.Get(&out))
		}
		return out, details, err
	}
}

// Twilio answers 500 (it took nothing), then recording that fails: the
// attempt says so in its heartbeat details, and the next attempt sends,
// although the row still says pending (which alone would mean "maybe
// sent", and an SMS is never sent twice). Before, that SMS was lost.
func TestNothingTakenButUnrecordedIsSentByTheNextAttempt(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	fake.Push(fakes.Status(500))
	d := f.twilio(fake.URL, "", 0)
	d.Ledger = &lostSettles{Store: f.s, fail: 1}
	attempt := attempts(t, f.log, func(ctx context.Context) (notify.Outcome, error) { return d.Send(ctx, f.sms("k", managerSMS)) })

	_, details, err := attempt(nil)
	require.Error(t, err)
	require.NotNil(t, details, "the attempt notes that Twilio took nothing")
	assert.Equal(t, "pending", f.row("k").Status)

	out, _, err := attempt(details)
	require.NoError(t, err)
	assert.Equal(t, "sent", out.Status)
	assert.Len(t, fake.Accepted(), 1)
	assert.Equal(t, 0, f.row("k").UncertainSends)

	// Without the note, a row left pending is an unknown outcome, and an
	// SMS with an unknown outcome is not sent again.
	fake.Push(fakes.Status(500))
	d.Ledger = &lostSettles{Store: f.s, fail: 1}
	other := attempts(t, f.log, func(ctx context.Context) (notify.Outcome, error) { return d.Send(ctx, f.sms("k2", managerSMS)) })
	_, _, err = other(nil)
	require.Error(t, err)
	out, _, err = other(nil)
	require.NoError(t, err)
	assert.Equal(t, "unknown", out.Status)
	assert.Len(t, fake.Accepted(), 1)
}

// lostBeforeCall is the ledger with the database gone before the provider
// call: the suppression check fails.
type lostBeforeCall struct {
	*store.Store
	fail bool
}

func (l *lostBeforeCall) Suppression(ctx context.Context, channel, recipient string) (string, bool, error) {
	if l.fail {
		return "", false, errors.New("checking the sms suppression list: connection refused")
	}
	return l.Store.Suppression(ctx, channel, recipient)
}

// A database lost before the call leaves no pending row behind: an SMS
// row found pending is never sent, so the retry would have dropped it.
func TestDatabaseLostBeforeTheCallStillSendsTheSMS(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	d := f.twilio(fake.URL, "", 0)
	ledger := &lostBeforeCall{Store: f.s, fail: true}
	d.Ledger = ledger
	n := f.sms("INC-1/warehouse-sms", "+14155550100")

	_, err := d.Send(f.ctx, n)
	require.Error(t, err)
	recs, err := f.s.ListNotifications(f.ctx, "SO-1")
	require.NoError(t, err)
	assert.Empty(t, recs, "nothing claimed, nothing sent")

	ledger.fail = false
	out, err := d.Send(f.ctx, n)
	require.NoError(t, err)
	assert.Equal(t, "sent", out.Status)
	assert.Len(t, fake.Accepted(), 1)
}

// An attempt heartbeats only once it has run for a second: a call the
// provider answers at once costs the server no heartbeat (one state
// transition per order), and a slow one is still kept alive well inside
// the 5 s heartbeat timeout.
func TestOnlyASlowAttemptHeartbeats(t *testing.T) {
	f := newFixture(t)
	fake := sendgridfake.New(sendGridKey)
	t.Cleanup(fake.Close)
	d := notify.Delivery{
		Ledger: f.s, Log: f.log,
		Provider: notify.NewSendGrid(notify.SendGridOptions{APIKey: sendGridKey, From: "backorders@shop.example", BaseURL: fake.URL}),
	}
	heartbeats := func(key string) int {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivityWithOptions(func(ctx context.Context) (notify.Outcome, error) {
			ctx, stop := notify.Attempt(ctx)
			defer stop()
			return d.Send(ctx, f.email(key))
		}, activity.RegisterOptions{Name: "Send"})
		n := 0
		env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { n++ })
		_, err := env.ExecuteActivity("Send")
		require.NoError(t, err)
		return n
	}
	assert.Zero(t, heartbeats("fast"), "a call answered at once")
	fake.Push(fakes.Slow(2500 * time.Millisecond))
	assert.Positive(t, heartbeats("slow"), "a call answered after 2.5 s heartbeats")
	assert.Len(t, fake.Accepted(), 2)
}
