package activities

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/testing/fakes"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/fakes/twiliofake"
)

const (
	sendGridKey = "SG.activities-test-key"
	twilioSID   = "AC00000000000000000000000000000001"
	twilioToken = "activitiestesttoken"
	// twilioPhone is a number Twilio would take (managerPhone is fictional).
	twilioPhone = "+14155550100"
)

// throughProviders sends the harness's messages through the fakes, as the
// worker does with credentials set; a nil fake keeps that channel recorded.
func (h *harness) throughProviders(sg *sendgridfake.Server, tw *twiliofake.Server) {
	h.t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	recorder := notify.Recorder{Ledger: h.s, Log: quiet}
	d := notify.Dispatcher{Email: recorder, SMS: recorder}
	if sg != nil {
		d.Email = notify.Delivery{Ledger: h.s, ResendUnknown: true, Log: quiet,
			Provider: notify.NewSendGrid(notify.SendGridOptions{APIKey: sendGridKey, From: "backorders@shop.example", BaseURL: sg.URL})}
	}
	if tw != nil {
		p, err := notify.NewTwilio(notify.TwilioOptions{AccountSID: twilioSID, AuthToken: twilioToken, From: "+14155552671", BaseURL: tw.URL})
		require.NoError(h.t, err)
		d.SMS = notify.Delivery{Ledger: h.s, Provider: p, Log: quiet}
	}
	h.acts.Notifier = d
}

func (h *harness) records(orderID string) []notify.LedgerRecord {
	h.t.Helper()
	recs, err := h.s.ListNotifications(h.ctx, orderID)
	require.NoError(h.t, err)
	return recs
}

func TestNotifyCustomerRetryAfter500SendsOnce(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.SupportEmail = "help@shop.example" })
	sg := sendgridfake.New(sendGridKey)
	t.Cleanup(sg.Close)
	h.throughProviders(sg, nil)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")
	in := contract.NotifyCustomerInput{IncidentID: incident, OrderID: "SO-1", ETA: "2026-12-07", ETAVersion: 1}
	sg.Push(fakes.Status(500))

	// Attempt 1: SendGrid fails; Temporal is asked to retry.
	err := h.run(h.acts.NotifyCustomer, in, nil)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%T: %v", err, err)
	assert.Equal(t, contract.ErrTypeProviderUnavailable, appErr.Type())
	assert.False(t, appErr.NonRetryable())

	// Attempt 2 sends it; a third run of the activity sends nothing.
	var sent, again notify.Outcome
	h.must(h.acts.NotifyCustomer, in, &sent)
	h.must(h.acts.NotifyCustomer, in, &again)
	assert.Equal(t, "sent", sent.Status)
	assert.Equal(t, notify.Outcome{Status: "sent", ProviderMessageID: sent.ProviderMessageID, Error: "SendGrid answered HTTP 500: Internal Server Error", Duplicate: true}, again)

	assert.Len(t, sg.Requests(), 2)
	accepted := sg.Accepted()
	require.Len(t, accepted, 1, "one email in total")
	recs := h.records("SO-1")
	require.Len(t, recs, 1)
	assert.Equal(t, "sent", recs[0].Status)
	assert.Equal(t, 2, recs[0].Attempts)
	assert.Equal(t, accepted[0].MessageID, recs[0].ProviderMessageID)

	m := accepted[0].Mail
	assert.Equal(t, "backorders@shop.example", m.From.Email)
	assert.Equal(t, customerMail, m.Personalizations[0].To[0].Email)
	assert.Equal(t, "Your order SO-1 is delayed: new estimated delivery 2026-12-07", m.Subject)
	assert.Equal(t, map[string]string{"ledger_key": incident + "/customer-eta/v1"}, m.CustomArgs)
	assert.Contains(t, m.Part("text/plain"), "SKU-A  Widget  x 2")
	assert.Contains(t, m.Part("text/plain"), "help@shop.example")
	assert.Contains(t, m.Part("text/html"), "<td>SKU-A</td><td>Widget</td>")
	assert.Contains(t, m.Part("text/html"), "help@shop.example")
}

