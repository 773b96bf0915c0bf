package notify_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/testing/fakes"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
)

const sendGridKey = "SG.secret-test-key-0123456789"

func (f *fixture) sendGrid(baseURL string, timeout time.Duration) notify.Delivery {
	return notify.Delivery{
		Ledger: f.s, ResendUnknown: true, Log: f.log,
		Provider: notify.NewSendGrid(notify.SendGridOptions{APIKey: sendGridKey, From: "backorders@shop.example", BaseURL: baseURL, Timeout: timeout}),
	}
}

func TestSendGridRequestAsSent(t *testing.T) {
	f := newFixture(t)
	fake := sendgridfake.New(sendGridKey)
	t.Cleanup(fake.Close)
	n := f.email("INC-1/customer-eta/v1")
	n.Attachments = []notify.Attachment{
		{Filename: "chart.png", ContentType: "image/png", Content: []byte("PNG"), Inline: true, ContentID: "chart"},
		{Filename: "backorders.csv", ContentType: "text/csv", Content: []byte("order_id\nSO-1\n")},
	}

	out, err := f.sendGrid(fake.URL, 0).Send(f.ctx, n)
	require.NoError(t, err)

	reqs := fake.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/v3/mail/send", r.Path)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Contains(t, r.Header.Get("User-Agent"), "sendgrid/")
	assert.Empty(t, r.Header.Get("Authorization"), "the fake keeps no credentials")
	assert.Equal(t, sendgridfake.Address{Email: "backorders@shop.example"}, r.Mail.From)
	require.Len(t, r.Mail.Personalizations, 1)
	assert.Equal(t, []sendgridfake.Address{{Email: "jane@example.com"}}, r.Mail.Personalizations[0].To)
	assert.Equal(t, "Your order SO-1 is delayed", r.Mail.Subject)
	assert.Equal(t, []sendgridfake.Content{
		{Type: "text/plain", Value: "Dear Jane Doe, ..."},
		{Type: "text/html", Value: "<p>Dear Jane Doe, ...</p>"},
	}, r.Mail.Content, "plain text first, as SendGrid requires")
	assert.Equal(t, map[string]string{"ledger_key": "INC-1/customer-eta/v1"}, r.Mail.CustomArgs)
	assert.Equal(t, []sendgridfake.Attachment{
		{Content: base64.StdEncoding.EncodeToString([]byte("PNG")), Type: "image/png", Filename: "chart.png", Disposition: "inline", ContentID: "chart"},
		{Content: base64.StdEncoding.EncodeToString([]byte("order_id\nSO-1\n")), Type: "text/csv", Filename: "backorders.csv", Disposition: "attachment"},
	}, r.Mail.Attachments)

	assert.Equal(t, notify.Outcome{Status: "sent", ProviderMessageID: r.MessageID}, out)
	row := f.row(n.Key)
	assert.Equal(t, "sent", row.Status)
	assert.Equal(t, r.MessageID, row.ProviderMessageID, "SendGrid's X-Message-Id")
	assert.Equal(t, 1, row.Attempts)
	assert.Contains(t, f.logs.String(), "notification sent")
	assert.NotContains(t, f.logs.String(), "Dear Jane", "no message content in logs")
}

func TestSendGridSendsOncePerKey(t *testing.T) {
	f := newFixture(t)
	fake := sendgridfake.New(sendGridKey)
	t.Cleanup(fake.Close)
	d := f.sendGrid(fake.URL, 0)
	first, err := d.Send(f.ctx, f.email("k"))
	require.NoError(t, err)
	again, err := d.Send(f.ctx, f.email("k"))
	require.NoError(t, err)

	assert.Len(t, fake.Requests(), 1, "the second send finds the ledger row and sends nothing")
	assert.True(t, again.Duplicate)
	assert.Equal(t, first.ProviderMessageID, again.ProviderMessageID, "the stored result")
	assert.Equal(t, "sent", again.Status)
}

func TestSendGridRetryableFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply fakes.Reply
		// resetIn sets X-RateLimit-Reset to this long from the request.
		resetIn   time.Duration
		wantDelay time.Duration // the wait handed to Temporal
		wantError string
	}{
		{name: "rate limited with Retry-After", reply: fakes.RateLimited(7 * time.Second), wantDelay: 7 * time.Second, wantError: "SendGrid answered HTTP 429"},
		{
			name: "rate limited with X-RateLimit-Reset", reply: fakes.Status(429), resetIn: 42 * time.Second,
			wantDelay: 42 * time.Second, wantError: "SendGrid answered HTTP 429",
		},
		{name: "server error", reply: fakes.Status(500), wantError: "SendGrid answered HTTP 500: Internal Server Error"},
		{name: "bad gateway", reply: fakes.Reply{Status: 502, Body: "<html>upstream down</html>"}, wantError: "HTTP 502: <html>upstream down</html>"},
		// A key being rotated, or one to fix: nothing was taken, so it is
		// retried, slowly.
		{name: "unauthorized", reply: fakes.Status(401), wantDelay: 5 * time.Minute, wantError: "SendGrid answered HTTP 401"},
		{name: "forbidden", reply: fakes.Status(403), wantDelay: 5 * time.Minute, wantError: "HTTP 403: Forbidden (check the SendGrid credentials)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fake := sendgridfake.New(sendGridKey)
			t.Cleanup(fake.Close)
			if tc.resetIn != 0 {
				tc.reply.Header = http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(time.Now().Add(tc.resetIn).Unix(), 10)}}
			}
			fake.Push(tc.reply)
			d := f.sendGrid(fake.URL, 0)

			_, err := d.Send(f.ctx, f.email("k"))
			requireRetry(t, err, tc.wantDelay)
			assert.Contains(t, err.Error(), tc.wantError)
			row := f.row("k")
			assert.Equal(t, "retrying", row.Status)
			assert.Contains(t, row.LastError, tc.wantError)

			// Temporal's next attempt sends it.
			out, err := d.Send(f.ctx, f.email("k"))
			require.NoError(t, err)
			assert.Equal(t, "sent", out.Status)
			assert.Len(t, fake.Requests(), 2)
			assert.Len(t, fake.Accepted(), 1)
			assert.Equal(t, 2, f.row("k").Attempts)
		})
	}
}

func TestSendGridPermanentFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reply     fakes.Reply
		wantError string
	}{
		{name: "bad request", reply: fakes.Status(400), wantError: "SendGrid answered HTTP 400: Bad Request"},
		{name: "payload too large", reply: fakes.Status(413), wantError: "SendGrid answered HTTP 413"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fake := sendgridfake.New(sendGridKey)
			t.Cleanup(fake.Close)
			fake.Push(tc.reply)
			d := f.sendGrid(fake.URL, 0)

			out, err := d.Send(f.ctx, f.email("k"))
			require.NoError(t, err, "a permanent failure is an outcome, not an error to retry")
			assert.Equal(t, "failed", out.Status)
			assert.Contains(t, out.Error, tc.wantError)
			assert.Equal(t, "failed", f.row("k").Status)
			failures := f.deliveryFailures()
			require.Len(t, failures, 1, "the incident records it")
			assert.Equal(t, "k", failures[0]["key"])

			again, err := d.Send(f.ctx, f.email("k"))
			require.NoError(t, err)
			assert.Equal(t, "failed", again.Status)
			assert.Len(t, fake.Requests(), 1, "not sent again")
		})
	}
}

