package notify_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/testing/fakes"
	"github.com/acme/backorders/internal/testing/fakes/twiliofake"
)

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "secrettoken0123456789"
	managerSMS  = "+14155550100"
)

func (f *fixture) twilio(baseURL, callback string, timeout time.Duration) notify.Delivery {
	f.t.Helper()
	p, err := notify.NewTwilio(notify.TwilioOptions{
		AccountSID: twilioSID, AuthToken: twilioToken, From: "+14155552671",
		BaseURL: baseURL, StatusCallbackURL: callback, Timeout: timeout,
	})
	require.NoError(f.t, err)
	return notify.Delivery{Ledger: f.s, Provider: p, Log: f.log}
}

func TestTwilioRequestAsSent(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	n := f.sms("INC-1/warehouse-sms", managerSMS)

	out, err := f.twilio(fake.URL, "https://hooks.shop.example/twilio?source=backorders", 0).Send(f.ctx, n)
	require.NoError(t, err)

	reqs := fake.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/2010-04-01/Accounts/"+twilioSID+"/Messages.json", r.Path)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Contains(t, r.Header.Get("User-Agent"), "twilio-go/")
	assert.Empty(t, r.Header.Get("Authorization"), "the fake keeps no credentials")
	assert.Equal(t, twiliofake.Message{
		To: managerSMS, From: "+14155552671", Body: "Backorder SO-1: 1500.00 USD at risk, new ETA 2026-12-07.",
		ValidityPeriod: "3600",
		StatusCallback: "https://hooks.shop.example/twilio?key=INC-1%2Fwarehouse-sms&source=backorders",
	}, r.Message)
	callback, err := url.Parse(r.Message.StatusCallback)
	require.NoError(t, err)
	assert.Equal(t, "INC-1/warehouse-sms", callback.Query().Get("key"), "the ledger key comes back with delivery reports")

	assert.Equal(t, notify.Outcome{Status: "sent", ProviderMessageID: r.SID}, out)
	row := f.row(n.Key)
	assert.Equal(t, "sent", row.Status)
	assert.Equal(t, r.SID, row.ProviderMessageID, "Twilio's message SID")
}

func TestTwilioWithoutStatusCallback(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	_, err := f.twilio(fake.URL, "", 0).Send(f.ctx, f.sms("k", managerSMS))
	require.NoError(t, err)
	require.Len(t, fake.Requests(), 1)
	assert.NotContains(t, fake.Requests()[0].Form, "StatusCallback")
}

func TestTwilioSendsOncePerKey(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	d := f.twilio(fake.URL, "", 0)
	first, err := d.Send(f.ctx, f.sms("k", managerSMS))
	require.NoError(t, err)
	again, err := d.Send(f.ctx, f.sms("k", managerSMS))
	require.NoError(t, err)
	assert.Len(t, fake.Requests(), 1)
	assert.Equal(t, notify.Outcome{Status: "sent", ProviderMessageID: first.ProviderMessageID, Duplicate: true}, again)
}

func TestTwilioRetryableFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reply     fakes.Reply
		wantDelay time.Duration
		wantError string
	}{
		{name: "rate limited", reply: fakes.RateLimited(30 * time.Second), wantDelay: 30 * time.Second, wantError: "Twilio answered HTTP 429: error 20429"},
		{name: "server error", reply: fakes.Status(500), wantError: "Twilio answered HTTP 500: error 20500: Internal Server Error"},
		{name: "a proxy's error page", reply: fakes.Reply{Status: 503, Body: "<html>maintenance</html>"}, wantError: "Twilio answered HTTP 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fake := twiliofake.New(twilioSID, twilioToken)
			t.Cleanup(fake.Close)
			fake.Push(tc.reply)
			d := f.twilio(fake.URL, "", 0)

			_, err := d.Send(f.ctx, f.sms("k", managerSMS))
			requireRetry(t, err, tc.wantDelay)
			assert.Contains(t, err.Error(), tc.wantError)
			assert.Equal(t, "retrying", f.row("k").Status)

			out, err := d.Send(f.ctx, f.sms("k", managerSMS))
			require.NoError(t, err)
			assert.Equal(t, "sent", out.Status)
			assert.Len(t, fake.Requests(), 2)
			assert.Len(t, fake.Accepted(), 1, "one message in total")
		})
	}
}

func TestTwilioPermanentFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reply     fakes.Reply
		wantError string
	}{
		{name: "invalid number", reply: twiliofake.Error(400, twiliofake.CodeInvalidNumber), wantError: "Twilio answered HTTP 400: error 21211: The 'To' number is not a valid phone number."},
		{name: "not found", reply: fakes.Status(404), wantError: "Twilio answered HTTP 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fake := twiliofake.New(twilioSID, twilioToken)
			t.Cleanup(fake.Close)
			fake.Push(tc.reply)
			out, err := f.twilio(fake.URL, "", 0).Send(f.ctx, f.sms("k", managerSMS))
			require.NoError(t, err)
			assert.Equal(t, "failed", out.Status)
			assert.Contains(t, out.Error, tc.wantError)
			assert.Len(t, f.deliveryFailures(), 1)
			_, suppressed, err := f.s.Suppression(f.ctx, "sms", managerSMS)
			require.NoError(t, err)
			assert.False(t, suppressed, "only an unsubscribe suppresses the number")
		})
	}
}

