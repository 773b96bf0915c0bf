package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/report"
)

// scheduledStartTimeKey is set by Temporal on runs that a schedule starts:
// when the run was due. A run caught up after downtime still reports the
// week before that, not the week before it actually started.
var scheduledStartTimeKey = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// WeeklyReportWorkflow is step 12: it computes the backorder report of an
// ISO week in PostgreSQL, stores it, and emails it when asked (scheduled
// runs do, on-demand ones do not). It returns the report.
func WeeklyReportWorkflow(ctx workflow.Context, in contract.WeeklyReportInput) (report.Report, error) {
	week := in.Week
	if week == "" {
		due, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartTimeKey)
		if !ok {
			due = workflow.Now(ctx)
		}
		if err := workflow.ExecuteLocalActivity(withClockOptions(ctx, "which week to report"), contract.ActivityPreviousReportWeek, contract.ReportWeekInput{At: due}).Get(ctx, &week); err != nil {
			return report.Report{}, err
		}
	} else if _, err := report.ParseWeek(week); err != nil {
		return report.Report{}, temporal.NewNonRetryableApplicationError("week: "+err.Error(), contract.ErrTypeInvalidInput, nil)
	}

	var r report.Report
	if err := workflow.ExecuteActivity(withLongDatabaseOptions(ctx, "compute the report of week "+week), contract.ActivityComputeWeeklyReport, contract.ComputeReportInput{Week: week}).Get(ctx, &r); err != nil {
		return r, err
	}
	if err := workflow.ExecuteActivity(withLongDatabaseOptions(ctx, "store the report of week "+week), contract.ActivityStoreReport, contract.StoreReportInput{Report: r}).Get(ctx, nil); err != nil {
		return r, err
	}
	if in.Email {
		if err := workflow.ExecuteActivity(withNotificationOptions(ctx, "email the report of week "+week+" to its recipients"), contract.ActivityEmailReport, contract.EmailReportInput{Report: r}).Get(ctx, nil); err != nil {
			return r, err
		}
	}
	return r, nil
}
