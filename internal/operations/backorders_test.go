package operations_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/operations/operationstest"
	"github.com/acme/backorders/internal/store"
)

// openEpisode logs an open incident for the order as the workflow does,
// and returns its id.
func openEpisode(t *testing.T, s *store.Store, orderID, value, currency string, delay int) string {
	t.Helper()
	id, err := s.OpenIncident(context.Background(), store.Incident{
		EpisodeKey: "backorder-" + orderID + "/run-1", OrderID: orderID, DelayDays: delay,
		BackorderValue: decimal.RequireFromString(value), Currency: currency,
		ETA: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC), MitigationPlan: "wait for the supplier",
	})
	require.NoError(t, err)
	return id
}

func TestBackordersListsOpenEpisodes(t *testing.T) {
	s, _ := operationstest.OrdersDB(t, map[string]string{"SO-A": "Backordered", "SO-B": "Backordered", "SO-C": "Backordered", "SO-D": "Fulfilled"})
	ctx := context.Background()
	a := openEpisode(t, s, "SO-A", "39.98", "USD", 5)
	b := openEpisode(t, s, "SO-B", "1500.00", "EUR", 30)
	openEpisode(t, s, "SO-C", "999.999", "USD", 12)
	closed := openEpisode(t, s, "SO-D", "5000", "USD", 40)
	require.NoError(t, s.EscalateIncident(ctx, b, "ETA passed again"))
	require.NoError(t, s.CloseEpisode(ctx, store.EpisodeClosure{OrderID: "SO-D", IncidentID: closed, IncidentStatus: "resolved",
		OrderStatus: contract.OrderFulfilled, CurrentStatus: "Fulfilled: backorder closed"}))
	svc := &operations.Service{Store: s, Config: settings("UTC")}

	ids := func(f store.BackorderFilter) []string {
		t.Helper()
		list, err := svc.Backorders(ctx, f)
		require.NoError(t, err)
		var out []string
		for _, e := range list {
			out = append(out, e.OrderID)
		}
		return out
	}
	v := func(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }

	assert.Equal(t, []string{"SO-A", "SO-B", "SO-C"}, ids(store.BackorderFilter{}), "open ones only, oldest first")
	assert.Equal(t, []string{"SO-B"}, ids(store.BackorderFilter{Stage: contract.StageEscalated}))
	assert.Equal(t, []string{"SO-A", "SO-C"}, ids(store.BackorderFilter{Stage: contract.StageAwaitingFulfillment}))
	assert.Empty(t, ids(store.BackorderFilter{Stage: contract.StageRechecking}), "a stage an open episode never has in PostgreSQL")
	assert.Equal(t, []string{"SO-C"}, ids(store.BackorderFilter{OrderID: "SO-C"}))
	assert.Empty(t, ids(store.BackorderFilter{OrderID: "SO-D"}), "its episode is closed")
	assert.Equal(t, []string{"SO-B", "SO-C"}, ids(store.BackorderFilter{MinValue: v("999.999")}), "at least, exactly")
	assert.Equal(t, []string{"SO-B"}, ids(store.BackorderFilter{MinValue: v("1000")}))
	assert.Equal(t, []string{"SO-A", "SO-B"}, ids(store.BackorderFilter{Limit: 2}))
	assert.Equal(t, []string{"SO-B"}, ids(store.BackorderFilter{Stage: contract.StageEscalated, MinValue: v("10"), OrderID: "SO-B", Limit: 5}))

	list, err := svc.Backorders(ctx, store.BackorderFilter{OrderID: "SO-A"})
	require.NoError(t, err)
	require.Len(t, list, 1)
	got := list[0]
	assert.Equal(t, a, got.IncidentID)
	assert.Equal(t, contract.StageAwaitingFulfillment, got.Stage)
	assert.Equal(t, 5, got.DelayDays)
	assert.Equal(t, "39.98", got.Value.String())
	assert.Equal(t, "USD", got.Currency)
	assert.Equal(t, "2026-12-10", got.ETA.Format("2006-01-02"))
	assert.Equal(t, 1, got.ETAVersion)
	assert.WithinDuration(t, time.Now(), got.OpenedAt, time.Minute)

	for _, tc := range []struct {
		f     store.BackorderFilter
		field string
	}{
		{store.BackorderFilter{Stage: "stuck"}, "stage"},
		{store.BackorderFilter{Limit: -1}, "limit"},
		{store.BackorderFilter{MinValue: v("-1")}, "min_value"},
	} {
		_, err := notContacted(t).Backorders(ctx, tc.f)
		var invalid *operations.InvalidError
		require.ErrorAs(t, err, &invalid)
		assert.Equal(t, tc.field, invalid.Field)
	}
}
