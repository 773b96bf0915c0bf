package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/pgtest"
	"github.com/acme/backorders/internal/store"
)

func TestNotificationsCommand(t *testing.T) {
	s, dbURL := pgtest.NewStore(t)
	t.Setenv("DATABASE_URL", dbURL)
	ctx := context.Background()
	for _, n := range []store.Notification{
		{Key: "INC-1/customer-eta/v1", OrderID: "SO-1", Channel: "email", Recipient: "jane@example.com", Body: "b"},
		{Key: "INC-1/warehouse-sms", OrderID: "SO-1", Channel: "sms", Recipient: "+14155550100", Body: "b"},
		{Key: "INC-2/customer-eta/v1", OrderID: "SO-2", Channel: "email", Recipient: "bob@example.com", Body: "b"},
	} {
		_, _, err := s.ClaimNotification(ctx, n, true)
		require.NoError(t, err)
	}
	require.NoError(t, s.SettleNotification(ctx, "INC-1/customer-eta/v1", store.StatusSent, "sg-1", ""))
	require.NoError(t, s.FailNotification(ctx, "INC-1/warehouse-sms", "recipient is on the sms suppression list"))

	run := func(args ...string) string {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, Main(args, &out, &errOut), errOut.String())
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

	assert.Equal(t, "no notifications match\n", run("notifications", "--order", "SO-404"))
}
