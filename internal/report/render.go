package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/acme/backorders/internal/csvsafe"
)

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // names stay readable: "Bolt & Co", not "Bolt \u0026 Co"
	return enc.Encode(r)
}

// WriteTable writes the report as labelled, aligned text for a terminal;
// it is also the plain-text part of the email.
func WriteTable(w io.Writer, r Report) error {
	// tabwriter aligns each run of lines holding tabs on its own, so every
	// section gets its own column widths.
	t := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(t, format, args...) }

	p("%s\n", r.Title())
	p("Week:\t%s to %s, %s\n", r.From, r.To, r.Timezone)
	p("Measured:\t%s\n", r.Measured())
	p("\nOpen backorders:\t%d\n", r.OpenCount)
	p("Revenue at risk:\t%s\n", r.RevenueAtRisk)
	p("Customers notified:\t%d\n", r.CustomersNotified)
	p("SMS alerts sent:\t%d\n", r.SMSAlertsSent)
	p("Escalations:\t%d\n", r.Escalations)

	p("\nAging of open backorders (days past promised date)\n")
	p("Days\tBackorders\tValue\n")
	for _, b := range r.Aging {
		p("%s\t%d\t%s\n", b.Bucket, b.Count, b.Value)
	}

	p("\nTrend (%d weeks)\n", len(r.Trend))
	p("Week\tNew\tResolved\tCancelled\tEscalated\tOpen at week end\tRevenue at risk\tMedian days to resolution\n")
	for _, tw := range r.Trend {
		p("%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", tw.Week, tw.New, tw.Resolved, tw.Cancelled, tw.Escalated, tw.OpenAtWeekEnd, tw.RevenueAtRisk, days(tw.MedianDaysToResolution))
	}

	p("\nTop %d suppliers by revenue at risk, per currency\n", TopN)
	if len(r.TopSuppliers) == 0 {
		p("none\n")
	} else {
		p("Currency\tSupplier\tName\tOpen backorders\tUnits\tRevenue at risk\n")
		for _, s := range r.TopSuppliers {
			p("%s\t%s\t%s\t%d\t%d\t%s\n", s.Currency, s.SupplierID, s.SupplierName, s.OpenCount, s.Units, s.RevenueAtRisk)
		}
	}

	p("\nTop %d SKUs by revenue at risk, per currency\n", TopN)
	if len(r.TopSKUs) == 0 {
		p("none\n")
	} else {
		p("Currency\tSKU\tProduct\tOpen backorders\tUnits\tRevenue at risk\n")
		for _, s := range r.TopSKUs {
			p("%s\t%s\t%s\t%d\t%d\t%s\n", s.Currency, s.SKU, s.ProductName, s.OpenCount, s.Units, s.RevenueAtRisk)
		}
	}

	p("\nOpen human tasks\n")
	if len(r.OpenTasks) == 0 {
		p("none\n")
	} else {
		p("Role\tOpen\tOldest (days)\n")
		for _, rt := range r.OpenTasks {
			p("%s\t%d\t%s\n", rt.Role, rt.Count, days(&rt.OldestAgeDays))
		}
	}
	return t.Flush()
}

// CSVHeader is the CSV's header. The CSV is long-form: one figure a row,
// named by the JSON's section and field names, so it loads into any
// spreadsheet or database and pivots from there.
var CSVHeader = []string{"section", "item", "currency", "metric", "value"}

// WriteCSV writes the report's figures as CSV. Ids, names and the like come
// from data and are written neutralised (csvsafe: a cell beginning with =,
// +, -, @, tab or CR gets a leading '); figures, amounts and dates the
// report formats itself are written as they are.
func WriteCSV(w io.Writer, r Report) error {
	c := csvsafe.NewWriter(w)
	text, value := csvsafe.Text, csvsafe.Value
	row := func(section, item, currency, metric string, v csvsafe.Cell) {
		c.Write(text(section), text(item), text(currency), text(metric), v)
	}
	money := func(section, item, metric string, m Money) {
		for _, cur := range m.Currencies() {
			row(section, item, cur, metric, value(m[cur]))
		}
	}
	count := func(n int) csvsafe.Cell { return value(strconv.Itoa(n)) }
	units := func(n int64) csvsafe.Cell { return value(strconv.FormatInt(n, 10)) }

	c.WriteText(CSVHeader...)
	row("report", r.Week, "", "from", value(r.From))
	row("report", r.Week, "", "to", value(r.To))
	row("report", r.Week, "", "timezone", text(r.Timezone))
	row("report", r.Week, "", "as_of", value(r.AsOf.Format(time.RFC3339)))
	row("report", r.Week, "", "complete", value(strconv.FormatBool(r.Complete)))
	row("report", r.Week, "", "open_count", count(r.OpenCount))
	money("report", r.Week, "revenue_at_risk", r.RevenueAtRisk)
	row("report", r.Week, "", "customers_notified", count(r.CustomersNotified))
	row("report", r.Week, "", "sms_alerts_sent", count(r.SMSAlertsSent))
	row("report", r.Week, "", "escalations", count(r.Escalations))
	for _, b := range r.Aging {
		row("aging", b.Bucket, "", "count", count(b.Count))
		money("aging", b.Bucket, "value", b.Value)
	}
	for _, tw := range r.Trend {
		row("trend", tw.Week, "", "new", count(tw.New))
		row("trend", tw.Week, "", "resolved", count(tw.Resolved))
		row("trend", tw.Week, "", "cancelled", count(tw.Cancelled))
		row("trend", tw.Week, "", "escalated", count(tw.Escalated))
		row("trend", tw.Week, "", "open_at_week_end", count(tw.OpenAtWeekEnd))
		money("trend", tw.Week, "revenue_at_risk", tw.RevenueAtRisk)
		if tw.MedianDaysToResolution != nil {
			row("trend", tw.Week, "", "median_days_to_resolution", value(days(tw.MedianDaysToResolution)))
		}
	}
	for _, s := range r.TopSuppliers {
		row("top_suppliers", s.SupplierID, s.Currency, "supplier_name", text(s.SupplierName))
		row("top_suppliers", s.SupplierID, s.Currency, "open_count", count(s.OpenCount))
		row("top_suppliers", s.SupplierID, s.Currency, "units", units(s.Units))
		row("top_suppliers", s.SupplierID, s.Currency, "revenue_at_risk", value(s.RevenueAtRisk))
	}
	for _, s := range r.TopSKUs {
		row("top_skus", s.SKU, s.Currency, "product_name", text(s.ProductName))
		row("top_skus", s.SKU, s.Currency, "open_count", count(s.OpenCount))
		row("top_skus", s.SKU, s.Currency, "units", units(s.Units))
		row("top_skus", s.SKU, s.Currency, "revenue_at_risk", value(s.RevenueAtRisk))
	}
	for _, rt := range r.OpenTasks {
		row("open_tasks", rt.Role, "", "count", count(rt.Count))
		row("open_tasks", rt.Role, "", "oldest_age_days", value(days(&rt.OldestAgeDays)))
	}
	return c.Flush()
}

// days prints a number of days to a tenth, or "-" for none.
func days(d *float64) string {
	if d == nil {
		return "-"
	}
	return strconv.FormatFloat(*d, 'f', 1, 64)
}