func TestTwilioUnsubscribedNumberIsSuppressed(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	fake.Push(twiliofake.Unsubscribed())
	d := f.twilio(fake.URL, "", 0)

	out, err := d.Send(f.ctx, f.sms("INC-1/warehouse-sms", managerSMS))
	require.NoError(t, err)
	assert.Equal(t, "failed", out.Status)
	assert.Contains(t, out.Error, "error 21610: Attempt to send to unsubscribed recipient")
	reason, suppressed, err := f.s.Suppression(f.ctx, "sms", managerSMS)
	require.NoError(t, err)
	assert.True(t, suppressed)
	assert.Contains(t, reason, "21610")

	// A later message to the number is not even tried.
	out, err = d.Send(f.ctx, f.sms("INC-2/warehouse-sms", managerSMS))
	require.NoError(t, err)
	assert.Equal(t, "failed", out.Status)
	assert.Contains(t, out.Error, "recipient is on the sms suppression list")
	assert.Len(t, fake.Requests(), 1, "no request for the suppressed number")
	assert.Equal(t, "failed", f.row("INC-2/warehouse-sms").Status)

	// Other numbers still get through.
	out, err = d.Send(f.ctx, f.sms("INC-3/warehouse-sms", "+14155550199"))
	require.NoError(t, err)
	assert.Equal(t, "sent", out.Status)
}

func TestTwilioUncertainOutcomeIsNotResent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply fakes.Reply
	}{
		{name: "slow answer", reply: fakes.Slow(2 * time.Second)},
		{name: "dropped connection", reply: fakes.Dropped()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fake := twiliofake.New(twilioSID, twilioToken)
			t.Cleanup(fake.Close)
			fake.Push(tc.reply)
			d := f.twilio(fake.URL, "", 300*time.Millisecond)

			out, err := d.Send(f.ctx, f.sms("k", managerSMS))
			require.NoError(t, err, "the workflow goes on; a second page could wake someone twice")
			assert.Equal(t, "unknown", out.Status)
			assert.Contains(t, out.Error, "it may have accepted the message")
			assert.Equal(t, "unknown", f.row("k").Status)

			again, err := d.Send(f.ctx, f.sms("k", managerSMS))
			require.NoError(t, err)
			assert.Equal(t, "unknown", again.Status)
			assert.True(t, again.Duplicate)
			assert.Len(t, fake.Requests(), 1, "never blindly resent")
		})
	}
}

func TestTwilioCallEndsWithTheActivity(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	fake.Push(fakes.Slow(5 * time.Second))
	ctx, cancel := context.WithTimeout(f.ctx, 200*time.Millisecond)
	defer cancel()

	start := time.Now()
	out, err := f.twilio(fake.URL, "", time.Minute).Send(ctx, f.sms("k", managerSMS))
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2*time.Second, "twilio-go takes no context; the transport applies the activity's")
	assert.Equal(t, "unknown", out.Status)
	assert.Equal(t, "unknown", f.row("k").Status, "settled although the activity's context was over")
}

func TestTwilioUnauthorizedHidesTheToken(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, "another-token")
	t.Cleanup(fake.Close)
	_, err := f.twilio(fake.URL, "", 0).Send(f.ctx, f.sms("k", managerSMS))
	requireRetry(t, err, 5*time.Minute)
	assert.Contains(t, err.Error(), "HTTP 401: error 20003: Authenticate (check the Twilio credentials)")
	assert.Equal(t, "retrying", f.row("k").Status, "nothing was taken: the next attempt sends")
	for _, where := range []string{err.Error(), f.row("k").LastError, f.logs.String()} {
		assert.NotContains(t, where, twilioToken)
	}
}

func TestTwilioUnreachableIsRetried(t *testing.T) {
	f := newFixture(t)
	_, err := f.twilio("http://127.0.0.1:1", "", 0).Send(f.ctx, f.sms("k", managerSMS))
	requireRetry(t, err, 0)
	assert.Contains(t, err.Error(), "could not reach Twilio")
	assert.NotContains(t, err.Error(), twilioSID, "the request URL names the account")
	assert.Equal(t, "retrying", f.row("k").Status)
}

func TestTwilioInvalidNumberIsNotSent(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	for _, phone := range []string{"+15555550100", "415-555-0100"} {
		out, err := f.twilio(fake.URL, "", 0).Send(f.ctx, f.sms("k"+phone, phone))
		require.NoError(t, err)
		assert.Equal(t, "failed", out.Status, phone)
	}
	assert.Empty(t, fake.Requests())
}

// Twilio names the number it refuses; the outcome (which reaches the
// workflow's history), the ledger's error and the log do not.
func TestTwilioRefusalHidesTheNumber(t *testing.T) {
	f := newFixture(t)
	fake := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(fake.Close)
	fake.Push(fakes.Reply{Status: http.StatusBadRequest,
		Body: `{"code": 21211, "message": "The 'To' number ` + managerSMS + ` is not a valid phone number.", "status": 400}`})
	out, err := f.twilio(fake.URL, "", 0).Send(f.ctx, f.sms("k", managerSMS))
	require.NoError(t, err)
	assert.Equal(t, "failed", out.Status)
	assert.Contains(t, out.Error, "The 'To' number [redacted] is not a valid phone number.")
	assert.Contains(t, f.logs.String(), "notification failed for good")
	for _, where := range []string{out.Error, f.row("k").LastError, f.logs.String()} {
		assert.NotContains(t, where, managerSMS)
	}
}
