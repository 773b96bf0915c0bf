package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/pgtest"
)

func TestNotificationsCommand(t *testing.T) {
	s, dbURL := pgtest.NewStore(t)
	t.Setenv("DATABASE_URL", dbURL)
	ctx := context.Background()
	for _, n := range []notify.Message{
		{Key: "INC-1/customer-eta/v1", OrderID: "SO-1", Channel: "email", Recipient: "jane@example.com", Body: "b"},
		{Key: "INC-1/warehouse-sms", OrderID: "SO-1", Channel: "sms", Recipient: "+14155550100", Body: "b"},
		{Key: "INC-2/customer-eta/v1", OrderID: "SO-2", Channel: "email", Recipient: "bob@example.com", Body: "b"},
	} {
		_, _, err := s.ClaimNotification(ctx, n, notify.ClaimPolicy{MaxUncertainSends: 2})
		require.NoError(t, err)
	}
	_, _, err := s.SettleNotification(ctx, "INC-1/customer-eta/v1", 1, notify.StatusSent, "sg-1", "")
	require.NoError(t, err)
	_, err = s.FailNotification(ctx, "INC-1/warehouse-sms", 1, "recipient is on the sms suppression list")
	require.NoError(t, err)

	var stderr string
	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, Main(args, &out, &errOut), errOut.String())
		stderr = errOut.String()
		return out.String()
	}

	var all []map[string]any
	require.NoError(t, json.Unmarshal([]byte(run("notifications", "--json")), &all))
	require.Len(t, all, 3)
	assert.Equal(t, map[string]any{
		"key": "INC-1/customer-eta/v1", "order_id": "SO-1", "channel": "email", "recipient": "jane@example.com",
		"status": "sent", "provider_message_id": "sg-1", "attempts": float64(1), "last_error": "",
	}, all[0], "exactly the documented fields")

	var one []notificationJSON
	require.NoError(t, json.Unmarshal([]byte(run("notifications", "--order", "SO-1", "--json")), &one))
	require.Len(t, one, 2)
	assert.Equal(t, "failed", one[1].Status)
	assert.Equal(t, "recipient is on the sms suppression list", one[1].LastError)

	table := strings.Split(strings.TrimSpace(run("notifications", "--order", "SO-1")), "\n")
	require.Len(t, table, 3)
	assert.Equal(t, strings.Index(table[0], "STATUS"), strings.Index(table[1], "sent"), "aligned columns:\n%s", strings.Join(table, "\n"))
	assert.Equal(t, strings.Index(table[0], "STATUS"), strings.Index(table[2], "failed"))
	assert.Contains(t, table[2], "recipient is on the sms suppression list")
	assert.Contains(t, stderr, "email: recorded in the notifications ledger, not sent (set SENDGRID_API_KEY and SENDGRID_FROM to send)",
		"which route this configuration takes is said once")

	assert.Equal(t, "no notifications match\n", run("notifications", "--order", "SO-404"))
}

// Rows left unsettled are listed; a person resends one, through the real
// SendGrid client against a fake, and the ledger says who.
func TestNotificationsStuckAndResend(t *testing.T) {
	s, dbURL := pgtest.NewStore(t)
	t.Setenv("DATABASE_URL", dbURL)
	ctx := context.Background()
	for _, key := range []string{"INC-1/customer-eta/v1", "INC-2/customer-eta/v1", "INC-3/customer-eta/v1"} {
		_, _, err := s.ClaimNotification(ctx, notify.Message{Key: key, OrderID: "SO-1", Channel: "email", Recipient: "jane@example.com", Subject: "Delayed", Body: "b"},
			notify.ClaimPolicy{MaxUncertainSends: 2})
		require.NoError(t, err)
	}
	_, _, err := s.SettleNotification(ctx, "INC-1/customer-eta/v1", 1, notify.StatusUnknown, "", "no answer from SendGrid")
	require.NoError(t, err)
	_, _, err = s.SettleNotification(ctx, "INC-2/customer-eta/v1", 1, notify.StatusSent, "sg-2", "")
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, `UPDATE notifications SET updated_at = now() - interval '1 hour' WHERE key <> 'INC-2/customer-eta/v1'`)
	require.NoError(t, err)

	run := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := Main(args, &out, &errOut)
		return out.String(), errOut.String(), code
	}
	out, _, code := run("notifications", "--stuck", "--json")
	require.Equal(t, 0, code)
	var stuck []notificationJSON
	require.NoError(t, json.Unmarshal([]byte(out), &stuck))
	require.Len(t, stuck, 2)
	assert.Equal(t, "INC-1/customer-eta/v1", stuck[0].Key)
	assert.Equal(t, "INC-3/customer-eta/v1", stuck[1].Key)
	out, _, _ = run("notifications", "--stuck", "--older-than", "2h")
	assert.Equal(t, "no notifications match\n", out)

	_, stderr, code := run("notifications", "resend", "INC-1/customer-eta/v1", "--by", "pat")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "email is recorded only with this configuration")

	fake := sendgridfake.New("SG.cli-key")
	t.Cleanup(fake.Close)
	t.Setenv("SENDGRID_API_KEY", "SG.cli-key")
	t.Setenv("SENDGRID_FROM", "backorders@shop.example")
	t.Setenv("SENDGRID_BASE_URL", fake.URL)
	_, stderr, code = run("notifications", "resend", "INC-2/customer-eta/v1", "--by", "pat")
	assert.Equal(t, exitRefused, code, "a sent message is not resendable")
	assert.Contains(t, stderr, "is sent already; resending would deliver it twice")
	_, stderr, code = run("notifications", "resend", "INC-1/customer-eta/v1")
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "--by is required")
	assert.Empty(t, fake.Requests())

	out, stderr, code = run("notifications", "resend", "INC-1/customer-eta/v1", "--by", "pat")
	require.Equal(t, 0, code, stderr)
	require.Len(t, fake.Accepted(), 1)
	assert.Contains(t, out, "INC-1/customer-eta/v1 sent again (provider id "+fake.Accepted()[0].MessageID+"), as pat decided")
	rec, err := s.NotificationByKey(ctx, "INC-1/customer-eta/v1")
	require.NoError(t, err)
	assert.Equal(t, notify.StatusSent, rec.Status)
	assert.Equal(t, "pat", rec.ResentBy)
	assert.Equal(t, 2, rec.Attempts)

	// --json, and an unknown key is not found (exit 3).
	out, stderr, code = run("notifications", "resend", "INC-3/customer-eta/v1", "--by", "pat", "--json")
	require.Equal(t, 0, code, stderr)
	var resent map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &resent))
	assert.Equal(t, map[string]any{"key": "INC-3/customer-eta/v1", "channel": "email", "status": notify.StatusSent,
		"provider_message_id": fake.Accepted()[1].MessageID, "resent_by": "pat"}, resent)
	_, stderr, code = run("notifications", "resend", "INC-404/customer-eta/v1", "--by", "pat")
	assert.Equal(t, exitNotFound, code, stderr)
}
