package bench

import (
	"context"
	"time"

	"github.com/acme/backorders/internal/report"
)

// report times the weekly report's aggregation over the full database while
// the swept orders are still open, the heaviest point of the run.
func (r *run) report(ctx context.Context) error {
	now := time.Now()
	start := time.Now()
	rep, err := r.db.WeeklyReport(ctx, report.WeekOf(now, time.UTC), time.UTC, now)
	if err != nil {
		return err
	}
	r.results.ReportMS = float64(time.Since(start).Microseconds()) / 1000
	r.progressf("weekly report %s (%d open backorders) in %.1f ms", rep.Week, rep.OpenCount, r.results.ReportMS)
	return nil
}
