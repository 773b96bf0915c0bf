package bench

import (
	"context"
	"time"

	"github.com/acme/backorders/internal/report"
	"github.com/acme/backorders/internal/store"
)

// reportRuns: the weekly report is timed this many times; the median
// counts.
const reportRuns = 3

// report times the weekly report's aggregation over a year of history:
// opts.ReportIncidents incidents over 52 weeks up to now, seeded behind
// the benchmark's orders once the run's own are checked, then the run's.
func (r *run) report(ctx context.Context) error {
	now := time.Now()
	start := time.Now()
	sum, err := r.db.SeedHistory(ctx, store.HistoryOptions{Incidents: r.opts.ReportIncidents, Weeks: 52, Until: now, Seed: 1})
	if err != nil {
		return err
	}
	r.results.ReportHistorySeedSeconds = time.Since(start).Seconds()
	perOrder, err := r.db.IncidentsPerOrder(ctx)
	if err != nil {
		return err
	}
	r.results.ReportIncidents = total(perOrder)
	r.progressf("seeded a year of history: %d incidents (%d open), %d lines, %d messages, %d tasks in %.1fs",
		sum.Incidents, sum.Open, sum.Lines, sum.Notifications, sum.Tasks, r.results.ReportHistorySeedSeconds)

	var times []float64
	var rep report.Report
	for range reportRuns {
		start := time.Now()
		if rep, err = r.db.WeeklyReport(ctx, report.WeekOf(now, time.UTC), time.UTC, now); err != nil {
			return err
		}
		times = append(times, milliseconds(time.Since(start)))
	}
	r.results.ReportMS = percentile(times, 50)
	r.progressf("weekly report %s over %d incidents (%d open): %.1f ms (median of %v)",
		rep.Week, r.results.ReportIncidents, rep.OpenCount, r.results.ReportMS, times)
	return nil
}
