package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/report"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// historyUntil is where the seeded histories end: a Thursday afternoon.
var historyUntil = time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)

// seededHistory seeds orders, then a year of history behind them.
func seededHistory(t *testing.T, orders, incidents int) (*store.Store, store.HistorySummary) {
	t.Helper()
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.Seed(ctx, store.SeedOptions{Orders: orders, Overdue: orders / 10, AsOf: seedAsOf, Seed: 1})
	require.NoError(t, err)
	sum, err := s.SeedHistory(ctx, store.HistoryOptions{Incidents: incidents, Weeks: 52, Until: historyUntil, Seed: 7})
	require.NoError(t, err)
	return s, sum
}

// A year of history is what the weekly report then reads: every incident
// still open at the end is open in the report, the weeks of the trend
// each have new and resolved incidents, and each incident told its
// customer once.
func TestSeedHistoryIsAYearTheReportReads(t *testing.T) {
	s, sum := seededHistory(t, 300, 3000)
	ctx := context.Background()
	assert.Equal(t, 3000, sum.Incidents)
	assert.Positive(t, sum.Open, "some of the last weeks' incidents are still open")
	assert.Less(t, sum.Open, sum.Incidents/10, "most of a year's incidents are closed")
	assert.GreaterOrEqual(t, sum.Lines, sum.Incidents)
	assert.GreaterOrEqual(t, sum.Notifications, sum.Incidents)
	assert.Equal(t, sum.Incidents, sum.Tasks)

	var first, last time.Time
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT min(opened_at), max(opened_at) FROM incidents`).Scan(&first, &last))
	assert.False(t, first.Before(historyUntil.AddDate(0, 0, -52*7)), "opened within the 52 weeks: %s", first)
	assert.True(t, last.Before(historyUntil), "opened before the end: %s", last)
	assert.True(t, last.After(historyUntil.AddDate(0, 0, -7)), "opened up to the last week: %s", last)

	r, err := s.WeeklyReport(ctx, report.WeekOf(historyUntil, time.UTC), time.UTC, historyUntil)
	require.NoError(t, err)
	assert.Equal(t, sum.Open, r.OpenCount)
	for _, week := range r.Trend {
		assert.Positive(t, week.New, "week %s", week.Week)
		assert.Positive(t, week.Resolved, "week %s", week.Week)
	}
	assert.NotEmpty(t, r.TopSuppliers)

	notices, lastNotice, err := s.CustomerNotices(ctx)
	require.NoError(t, err)
	assert.Equal(t, sum.Incidents, notices, "one customer email per incident")
	assert.True(t, last.Add(time.Minute).Equal(lastNotice), "the last notice went a minute after the last opening: %s", lastNotice)
}

// The same options on the same orders give the same history.
func TestSeedHistoryIsDeterministic(t *testing.T) {
	fingerprint := func(s *store.Store) string {
		var f string
		require.NoError(t, s.Pool().QueryRow(context.Background(), `
			SELECT md5(string_agg(concat_ws('|', i.id, i.order_id, i.status, i.opened_at, i.resolved_at, i.escalated_at,
			                                i.backorder_value, i.currency), ',' ORDER BY i.id))
			FROM incidents i`).Scan(&f))
		return f
	}
	a, _ := seededHistory(t, 50, 500)
	b, _ := seededHistory(t, 50, 500)
	assert.Equal(t, fingerprint(a), fingerprint(b))
}

// With fewer orders than open incidents, each order holds one open
// episode at most, and the rest are closed before the end.
func TestSeedHistoryKeepsOneOpenEpisodePerOrder(t *testing.T) {
	s, sum := seededHistory(t, 5, 2000)
	assert.Equal(t, 2000, sum.Incidents)
	assert.Equal(t, 5, sum.Open)
	var open int
	require.NoError(t, s.Pool().QueryRow(context.Background(), `SELECT count(DISTINCT order_id) FROM incidents WHERE status = 'open'`).Scan(&open))
	assert.Equal(t, 5, open)
}

func TestSeedHistoryRefusesBadOptions(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	_, err := s.SeedHistory(ctx, store.HistoryOptions{Incidents: 10, Weeks: 0, Until: historyUntil})
	assert.ErrorContains(t, err, "at least one week")
	_, err = s.SeedHistory(ctx, store.HistoryOptions{Incidents: 10, Weeks: 52, Until: historyUntil})
	assert.ErrorContains(t, err, "no orders")
}
