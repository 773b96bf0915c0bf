package report

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseWeekAcrossYearBoundaries(t *testing.T) {
	for _, tc := range []struct {
		week        string
		monday      string
		weeksInYear int
		previous    string
		next        string
		wednesdayIn string // a date inside the week, in another calendar year maybe
	}{
		{"2026-W53", "2026-12-28", 53, "2026-W52", "2027-W01", "2026-12-30"},
		{"2026-W01", "2025-12-29", 53, "2025-W52", "2026-W02", "2025-12-31"},
		{"2020-W53", "2020-12-28", 53, "2020-W52", "2021-W01", "2020-12-30"},
		{"2021-W01", "2021-01-04", 52, "2020-W53", "2021-W02", "2021-01-06"},
		{"2025-W10", "2025-03-03", 52, "2025-W09", "2025-W11", "2025-03-05"},
		{"2027-W01", "2027-01-04", 52, "2026-W53", "2027-W02", "2027-01-06"},
	} {
		w, err := ParseWeek(tc.week)
		require.NoError(t, err, tc.week)
		assert.Equal(t, tc.week, w.String())
		assert.Equal(t, tc.monday, w.Monday().Format("2006-01-02"), tc.week)
		assert.Equal(t, tc.weeksInYear, WeeksIn(w.Year), tc.week)
		assert.Equal(t, tc.previous, w.Add(-1).String(), tc.week)
		assert.Equal(t, tc.next, w.Add(1).String(), tc.week)
		wednesday, _ := time.Parse("2006-01-02", tc.wednesdayIn)
		assert.Equal(t, w, WeekOf(wednesday.Add(12*time.Hour), time.UTC), tc.week)
	}
}

func TestParseWeekRejects(t *testing.T) {
	for _, bad := range []string{"", "2026-W00", "2025-W53", "2026-W54", "2026W05", "2026-W5", "2026-w05", "26-W05", "2026-W05x"} {
		_, err := ParseWeek(bad)
		assert.Error(t, err, bad)
	}
	_, err := ParseWeek("2025-W53")
	assert.ErrorContains(t, err, "2025 has weeks W01 to W52")
}

func TestWeekBoundsInTimezone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// 2025-W10 holds the start of daylight saving time in New York (9 March).
	start, end := Week{2025, 10}.Bounds(ny)
	assert.Equal(t, time.Date(2025, 3, 3, 5, 0, 0, 0, time.UTC), start.UTC())
	assert.Equal(t, time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC), end.UTC())
	assert.Equal(t, 7*24*time.Hour-time.Hour, end.Sub(start))

	// Sunday 23:30 in New York is already Monday in UTC.
	sundayNight := time.Date(2025, 3, 10, 3, 30, 0, 0, time.UTC)
	assert.Equal(t, "2025-W10", WeekOf(sundayNight, ny).String())
	assert.Equal(t, "2025-W11", WeekOf(sundayNight, time.UTC).String())
}

func TestTrendWeeksEndWithTheWeek(t *testing.T) {
	var got []string
	for _, w := range (Week{2021, 3}).Trend() {
		got = append(got, w.String())
	}
	assert.Equal(t, []string{"2020-W49", "2020-W50", "2020-W51", "2020-W52", "2020-W53", "2021-W01", "2021-W02", "2021-W03"}, got)
}

func TestNewMeasuresAtWeekEndOrNow(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	w := Week{2025, 10}
	_, end := w.Bounds(ny)

	past, err := New(w, ny, end.Add(90*24*time.Hour))
	require.NoError(t, err)
	assert.True(t, past.Complete)
	assert.True(t, past.AsOf.Equal(end))
	assert.Equal(t, "2025-03-03", past.From)
	assert.Equal(t, "2025-03-09", past.To)
	assert.Equal(t, "America/New_York", past.Timezone)

	now := time.Date(2025, 3, 6, 17, 0, 0, 123, time.UTC)
	current, err := New(w, ny, now)
	require.NoError(t, err)
	assert.False(t, current.Complete)
	assert.True(t, current.AsOf.Equal(now.Truncate(time.Second)))
	assert.Contains(t, current.Measured(), "week in progress")

	_, err = New(w, ny, time.Date(2025, 3, 3, 4, 59, 0, 0, time.UTC))
	assert.ErrorIs(t, err, ErrWeekNotStarted)
}

func TestAgingBucketEdges(t *testing.T) {
	r, err := New(Week{2025, 10}, time.UTC, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	for _, d := range []int{1, 7, 8, 14, 15, 30, 31, 60, 61, 400} {
		r.AddAged(&d, 1, "USD", decimalOf(t, "1.00"))
	}
	zero := 0
	r.AddAged(&zero, 1, "USD", decimalOf(t, "1.00"))
	r.AddAged(nil, 2, "EUR", nullDecimal())
	var got []string
	counts := map[string]int{}
	for _, b := range r.Aging {
		got = append(got, b.Bucket)
		counts[b.Bucket] = b.Count
	}
	assert.Equal(t, []string{"1-7", "8-14", "15-30", "31-60", "61+", "unknown"}, got)
	assert.Equal(t, map[string]int{"1-7": 2, "8-14": 2, "15-30": 2, "31-60": 2, "61+": 2, "unknown": 3}, counts)
	assert.Equal(t, Money{"USD": "2.00"}, r.Aging[0].Value)
	assert.Equal(t, Money{"USD": "1.00"}, r.Aging[5].Value, "a backorder without lines adds no value")
}