func TestSendGridUnauthorizedHidesTheKey(t *testing.T) {
	f := newFixture(t)
	fake := sendgridfake.New("SG.the-right-key")
	t.Cleanup(fake.Close)
	_, err := f.sendGrid(fake.URL, 0).Send(f.ctx, f.email("k"))
	requireRetry(t, err, 5*time.Minute)
	assert.Contains(t, err.Error(), "check the SendGrid credentials")
	assert.Contains(t, f.logs.String(), "level=ERROR", "a configuration problem is an error in the log")
	for _, where := range []string{err.Error(), f.row("k").LastError, f.logs.String()} {
		assert.NotContains(t, where, sendGridKey)
	}

	var out notify.Outcome
	// Even a relay that echoes the request does not leak it.
	echo := sendgridfake.New(sendGridKey)
	t.Cleanup(echo.Close)
	echo.Push(fakes.Reply{Status: 400, Body: `{"errors":[{"message":"bad header Authorization: Bearer ` + sendGridKey + `"}]}`})
	out, err = f.sendGrid(echo.URL, 0).Send(f.ctx, f.email("k2"))
	require.NoError(t, err)
	assert.Contains(t, out.Error, "Bearer [redacted]")
	assert.NotContains(t, out.Error, sendGridKey)

	// A long echo is shortened after the key is removed, so the cut never
	// keeps the key's beginning; and it cuts between characters, so the
	// ledger can store it.
	echo.Push(fakes.Reply{Status: 400, Body: `{"errors":[{"message":"` + strings.Repeat("x", 290) + sendGridKey + `"}]}`})
	out, err = f.sendGrid(echo.URL, 0).Send(f.ctx, f.email("k3"))
	require.NoError(t, err)
	assert.NotContains(t, out.Error, sendGridKey[:8])
	echo.Push(fakes.Reply{Status: 400, Body: `{"errors":[{"message":"` + strings.Repeat("x", 299) + `é"}]}`})
	out, err = f.sendGrid(echo.URL, 0).Send(f.ctx, f.email("k4"))
	require.NoError(t, err)
	assert.True(t, utf8.ValidString(out.Error), "%q", out.Error)
	assert.Equal(t, out.Error, f.row("k4").LastError)
}

func TestSendGridInvalidRecipientIsNotSent(t *testing.T) {
	f := newFixture(t)
	fake := sendgridfake.New(sendGridKey)
	t.Cleanup(fake.Close)
	n := f.email("k")
	n.Recipient = "jane at example"
	out, err := f.sendGrid(fake.URL, 0).Send(f.ctx, n)
	require.NoError(t, err)
	assert.Equal(t, "failed", out.Status)
	assert.Contains(t, out.Error, `"[redacted]" is not an email address`, "no address in what reaches logs and histories")
	assert.Empty(t, fake.Requests())
	assert.Len(t, f.deliveryFailures(), 1)
}

func TestSendGridUncertainOutcomeIsRetried(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply fakes.Reply
	}{
		{name: "slow answer", reply: fakes.Slow(2 * time.Second)},
		{name: "dropped connection", reply: fakes.Dropped()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fake := sendgridfake.New(sendGridKey)
			t.Cleanup(fake.Close)
			fake.Push(tc.reply)
			d := f.sendGrid(fake.URL, 300*time.Millisecond)

			_, err := d.Send(f.ctx, f.email("k"))
			requireRetry(t, err, 0)
			assert.Contains(t, err.Error(), "it may have accepted the message")
			assert.Equal(t, "unknown", f.row("k").Status)

			// Email may go twice rather than never.
			out, err := d.Send(f.ctx, f.email("k"))
			require.NoError(t, err)
			assert.Equal(t, "sent", out.Status)
			assert.Len(t, fake.Requests(), 2)
		})
	}
}

// A provider that takes the message and answers too late, every time:
// the email goes at most twice, then stays unknown for a person, however
// often Temporal retries (four attempts sent four emails before).
func TestSendGridSlowProviderSendsAtMostTwice(t *testing.T) {
	f := newFixture(t)
	fake := sendgridfake.New(sendGridKey)
	t.Cleanup(fake.Close)
	for range 6 {
		fake.Push(fakes.Slow(time.Second))
	}
	d := f.sendGrid(fake.URL, 200*time.Millisecond)

	var out notify.Outcome
	var err error
	for range 6 {
		if out, err = d.Send(f.ctx, f.email("k")); err == nil {
			break
		}
		requireRetry(t, err, 0)
	}
	require.NoError(t, err, "the workflow goes on")
	assert.Equal(t, "unknown", out.Status)
	assert.False(t, out.Delivered())
	assert.Len(t, fake.Requests(), 2)
	row := f.row("k")
	assert.Equal(t, "unknown", row.Status)
	assert.Equal(t, 2, row.UncertainSends)
	assert.Contains(t, f.logs.String(), "not sending again")
}

func TestSendGridUnreachable(t *testing.T) {
	f := newFixture(t)
	_, err := f.sendGrid("http://127.0.0.1:1", 0).Send(f.ctx, f.email("k"))
	requireRetry(t, err, 0)
	assert.Contains(t, err.Error(), "could not reach SendGrid")
	assert.Equal(t, "retrying", f.row("k").Status, "nothing went out: safe to send again")
}
