package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/fakes/sendgridfake"
	"github.com/acme/backorders/internal/fakes/twiliofake"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
)

// lostSettles is the ledger with the database gone right after the
// provider answered: the next settles fail.
type lostSettles struct {
	*store.Store
	fail int
}

func (l *lostSettles) SettleNotification(ctx context.Context, key, status, id, lastError string) error {
	if l.fail > 0 {
		l.fail--
		return errors.New("recording notification: FATAL: terminating connection due to administrator command (SQLSTATE 57P01)")
	}
	return l.Store.SettleNotification(ctx, key, status, id, lastError)
}

// A message the provider accepted but the ledger could not record is
// recorded by the activity's next attempt, from its heartbeat details,
// and not sent again (the db-outage fault drill sent such emails twice).
func TestAcceptedButUnrecordedIsNotSentAgain(t *testing.T) {
	f := newFixture(t)
	fake := sendgridfake.New(t, sendGridKey)
	ledger := &lostSettles{Store: f.s, fail: 2}
	d := notify.Delivery{
		Ledger: ledger, ResendUnknown: true, Log: f.log,
		Provider: notify.NewSendGrid(notify.SendGridOptions{APIKey: sendGridKey, From: "backorders@shop.example", BaseURL: fake.URL}),
	}
	var suite testsuite.WorkflowTestSuite
	// attempt runs the send as an activity attempt that starts with the
	// heartbeat details the previous one left, and returns its own.
	attempt := func(previous converter.EncodedValues) (notify.Outcome, converter.EncodedValues, error) {
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivityWithOptions(func(ctx context.Context) (notify.Outcome, error) {
			return d.Send(ctx, f.email("k"))
		}, activity.RegisterOptions{Name: "Send"})
		if previous != nil {
			var notes []map[string]string
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
	fake := twiliofake.New(t, twilioSID, twilioToken)
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
