// Package report is the weekly backorder report: its structure (what the
// JSON carries, what the reports table stores), ISO weeks, and the ways it
// is shown: a terminal table, JSON, HTML, CSV and a PNG trend chart. It does
// no I/O of its own; the store computes the figures.
package report

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/backorder"
)

const (
	// TrendWeeks is how many weeks the trend covers, ending with the
	// report's week.
	TrendWeeks = 8
	// TopN is how many suppliers and SKUs are listed per currency.
	TopN = 5
)

// Report is one week's backorder report. Its figures are measured at AsOf:
// the end of the week, or, for the week in progress, when it was computed.
//
// An incident is an open backorder at instant T when it was opened before
// T and not resolved or cancelled before T. Revenue at risk is the sum of
// backordered quantity x unit price over the lines of the open incidents,
// as captured when each incident opened, per currency (amounts in
// different currencies are never added up).
type Report struct {
	Week     string `json:"week"`
	Timezone string `json:"timezone"`
	// From and To are the week's Monday and Sunday (YYYY-MM-DD).
	From     string    `json:"from"`
	To       string    `json:"to"`
	AsOf     time.Time `json:"as_of"`
	Complete bool      `json:"complete"`

	OpenCount     int   `json:"open_count"`
	RevenueAtRisk Money `json:"revenue_at_risk"`
	// Aging buckets open backorders by days past their promised date at
	// AsOf: AsOf's calendar date minus the promised date.
	Aging        []AgingBucket `json:"aging"`
	Trend        []TrendWeek   `json:"trend"`
	TopSuppliers []TopSupplier `json:"top_suppliers"`
	TopSKUs      []TopSKU      `json:"top_skus"`
	// CustomersNotified counts distinct customer addresses sent a backorder
	// notice during the week; SMSAlertsSent the warehouse texts.
	CustomersNotified int `json:"customers_notified"`
	SMSAlertsSent     int `json:"sms_alerts_sent"`
	// Escalations counts the backorders escalated during the week: their
	// ETA missed after the customer had heard BACKORDER_MAX_CUSTOMER_NOTICES
	// dates.
	Escalations int         `json:"escalations"`
	OpenTasks   []RoleTasks `json:"open_tasks"`
}

// Money is an amount per currency code, each an exact decimal as
// backorder.FormatMoney prints it.
type Money map[string]string

// AgingBucket counts open backorders whose days past the promised date
// fall in its range, with their value.
type AgingBucket struct {
	Bucket string `json:"bucket"`
	Count  int    `json:"count"`
	Value  Money  `json:"value"`
}

// TrendWeek is one week of the trend.
type TrendWeek struct {
	Week string `json:"week"`
	// New backorder incidents opened in the week; Resolved ones closed by
	// fulfilment, Cancelled ones closed by cancellation.
	New       int `json:"new"`
	Resolved  int `json:"resolved"`
	Cancelled int `json:"cancelled"`
	// Escalated counts the incidents escalated in the week.
	Escalated     int   `json:"escalated"`
	OpenAtWeekEnd int   `json:"open_at_week_end"`
	RevenueAtRisk Money `json:"revenue_at_risk"`
	// MedianDaysToResolution is over the incidents resolved in the week,
	// opened to resolved, to a tenth of a day; nil when none were.
	MedianDaysToResolution *float64 `json:"median_days_to_resolution"`
}

// TopSupplier is a supplier ranked by revenue at risk in one currency.
type TopSupplier struct {
	Currency     string `json:"currency"`
	SupplierID   string `json:"supplier_id"`
	SupplierName string `json:"supplier_name"`
	OpenCount    int    `json:"open_count"`
	// Units is the backordered quantity.
	Units         int64  `json:"units"`
	RevenueAtRisk string `json:"revenue_at_risk"`
}

// TopSKU is a product ranked by revenue at risk in one currency.
type TopSKU struct {
	Currency    string `json:"currency"`
	SKU         string `json:"sku"`
	ProductName string `json:"product_name"`
	OpenCount   int    `json:"open_count"`
	// Units is the backordered quantity.
	Units         int64  `json:"units"`
	RevenueAtRisk string `json:"revenue_at_risk"`
}

// RoleTasks is the open human tasks of one role at AsOf.
type RoleTasks struct {
	Role  string `json:"role"`
	Count int    `json:"count"`
	// OldestAgeDays is how long the oldest has been open, to a tenth of a
	// day.
	OldestAgeDays float64 `json:"oldest_age_days"`
}

