package report

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Week is an ISO 8601 week: it starts on Monday, and week 01 is the one
// holding the year's first Thursday, so a week-year has 52 or 53 weeks and
// may start in late December or end in early January.
type Week struct {
	Year   int
	Number int
}

var weekPattern = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)

// ParseWeek reads a week written YYYY-Www, such as 2026-W05.
func ParseWeek(s string) (Week, error) {
	m := weekPattern.FindStringSubmatch(s)
	if m == nil {
		return Week{}, fmt.Errorf("%q is not an ISO week: write it YYYY-Www, such as 2026-W05", s)
	}
	year, _ := strconv.Atoi(m[1])
	number, _ := strconv.Atoi(m[2])
	if n := WeeksIn(year); number < 1 || number > n {
		return Week{}, fmt.Errorf("%q is not an ISO week: %d has weeks W01 to W%02d", s, year, n)
	}
	return Week{Year: year, Number: number}, nil
}

// WeeksIn is how many ISO weeks a week-year has (52 or 53): 28 December
// always falls in the last one.
func WeeksIn(year int) int {
	_, n := time.Date(year, 12, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return n
}

// WeekOf is the week instant t falls in, in loc.
func WeekOf(t time.Time, loc *time.Location) Week {
	y, n := t.In(loc).ISOWeek()
	return Week{Year: y, Number: n}
}

func (w Week) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Number) }

// Monday is the civil date (midnight UTC, like backorder dates) the week
// starts on. 4 January is always in week 01.
func (w Week) Monday() time.Time {
	jan4 := time.Date(w.Year, 1, 4, 0, 0, 0, 0, time.UTC)
	sinceMonday := (int(jan4.Weekday()) + 6) % 7
	return jan4.AddDate(0, 0, 7*(w.Number-1)-sinceMonday)
}

// Add is the week n weeks later (earlier when n is negative).
func (w Week) Add(n int) Week {
	return WeekOf(w.Monday().AddDate(0, 0, 7*n), time.UTC)
}

// Bounds are the instants the week starts and ends in loc: Monday 00:00
// and the next Monday 00:00 there. A week with a daylight-saving change is
// an hour shorter or longer than 7 x 24 hours.
func (w Week) Bounds(loc *time.Location) (start, end time.Time) {
	y, m, d := w.Monday().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+7, 0, 0, 0, 0, loc)
}

// Trend is the TrendWeeks weeks that end with w, oldest first.
func (w Week) Trend() []Week {
	weeks := make([]Week, TrendWeeks)
	for i := range weeks {
		weeks[i] = w.Add(i - TrendWeeks + 1)
	}
	return weeks
}
