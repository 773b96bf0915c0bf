package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var htmlText string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"days": days}).Parse(htmlText))

// WriteHTML writes the report as an HTML page (the email's HTML part),
// with the trend chart's image at chart (for an email, the inline part's
// "cid:" URL); an empty chart leaves the image out. Everything from the
// data is escaped.
func WriteHTML(w io.Writer, r Report, chart template.URL) error {
	return htmlTemplate.Execute(w, struct {
		Report
		Chart                   template.URL
		ChartWidth, ChartHeight int
		TopN                    int
	}{r, chart, ChartWidth, ChartHeight, TopN})
}

// WriteStandaloneHTML writes the HTML page with the chart embedded as a
// data: URL, so the one file shows everything.
func WriteStandaloneHTML(w io.Writer, r Report) error {
	var png bytes.Buffer
	if err := WriteChart(&png, r); err != nil {
		return err
	}
	// The URL is built here from PNG bytes, not taken from data: safe.
	chart := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png.Bytes()))
	return WriteHTML(w, r, chart)
}
