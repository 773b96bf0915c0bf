// Package backorder holds the pure business rules of the backorder process:
// delay, value, lead time choice and ETA. No I/O, so workflows may call it.
//
// Calendar dates are carried as time.Time at midnight UTC (a "civil date"):
// the business timezone only matters when turning an instant ("now") into a
// date, or a date back into the instant its day ends.
package backorder

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// DateLayout is how dates cross every boundary: JSON, CLI flags, Postgres.
const DateLayout = "2006-01-02"

// ParseDate reads a YYYY-MM-DD calendar date.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return d, nil
}

// DateOf is the calendar date of instant t in the business timezone.
func DateOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DayEnds is the instant a calendar date is over in the business timezone:
// midnight at the start of the next day there.
func DayEnds(date time.Time, loc *time.Location) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// DelayDays is how many whole days the promise has been missed by on asOf.
func DelayDays(asOf, promised time.Time) int {
	return daysBetween(promised, asOf)
}

// ETA is the new estimated arrival date: the later of asOf and today,
// plus the longest lead time, and never earlier than tomorrow (a past
// as-of date must not promise a date already gone; a lead time of 0
// still arrives tomorrow at the earliest).
func ETA(asOf, today time.Time, leadTimeDays int) time.Time {
	eta := later(asOf, today).AddDate(0, 0, leadTimeDays)
	return later(eta, today.AddDate(0, 0, 1))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func daysBetween(from, to time.Time) int {
	// Both are civil dates at UTC midnight, so the difference is exact days.
	return int(to.Sub(from).Hours() / 24)
}

// Line is what the value calculation needs of an order line.
type Line struct {
	BackorderedQuantity int64
	UnitPrice           decimal.Decimal
}

// Value is the money at stake: sum of backordered quantity x unit price.
func Value(lines []Line) decimal.Decimal {
	total := decimal.Zero
	for _, l := range lines {
		total = total.Add(l.UnitPrice.Mul(decimal.NewFromInt(l.BackorderedQuantity)))
	}
	return total
}

// FormatMoney prints an amount with at least two decimals and never drops
// precision: 15234.5 -> "15234.50", 0.125 -> "0.125". Trailing zeros past
// the cents go, whatever the scale the amount carries (PostgreSQL's
// 4 x 0.125 is 0.500): "0.50".
func FormatMoney(d decimal.Decimal) string {
	if d.Exponent() >= -2 || d.Equal(d.Truncate(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

// ParseMoney reads a non-negative decimal amount such as "19.99".
func ParseMoney(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not a decimal amount such as \"19.99\"", s)
	}
	if d.IsNegative() {
		return decimal.Zero, fmt.Errorf("%q is negative: amounts must be 0 or more", s)
	}
	return d, nil
}

// Where a line's lead time came from, recorded on the incident.
const (
	LeadTimeFromProduct  = "product"
	LeadTimeFromSupplier = "supplier"
	LeadTimeFromDefault  = "default"
)

// LeadTime picks the product's lead time, else the supplier's, else the
// configured default, and says which it used.
func LeadTime(productDays, supplierDays *int, defaultDays int) (days int, source string) {
	switch {
	case productDays != nil:
		return *productDays, LeadTimeFromProduct
	case supplierDays != nil:
		return *supplierDays, LeadTimeFromSupplier
	default:
		return defaultDays, LeadTimeFromDefault
	}
}

// LineLeadTime is the lead time chosen for one backordered line, as the
// incident records it.
type LineLeadTime struct {
	SKU        string `json:"sku"`
	SupplierID string `json:"supplier_id"`
	Days       int    `json:"days"`
	Source     string `json:"source"`
}

// LongestLeadTime is the lead time the ETA must allow for: the largest of
// the lines'. An order with no backordered lines gets the default.
func LongestLeadTime(lines []LineLeadTime, defaultDays int) (days int, usedDefault bool) {
	if len(lines) == 0 {
		return defaultDays, true
	}
	for _, l := range lines {
		days = max(days, l.Days)
		usedDefault = usedDefault || l.Source == LeadTimeFromDefault
	}
	return days, usedDefault
}

// MitigationPlan is the incident's plan text: who does what, and what is
// uncertain.
func MitigationPlan(lines []LineLeadTime, eta time.Time) string {
	var plan strings.Builder
	plan.WriteString("1. Procurement manager: confirm supplier dispatch dates")
	for i, l := range lines {
		sep := ", "
		if i == 0 {
			sep = " for "
		}
		fmt.Fprintf(&plan, "%s%s (supplier %s, %d days, %s lead time)", sep, l.SKU, l.SupplierID, l.Days, l.Source)
	}
	plan.WriteString("; expedite or source alternatives where the supplier cannot meet ")
	plan.WriteString(eta.Format(DateLayout))
	plan.WriteString(".\n")
	var unknown []string
	for _, l := range lines {
		if l.Source == LeadTimeFromDefault {
			unknown = append(unknown, l.SKU)
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(&plan, "2. No supplier lead time on file for %s: the default was assumed; get a real date from the supplier.\n", strings.Join(unknown, ", "))
	} else {
		plan.WriteString("2. Lead times come from supplier records; confirm they still hold.\n")
	}
	plan.WriteString("3. Inventory clerk: adjust expected stock arrival quantities.\n")
	plan.WriteString("4. Customer informed of the new estimated delivery date; re-check when it passes.")
	return plan.String()
}
