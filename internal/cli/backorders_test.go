package cli_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
)

func TestBackordersTableAndJSON(t *testing.T) {
	s, dbURL := ordersDB(t, map[string]string{"SO-1001": "Backordered", "SO-1002": "Backordered"})
	ctx := context.Background()
	for _, o := range []struct{ id, value, currency string }{{"SO-1001", "39.98", "USD"}, {"SO-1002", "1500", "EUR"}} {
		_, err := s.OpenIncident(ctx, store.Incident{EpisodeKey: "backorder-" + o.id + "/run-1", OrderID: o.id, DelayDays: 7,
			BackorderValue: decimal.RequireFromString(o.value), Currency: o.currency,
			ETA: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC), MitigationPlan: "wait"})
		require.NoError(t, err)
	}
	usingEnv(t, "DATABASE_URL", dbURL) // no Temporal: the list comes from PostgreSQL alone

	out := succeed(t, "backorders")
	assert.Regexp(t, `^ORDER +STAGE +DELAY +VALUE +CURRENCY +ETA +INCIDENT +AGE\n`+
		`SO-1001 +awaiting_fulfillment +7d +39\.98 +USD +2026-12-10 \(rev 1\) +INC-\d+ +<1m\n`+
		`SO-1002 +awaiting_fulfillment +7d +1500\.00 +EUR +2026-12-10 \(rev 1\) +INC-\d+ +<1m\n$`, out)

	var got []map[string]any
	require.NoError(t, json.Unmarshal([]byte(succeed(t, "backorders", "--min-value", "100", "--json")), &got))
	require.Len(t, got, 1)
	assert.Equal(t, "SO-1002", got[0]["order_id"])
	assert.Equal(t, "1500.00", got[0]["backorder_value"])
	assert.Equal(t, "EUR", got[0]["currency"])
	assert.Equal(t, "awaiting_fulfillment", got[0]["stage"])
	assert.Equal(t, "2026-12-10", got[0]["eta"])
	for _, key := range []string{"incident_id", "delay_days", "eta_version", "opened_at", "age_seconds"} {
		assert.Contains(t, got[0], key)
	}

	assert.Equal(t, "[]\n", succeed(t, "backorders", "--stage", "escalated", "--json"), "an empty list is an empty array")
	assert.Equal(t, "no open backorders match\n", succeed(t, "backorders", "--order", "SO-404"))
}
