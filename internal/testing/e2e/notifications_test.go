package e2e

import (
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/testing/fakes"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/fakes/twiliofake"
)

// notificationJSON is `starter notifications --json`, spelled out.
type notificationJSON struct {
	Key               string `json:"key"`
	OrderID           string `json:"order_id"`
	Channel           string `json:"channel"`
	Recipient         string `json:"recipient"`
	Status            string `json:"status"`
	ProviderMessageID string `json:"provider_message_id"`
	Attempts          int    `json:"attempts"`
	LastError         string `json:"last_error"`
}

// The same sweep as TestBackorderProcessEndToEnd, with the worker sending
// through the real SendGrid and Twilio clients to fakes in this process.
func TestNotificationsThroughProviderFakes(t *testing.T) {
	const (
		apiKey  = "SG.e2e-test-key"
		sid     = "AC0000000000000000000000000000e2e0"
		token   = "e2etesttoken"
		manager = "+14155550100"
	)
	sg := sendgridfake.New(apiKey)
	t.Cleanup(sg.Close)
	tw := twiliofake.New(sid, token)
	t.Cleanup(tw.Close)
	// Each provider fails its first request; Temporal retries, and still
	// each message goes out once.
	sg.Push(fakes.Status(500))
	tw.Push(fakes.RateLimited(time.Second))

	s := newStack(t,
		"SENDGRID_API_KEY="+apiKey, "SENDGRID_FROM=backorders@shop.example", "SENDGRID_BASE_URL="+sg.URL,
		"TWILIO_ACCOUNT_SID="+sid, "TWILIO_AUTH_TOKEN="+token, "TWILIO_FROM=+14155552671", "TWILIO_BASE_URL="+tw.URL,
		"TWILIO_STATUS_CALLBACK_URL=https://hooks.shop.example/twilio",
		"WAREHOUSE_MANAGER_PHONE="+manager, "BACKORDER_SUPPORT_EMAIL=help@shop.example",
	)
	s.mustRun("import", "--file", "testdata/orders.json")
	var sweep sweepJSON
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	require.Equal(t, 3, sweep.WorkflowsStarted)

	for _, order := range []string{"SO-1001", "SO-1002", "SO-1005"} {
		s.awaitStage(order, "awaiting_fulfillment")
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			st := s.status(order)
			assert.True(c, st.CustomerNotified, order)
			assert.Equal(c, order == "SO-1002", st.WarehouseAlerted, order)
		}, 30*time.Second, 250*time.Millisecond)
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Len(c, sg.Accepted(), 3)
		assert.Len(c, tw.Accepted(), 1)
	}, 30*time.Second, 250*time.Millisecond)

	// One email per overdue order, to its customer, keyed by its ledger row.
	var ledger []notificationJSON
	s.runJSON(&ledger, "notifications", "--json")
	require.Len(t, ledger, 4)
	byKey := map[string]notificationJSON{}
	for _, n := range ledger {
		assert.Equal(t, "sent", n.Status, n.Key)
		byKey[n.Key] = n
	}
	var orders []string
	for _, r := range sg.Accepted() {
		n, ok := byKey[r.Mail.CustomArgs["ledger_key"]]
		require.True(t, ok, "custom_args carries a ledger key: %v", r.Mail.CustomArgs)
		assert.Equal(t, "email", n.Channel)
		assert.Equal(t, r.MessageID, n.ProviderMessageID)
		assert.Equal(t, n.Recipient, r.Mail.Personalizations[0].To[0].Email)
		assert.Equal(t, "backorders@shop.example", r.Mail.From.Email)
		assert.Contains(t, r.Mail.Subject, n.OrderID)
		assert.Contains(t, r.Mail.Part("text/plain"), n.OrderID)
		assert.Contains(t, r.Mail.Part("text/html"), "help@shop.example")
		orders = append(orders, n.OrderID)
	}
	sort.Strings(orders)
	assert.Equal(t, []string{"SO-1001", "SO-1002", "SO-1005"}, orders)
	assert.Len(t, sg.Requests(), 4, "three emails and one failed attempt")

	// One SMS, for the order over the threshold.
	sms := tw.Accepted()[0]
	assert.Equal(t, manager, sms.Message.To)
	assert.Equal(t, "+14155552671", sms.Message.From)
	assert.Equal(t, "Backorder SO-1002: 1500.00 USD at risk, new ETA "+etaAfter(14)+".", sms.Message.Body)
	assert.Equal(t, "3600", sms.Message.ValidityPeriod)
	callback, err := url.Parse(sms.Message.StatusCallback)
	require.NoError(t, err)
	n := byKey[callback.Query().Get("key")]
	assert.Equal(t, "SO-1002", n.OrderID)
	assert.Equal(t, "sms", n.Channel)
	assert.Equal(t, sms.SID, n.ProviderMessageID)
	assert.Equal(t, 2, n.Attempts, "rate limited once")
	assert.Len(t, tw.Requests(), 2)

	// The table says the same, and no secret shows anywhere.
	table := s.mustRun("notifications", "--order", "SO-1002")
	assert.Contains(t, table, sms.SID)
	assert.NotContains(t, table, token)

	// Sweeping again sends nothing.
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	assert.Equal(t, 3, sweep.AlreadyRunning)
	assert.Len(t, sg.Requests(), 4)
	assert.Len(t, tw.Requests(), 2)
	for _, r := range sg.Requests() {
		assert.False(t, strings.Contains(r.Header.Get("Authorization"), apiKey))
	}
}
