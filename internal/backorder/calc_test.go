package backorder

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := ParseDate(s)
	require.NoError(t, err)
	return d
}

func TestDelayDays(t *testing.T) {
	for _, tc := range []struct {
		asOf, promised string
		want           int
	}{
		{"2026-11-27", "2026-11-01", 26},
		{"2026-11-27", "2026-11-26", 1},
		{"2026-11-27", "2026-11-27", 0},
		{"2026-03-30", "2026-03-28", 2}, // across a DST change in many zones
		{"2024-03-01", "2024-02-28", 2}, // leap year
		{"2027-01-02", "2026-12-30", 3}, // across a year
	} {
		assert.Equal(t, tc.want, DelayDays(date(t, tc.asOf), date(t, tc.promised)), "%s - %s", tc.asOf, tc.promised)
	}
}

func TestETA(t *testing.T) {
	for _, tc := range []struct {
		name        string
		asOf, today string
		lead        int
		want        string
	}{
		{"as-of today", "2026-11-27", "2026-11-27", 14, "2026-12-11"},
		{"lead time 0 gives tomorrow", "2026-11-27", "2026-11-27", 0, "2026-11-28"},
		{"over the year end", "2026-12-25", "2026-12-25", 10, "2027-01-04"},
		{"leap year", "2028-02-20", "2028-02-20", 10, "2028-03-01"},
		{"past as-of counts from today", "2026-10-01", "2026-11-27", 14, "2026-12-11"},
		{"past as-of, lead time 0", "2026-10-01", "2026-11-27", 0, "2026-11-28"},
		{"past as-of, 1 day", "2026-10-01", "2026-11-27", 1, "2026-11-28"},
	} {
		assert.Equal(t, tc.want, ETA(date(t, tc.asOf), date(t, tc.today), tc.lead).Format(DateLayout), tc.name)
	}
}

func TestDateOfUsesBusinessTimezone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	instant := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC) // still the 26th in New York
	assert.Equal(t, "2026-11-27", DateOf(instant, time.UTC).Format(DateLayout))
	assert.Equal(t, "2026-11-26", DateOf(instant, ny).Format(DateLayout))
	assert.Equal(t, time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC), DayEnds(date(t, "2026-11-26"), ny).UTC())
}

func TestValueIsExact(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []Line
		want  string
	}{
		{"none", nil, "0.00"},
		{"one", []Line{{2, decimal.RequireFromString("19.99")}}, "39.98"},
		{"float trap", []Line{{3, decimal.RequireFromString("0.1")}, {1, decimal.RequireFromString("0.2")}}, "0.50"},
		{"zero backordered", []Line{{0, decimal.RequireFromString("999.99")}}, "0.00"},
		{"sub-cent kept", []Line{{1, decimal.RequireFromString("0.125")}}, "0.125"},
		{"extra scale, whole cents", []Line{{4, decimal.RequireFromString("0.125")}}, "0.50"},
		{"extra scale, whole units", []Line{{8, decimal.RequireFromString("0.125")}}, "1.00"},
		{"large", []Line{{1000000, decimal.RequireFromString("12345.67")}}, "12345670000.00"},
	} {
		assert.Equal(t, tc.want, FormatMoney(Value(tc.lines)), tc.name)
	}
}

func TestParseMoney(t *testing.T) {
	for _, bad := range []string{"", "abc", "1e", "-1.00", "1,00"} {
		_, err := ParseMoney(bad)
		assert.Error(t, err, bad)
	}
	d, err := ParseMoney("19.99")
	require.NoError(t, err)
	assert.Equal(t, "19.99", FormatMoney(d))
}

func TestLeadTime(t *testing.T) {
	p, s := 10, 21
	for _, tc := range []struct {
		name              string
		product, supplier *int
		days              int
		source            string
	}{
		{"product wins", &p, &s, 10, LeadTimeFromProduct},
		{"supplier default", nil, &s, 21, LeadTimeFromSupplier},
		{"configured default", nil, nil, 14, LeadTimeFromDefault},
	} {
		days, source := LeadTime(tc.product, tc.supplier, 14)
		assert.Equal(t, tc.days, days, tc.name)
		assert.Equal(t, tc.source, source, tc.name)
	}
}
