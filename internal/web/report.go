package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/acme/backorders/internal/report"
	"github.com/acme/backorders/internal/store"
)

// "Weekly report": the latest stored report (the Monday run, or the last
// `starter report`), or, before any has run, the week in progress measured
// now. The report's own HTML and chart (internal/report, the email's)
// are shown in a frame on the page, so the two never drift apart.

type reportPage struct {
	Report report.Report
	// Live: no report is stored yet; this one was measured for the page.
	Live bool
}

// latestReport is the latest stored report, or the current week measured
// now (read-only: nothing is stored).
func (s *Server) latestReport(r *http.Request) (report.Report, bool, error) {
	rep, err := s.db.LatestReport(r.Context())
	if !errors.Is(err, store.ErrNotFound) {
		return rep, false, err
	}
	now := time.Now()
	rep, err = s.db.WeeklyReport(r.Context(), report.WeekOf(now, s.cfg.Location), s.cfg.Location, now)
	return rep, true, err
}

func (s *Server) report(w http.ResponseWriter, r *http.Request, u store.User) {
	rep, live, err := s.latestReport(r)
	if err != nil {
		s.serverError(w, r, &u, err)
		return
	}
	s.render(w, r, http.StatusOK, "report", &u, "Weekly report", reportPage{Report: rep, Live: live})
}

// reportDocument is the report's HTML page for the frame: its own inline
// styles, its chart from reportChart.
func (s *Server) reportDocument(w http.ResponseWriter, r *http.Request, u store.User) {
	s.writeReport(w, r, u, "text/html; charset=utf-8", func(out io.Writer, rep report.Report) error {
		return report.WriteHTML(out, rep, "/report/latest.png")
	})
}

func (s *Server) reportChart(w http.ResponseWriter, r *http.Request, u store.User) {
	s.writeReport(w, r, u, "image/png", report.WriteChart)
}

func (s *Server) reportCSV(w http.ResponseWriter, r *http.Request, u store.User) {
	w.Header().Set("Content-Disposition", `attachment; filename="backorder-report.csv"`)
	s.writeReport(w, r, u, "text/csv; charset=utf-8", report.WriteCSV)
}

func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, u store.User, contentType string, write func(io.Writer, report.Report) error) {
	rep, _, err := s.latestReport(r)
	if err != nil {
		s.serverError(w, r, &u, err)
		return
	}
	var buf bytes.Buffer
	if err := write(&buf, rep); err != nil {
		s.serverError(w, r, &u, err)
		return
	}
	if contentType == "text/html; charset=utf-8" {
		// The report's page carries its own <style>; it has no scripts.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'self'")
	}
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(buf.Bytes())
}