func TestNotifyCustomerBadAddressDoesNotStall(t *testing.T) {
	h := newHarness(t)
	sg := sendgridfake.New(sendGridKey)
	t.Cleanup(sg.Close)
	h.throughProviders(sg, nil)
	_, err := h.s.Pool().Exec(h.ctx, `UPDATE customers SET email = 'jane.example.com' WHERE id = 'C-1'`)
	require.NoError(t, err)
	incident, _ := h.openIncident("SO-1", "ep-1", "2026-12-07")

	var out notify.Outcome
	h.must(h.acts.NotifyCustomer, contract.NotifyCustomerInput{IncidentID: incident, OrderID: "SO-1", ETA: "2026-12-07", ETAVersion: 1}, &out)

	assert.Equal(t, "failed", out.Status, "an outcome for the workflow, not an error to retry")
	assert.Contains(t, out.Error, `"[redacted]" is not an email address`, "no address in the workflow's history")
	assert.Empty(t, sg.Requests())
	assert.Equal(t, "failed", h.records("SO-1")[0].Status)
	assert.Equal(t, 1, h.count(`SELECT jsonb_array_length(delivery_failures) FROM incidents WHERE id = $1`, incident), "the incident says so")
}

func TestTextWarehouseOncePerIncident(t *testing.T) {
	h := newHarness(t)
	incident, _ := h.openIncident("SO-5", "ep-5", "2026-12-07")
	in := contract.AlertWarehouseInput{IncidentID: incident, OrderID: "SO-5", BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}

	var first, again notify.Outcome
	h.must(h.acts.TextWarehouse, in, &first)
	h.must(h.acts.TextWarehouse, in, &again)
	assert.Equal(t, notify.Outcome{Status: notify.StatusRecorded}, first)
	assert.True(t, again.Duplicate)

	assert.Equal(t, 1, h.count(`SELECT count(*) FROM notifications`))
	row, ok := h.ledger(incident + "/warehouse-sms")
	require.True(t, ok)
	assert.Equal(t, notify.SMS, row.Channel)
	assert.Equal(t, managerPhone, row.Recipient)
	assert.Equal(t, "Backorder SO-5: 1000.01 EUR at risk, new ETA 2026-12-07.", row.Body)
}

func TestTextWarehouseThroughTwilio(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.WarehouseManagerPhone = twilioPhone })
	tw := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(tw.Close)
	h.throughProviders(nil, tw)
	incident, _ := h.openIncident("SO-5", "ep-5", "2026-12-07")
	in := contract.AlertWarehouseInput{IncidentID: incident, OrderID: "SO-5", BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}

	var first, again notify.Outcome
	h.must(h.acts.TextWarehouse, in, &first)
	h.must(h.acts.TextWarehouse, in, &again)

	require.Len(t, tw.Requests(), 1, "an activity run twice texts once")
	r := tw.Requests()[0]
	assert.Equal(t, twiliofake.Message{
		To: twilioPhone, From: "+14155552671", Body: "Backorder SO-5: 1000.01 EUR at risk, new ETA 2026-12-07.", ValidityPeriod: "3600",
	}, r.Message)
	assert.Equal(t, notify.Outcome{Status: "sent", ProviderMessageID: r.SID}, first)
	assert.True(t, again.Duplicate)
}

func TestTextWarehouseSuppressedAfterUnsubscribe(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.WarehouseManagerPhone = twilioPhone })
	tw := twiliofake.New(twilioSID, twilioToken)
	t.Cleanup(tw.Close)
	h.throughProviders(nil, tw)
	tw.Push(twiliofake.Unsubscribed())

	for _, order := range []string{"SO-5", "SO-4"} {
		incident, _ := h.openIncident(order, "ep-"+order, "2026-12-07")
		var out notify.Outcome
		h.must(h.acts.TextWarehouse, contract.AlertWarehouseInput{IncidentID: incident, OrderID: order, BackorderValue: "1000.01", Currency: "EUR", ETA: "2026-12-07"}, &out)
		assert.Equal(t, "failed", out.Status, order)
	}
	assert.Len(t, tw.Requests(), 1, "the second alert is not even tried")
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM suppressions WHERE channel = 'sms' AND recipient = $1`, twilioPhone))
	assert.Contains(t, h.records("SO-4")[0].LastError, "suppression list")
}

func TestSMSAllowedAt(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	h := newHarness(t, func(s *Settings) {
		s.Location = berlin
		s.QuietHours = backorder.QuietHours{Start: 21 * 60, End: 7 * 60}
	})
	for _, tc := range []struct{ at, want string }{
		{at: "2026-11-27T12:00:00Z", want: "2026-11-27T12:00:00Z"}, // 13:00 in Berlin
		{at: "2026-11-27T21:30:00Z", want: "2026-11-28T06:00:00Z"}, // 22:30 waits for 07:00
	} {
		var got time.Time
		h.must(h.acts.SMSAllowedAt, contract.SMSAllowedAtInput{At: mustTime(t, tc.at)}, &got)
		assert.Equal(t, mustTime(t, tc.want), got, tc.at)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}