// The aging buckets, by the least days past the promised date each holds.
var agingBuckets = []struct {
	label string
	from  int
}{{"1-7", 1}, {"8-14", 8}, {"15-30", 15}, {"31-60", 31}, {"61+", 61}}

// AgingUnknown is the bucket, listed only when not empty, of open
// backorders with no promised date on record (incidents opened before
// dates were captured) or not yet past it.
const AgingUnknown = "unknown"

// ErrWeekNotStarted: a report was asked for a week that lies in the future.
var ErrWeekNotStarted = errors.New("the week has not started yet")

// New is an empty report of week w in loc as of now: its period, the
// instant its figures are measured at (the end of the week, or now for the
// week in progress), the five aging buckets and the trend weeks, all zero.
func New(w Week, loc *time.Location, now time.Time) (Report, error) {
	start, end := w.Bounds(loc)
	if now.Before(start) {
		return Report{}, fmt.Errorf("week %s starts %s: %w", w, start.Format(time.RFC3339), ErrWeekNotStarted)
	}
	// Whole seconds: the instant is measured at what the report shows.
	asOf := now.Truncate(time.Second)
	if asOf.After(end) {
		asOf = end
	}
	asOf = asOf.In(loc)
	r := Report{
		Week:          w.String(),
		Timezone:      loc.String(),
		From:          w.Monday().Format(backorder.DateLayout),
		To:            w.Monday().AddDate(0, 0, 6).Format(backorder.DateLayout),
		AsOf:          asOf,
		Complete:      asOf.Equal(end),
		RevenueAtRisk: Money{},
		Aging:         make([]AgingBucket, len(agingBuckets)),
		Trend:         make([]TrendWeek, TrendWeeks),
		TopSuppliers:  []TopSupplier{},
		TopSKUs:       []TopSKU{},
		OpenTasks:     []RoleTasks{},
	}
	for i, b := range agingBuckets {
		r.Aging[i] = AgingBucket{Bucket: b.label, Value: Money{}}
	}
	for i, tw := range w.Trend() {
		r.Trend[i] = TrendWeek{Week: tw.String(), RevenueAtRisk: Money{}}
	}
	return r, nil
}

// AddAged counts n open backorders that are days past their promised date
// (nil: no date on record) into their bucket, with their value (not valid:
// no lines on record).
func (r *Report) AddAged(days *int, n int, currency string, value decimal.NullDecimal) {
	label := AgingUnknown
	if days != nil {
		for _, b := range agingBuckets {
			if *days >= b.from {
				label = b.label
			}
		}
	}
	i := len(r.Aging) - 1
	for i >= 0 && r.Aging[i].Bucket != label {
		i--
	}
	if i < 0 {
		r.Aging = append(r.Aging, AgingBucket{Bucket: label, Value: Money{}})
		i = len(r.Aging) - 1
	}
	r.Aging[i].Count += n
	if value.Valid {
		r.Aging[i].Value.Add(currency, value.Decimal)
	}
}

// Add adds amount to the currency's total.
func (m Money) Add(currency string, amount decimal.Decimal) {
	total, _ := decimal.NewFromString(m[currency]) // "" (none yet) is zero
	m[currency] = backorder.FormatMoney(total.Add(amount))
}

// Currencies are the codes held, sorted.
func (m Money) Currencies() []string { return slices.Sorted(maps.Keys(m)) }

// String is "EUR 321.75, USD 1202.25", or "-" when empty.
func (m Money) String() string {
	if len(m) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(m))
	for _, c := range m.Currencies() {
		parts = append(parts, c+" "+m[c])
	}
	return strings.Join(parts, ", ")
}

// Title names the report: "Backorder report 2026-W47".
func (r Report) Title() string { return "Backorder report " + r.Week }

// Summary is the one-line gist, used as the email subject.
func (r Report) Summary() string {
	s := fmt.Sprintf("%s: %d open", r.Title(), r.OpenCount)
	if len(r.RevenueAtRisk) > 0 {
		s += ", " + r.RevenueAtRisk.String() + " at risk"
	}
	if !r.Complete {
		s += " (week in progress)"
	}
	return s
}

// Measured says when the figures are measured, for people.
func (r Report) Measured() string {
	// An offset, not a zone abbreviation: AsOf keeps only its offset once
	// it has crossed JSON.
	at := r.AsOf.Format("Mon 2006-01-02 15:04 -07:00")
	if r.Complete {
		return "at the end of the week (" + at + ")"
	}
	return "week in progress: figures as of " + at + ", not the end of the week"
}
