package backorder

import (
	"fmt"
	"time"
)

// QuietHours is a daily window, in the business timezone, in which the
// warehouse manager is not texted. The zero value is no window.
type QuietHours struct {
	// Start and End are minutes after midnight. An End before Start wraps
	// past midnight (21:00-07:00); they are never equal.
	Start, End int
}

// ParseQuietHours reads "HH:MM-HH:MM" (24-hour clock); empty means none.
func ParseQuietHours(s string) (QuietHours, error) {
	if s == "" {
		return QuietHours{}, nil
	}
	var sh, sm, eh, em int
	var rest string
	n, _ := fmt.Sscanf(s, "%2d:%2d-%2d:%2d%s", &sh, &sm, &eh, &em, &rest)
	if n != 4 || len(s) != len("21:00-07:00") || !clock(sh, sm) || !clock(eh, em) {
		return QuietHours{}, fmt.Errorf("%q is not a window of the form HH:MM-HH:MM, such as 21:00-07:00", s)
	}
	q := QuietHours{Start: sh*60 + sm, End: eh*60 + em}
	if q.Start == q.End {
		return QuietHours{}, fmt.Errorf("%q starts and ends at the same time", s)
	}
	return q, nil
}

func clock(h, m int) bool { return h >= 0 && h < 24 && m >= 0 && m < 60 }

// IsZero reports whether there are no quiet hours.
func (q QuietHours) IsZero() bool { return q == QuietHours{} }

func (q QuietHours) String() string {
	if q.IsZero() {
		return "none"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", q.Start/60, q.Start%60, q.End/60, q.End%60)
}

// AllowedAt is the first instant at or after t outside the quiet hours in
// loc: t itself when t is not quiet, else the end of the window.
func (q QuietHours) AllowedAt(t time.Time, loc *time.Location) time.Time {
	if q.IsZero() {
		return t
	}
	local := t.In(loc)
	now := local.Hour()*60 + local.Minute()
	wraps := q.End < q.Start
	var quiet bool
	if wraps {
		quiet = now >= q.Start || now < q.End
	} else {
		quiet = now >= q.Start && now < q.End
	}
	if !quiet {
		return t
	}
	day := local.Day()
	if wraps && now >= q.Start {
		day++ // the window closes tomorrow morning
	}
	return time.Date(local.Year(), local.Month(), day, q.End/60, q.End%60, 0, 0, loc)
}
