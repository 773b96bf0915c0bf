package backorder

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseQuietHours(t *testing.T) {
	q, err := ParseQuietHours("21:00-07:00")
	require.NoError(t, err)
	assert.Equal(t, QuietHours{Start: 21 * 60, End: 7 * 60}, q)
	assert.Equal(t, "21:00-07:00", q.String())

	none, err := ParseQuietHours("")
	require.NoError(t, err)
	assert.True(t, none.IsZero())
	assert.Equal(t, "none", none.String())

	for _, bad := range []string{"21-07", "21:00", "25:00-07:00", "21:60-07:00", "21:00-21:00", "21:00-07:00x", "9:00-17:00", "21:00 - 07:00"} {
		_, err := ParseQuietHours(bad)
		assert.Error(t, err, bad)
	}
}

func TestQuietHoursAllowedAt(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	wrapping := QuietHours{Start: 21 * 60, End: 7 * 60}
	daytime := QuietHours{Start: 12 * 60, End: 14 * 60}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		require.NoError(t, err)
		return v
	}
	for _, tc := range []struct {
		name string
		q    QuietHours
		t    string
		want string
	}{
		{name: "no window", q: QuietHours{}, t: "2026-11-27 23:30", want: "2026-11-27 23:30"},
		{name: "before the window", q: wrapping, t: "2026-11-27 20:59", want: "2026-11-27 20:59"},
		{name: "at its start", q: wrapping, t: "2026-11-27 21:00", want: "2026-11-28 07:00"},
		{name: "late evening waits for tomorrow", q: wrapping, t: "2026-11-27 23:30", want: "2026-11-28 07:00"},
		{name: "early morning waits for today", q: wrapping, t: "2026-11-28 03:15", want: "2026-11-28 07:00"},
		{name: "at its end", q: wrapping, t: "2026-11-28 07:00", want: "2026-11-28 07:00"},
		{name: "month end", q: wrapping, t: "2026-11-30 22:00", want: "2026-12-01 07:00"},
		{name: "daytime window", q: daytime, t: "2026-11-27 13:00", want: "2026-11-27 14:00"},
		{name: "outside a daytime window", q: daytime, t: "2026-11-27 23:00", want: "2026-11-27 23:00"},
		// Clocks go forward at 02:00 on 2026-03-29: the night is an hour
		// shorter, the window still ends at 07:00 local.
		{name: "across a DST change", q: wrapping, t: "2026-03-28 22:00", want: "2026-03-29 07:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.q.AllowedAt(at(tc.t).UTC(), berlin)
			assert.True(t, at(tc.want).Equal(got), "got %s", got.In(berlin))
		})
	}
}
