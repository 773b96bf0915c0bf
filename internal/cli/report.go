package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/report"
)

// reportFormats are the report command's --format values.
var reportFormats = map[string]func(io.Writer, report.Report) error{
	"table": report.WriteTable,
	"json":  report.WriteJSON,
	// A file opened on its own has no email parts: the chart goes inline.
	"html": report.WriteStandaloneHTML,
	"csv":  report.WriteCSV,
}

// reportTimeout bounds the wait for a worker to run the report.
const reportTimeout = 2 * time.Minute

func newReportCmd(e *env) *cobra.Command {
	var week, format, out string
	var asJSON bool
	formats := slices.Sorted(maps.Keys(reportFormats))
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Run the weekly backorder report for a week and print or write it",
		Long: `report runs a WeeklyReportWorkflow for an ISO week in BACKORDER_TIMEZONE
(Monday 00:00 to the next Monday 00:00), waits for it and prints the report:
open backorders and revenue at risk at the end of the week, their aging, an
8-week trend, the top suppliers and SKUs, messages sent and open human tasks.
The report is stored in the reports table; it is not emailed (the scheduled
run on Mondays is). The week in progress is measured now and says so.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				if cmd.Flags().Changed("format") && format != "json" {
					return badValue("--json and --format %s: give one of them", format)
				}
				format = "json"
			}
			write, ok := reportFormats[format]
			if !ok {
				return badValue("--format %q: use one of %s", format, strings.Join(formats, ", "))
			}
			if week == "" {
				week = report.WeekOf(time.Now(), e.cfg.Location).String()
			}
			w, err := report.ParseWeek(week)
			if err != nil {
				return badValue("--week: %v", err)
			}
			if _, err := report.New(w, e.cfg.Location, time.Now()); err != nil {
				return badValue("--week: %v", err)
			}
			c, err := e.client()
			if err != nil {
				return err
			}
			r, err := e.runReport(cmd.Context(), c, week)
			if err != nil {
				return err
			}
			if out == "" {
				return write(e.out, r)
			}
			if err := writeFile(out, func(f io.Writer) error { return write(f, r) }); err != nil {
				return err
			}
			e.progressf("report %s written to %s\n", r.Week, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&week, "week", "", "ISO week, YYYY-Www (default: the current week in BACKORDER_TIMEZONE)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: "+strings.Join(formats, ", "))
	cmd.Flags().StringVar(&out, "out", "", "write to this file instead of standard output")
	cmd.Flags().BoolVar(&asJSON, "json", false, "the same as --format json")
	return cmd
}

// runReport runs the workflow, so the run shows in the Web UI, and waits
// for its report.
func (e *env) runReport(ctx context.Context, c client.Client, week string) (report.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        contract.ReportWorkflowID(week, randomSuffix()),
		TaskQueue: e.cfg.TaskQueue,
	}, contract.WeeklyReportWorkflowName, contract.WeeklyReportInput{Week: week})
	if err != nil {
		return report.Report{}, fmt.Errorf("starting report %s: %w", week, err)
	}
	e.progressf("report %s: running workflow %s\n", week, run.GetID())
	var r report.Report
	err = run.Get(ctx, &r)
	if errors.Is(err, context.DeadlineExceeded) {
		return r, fmt.Errorf("report %s: no result after %s: is a worker polling task queue %q? (make up starts one)", run.GetID(), reportTimeout, e.cfg.TaskQueue)
	}
	if err != nil {
		return r, fmt.Errorf("report %s failed: %w", run.GetID(), err)
	}
	return r, nil
}

// writeFile writes a file through write, reporting the first error.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
