package workflows

import (
	"fmt"

	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
)

const (
	// sweepPageSize orders are started per page.
	sweepPageSize = 500
	// sweepPagesPerRun bounds one run's history (about ten events a page)
	// before the sweep continues as new.
	sweepPagesPerRun = 20
)

// SweepWorkflow finds every overdue backordered order, starts its
// BackorderWorkflow (or counts the one already running) from an activity,
// page by page, so the sweep's own history stays small and the starts run
// in parallel, sums the value at
// stake per currency, then signals open workflows whose order rows already
// say Fulfilled or Cancelled.
func SweepWorkflow(ctx workflow.Context, in contract.SweepInput) (contract.SweepResult, error) {
	var p contract.SweepProgress
	if in.Resume != nil {
		p = *in.Resume
	} else {
		p.Result = contract.SweepResult{
			SweepID:    workflow.GetInfo(ctx).WorkflowExecution.ID,
			SweepTally: contract.SweepTally{TotalBackorderValue: map[string]string{}},
		}
		if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "begin the sweep's record"), contract.ActivityBeginSweep, contract.BeginSweepInput{SweepID: p.Result.SweepID, AsOf: in.AsOf}).Get(ctx, &p.Result.AsOf); err != nil {
			return p.Result, err
		}
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (contract.SweepResult, error) { return p.Result, nil }); err != nil {
		return p.Result, err
	}

	for page := 0; page < sweepPagesPerRun && !p.Result.Done; page++ {
		var err error
		switch {
		case p.ReconcilingTasks:
			err = reconcileTasksPage(ctx, &p)
		case p.Reconciling:
			err = reconcilePage(ctx, &p)
		default:
			err = startPage(ctx, &p)
		}
		if err != nil {
			return p.Result, err
		}
		if err := recordSweep(ctx, p.Result); err != nil {
			return p.Result, err
		}
	}
	if !p.Result.Done {
		return p.Result, workflow.NewContinueAsNewError(ctx, contract.SweepWorkflowName, contract.SweepInput{AsOf: p.Result.AsOf, Resume: &p})
	}
	return p.Result, nil
}

// startPage is step 1 for one page: find the overdue backorders, then
// start their per-order workflows.
func startPage(ctx workflow.Context, p *contract.SweepProgress) error {
	var orders []contract.OverdueOrder
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, pageSummary("find overdue backorders", p.Cursor)), contract.ActivityFindOverdueBackorders, contract.FindOverdueInput{
		AsOf: p.Result.AsOf, AfterID: p.Cursor, Limit: sweepPageSize,
	}).Get(ctx, &orders); err != nil {
		return err
	}
	var started contract.StartBackordersResult
	if err := workflow.ExecuteActivity(withStartOptions(ctx, fmt.Sprintf("start the workflows of %d orders", len(orders))), contract.ActivityStartBackorderWorkflows, contract.StartBackordersInput{
		AsOf: p.Result.AsOf, Orders: orders,
	}).Get(ctx, &started); err != nil {
		return err
	}
	p.Result.WorkflowsStarted += started.Started
	p.Result.AlreadyRunning += started.AlreadyRunning
	p.Result.NotStarted += started.NotStarted
	for _, o := range orders {
		p.Result.OrdersFound++
		p.Result.TotalBackorderValue[o.Currency] = addMoney(p.Result.TotalBackorderValue[o.Currency], o.BackorderValue)
		p.Cursor = o.OrderID
	}
	if len(orders) < sweepPageSize {
		p.Reconciling = true
	}
	return nil
}

// reconcilePage signals open workflows of one page of orders whose rows
// already say Fulfilled or Cancelled (a signal that was never sent).
func reconcilePage(ctx workflow.Context, p *contract.SweepProgress) error {
	var orders []contract.ClosedOrder
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, pageSummary("find closed orders with open incidents", p.ReconcileCursor)), contract.ActivityFindClosedOrdersWithOpenIncidents, contract.FindClosedInput{
		AfterID: p.ReconcileCursor, Limit: sweepPageSize,
	}).Get(ctx, &orders); err != nil {
		return err
	}
	signals := make([]workflow.Future, len(orders))
	for i, o := range orders {
		if o.Status == contract.OrderFulfilled {
			signals[i] = workflow.SignalExternalWorkflow(ctx, contract.BackorderWorkflowID(o.OrderID), "", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{Note: "reconciled by sweep"})
		} else {
			signals[i] = workflow.SignalExternalWorkflow(ctx, contract.BackorderWorkflowID(o.OrderID), "", contract.SignalOrderCancelled, contract.OrderCancelledSignal{Reason: "reconciled by sweep"})
		}
	}
	for i, o := range orders {
		p.ReconcileCursor = o.OrderID
		if err := signals[i].Get(ctx, nil); err != nil {
			// The workflow is gone (terminated, failed): its episode is
			// closed here, once, instead of being signalled every sweep.
			// Runs from before that change only reported it.
			if workflow.GetVersion(ctx, closeLostEpisodesChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				workflow.GetLogger(ctx).Warn("could not signal backorder workflow", "order_id", o.OrderID, "error", err)
				continue
			}
			if err := closeLostEpisode(ctx, o); err != nil {
				return err
			}
		}
		p.Result.Reconciled++
	}
	if len(orders) < sweepPageSize {
		if workflow.GetVersion(ctx, reconcileCompletionsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			p.Result.Done = true
		} else {
			p.ReconcilingTasks = true
		}
	}
	return nil
}

// Changes to the sweep that runs started before them replay without.
const (
	closeLostEpisodesChange    = "close-lost-episodes"
	reconcileCompletionsChange = "reconcile-completions"
)

// closeLostEpisode ends the open episode of a closed order whose workflow
// is gone, as the workflow itself would have.
func closeLostEpisode(ctx workflow.Context, o contract.ClosedOrder) error {
	var episode *contract.OpenEpisode
	// The incident id comes from the order's open episode.
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "find the open episode of order "+o.OrderID), contract.ActivityFindOpenEpisode, contract.FindOpenEpisodeInput{OrderID: o.OrderID}).Get(ctx, &episode); err != nil || episode == nil {
		return err
	}
	return workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "close the lost episode of order "+o.OrderID), contract.ActivityCloseBackorder, contract.CloseBackorderInput{
		OrderID: o.OrderID, IncidentID: episode.IncidentID, Outcome: outcomeOf(o.Status),
		Note: "closed by the sweep: the order's workflow had ended",
	}).Get(ctx, nil)
}

// reconcileTasksPage tells workflows of task completions recorded while
// they could not be told (task-completed; a workflow ignores a repeat).
func reconcileTasksPage(ctx workflow.Context, p *contract.SweepProgress) error {
	var done []contract.UnacknowledgedCompletion
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, pageSummary("find task completions not yet acknowledged", p.TaskCursor)), contract.ActivityFindUnacknowledgedCompletions, contract.FindClosedInput{
		AfterID: p.TaskCursor, Limit: sweepPageSize,
	}).Get(ctx, &done); err != nil {
		return err
	}
	signals := make([]workflow.Future, len(done))
	for i, c := range done {
		signals[i] = workflow.SignalExternalWorkflow(ctx, contract.BackorderWorkflowID(c.OrderID), "", contract.SignalTaskCompleted, contract.TaskCompletedSignal{
			TaskID: c.TaskID, CompletedBy: c.CompletedBy, Note: c.Note, ConfirmedETA: c.ConfirmedETA, CompletedAt: c.CompletedAt,
		})
	}
	for i, c := range done {
		// A workflow that is gone gets the completion when the next sweep
		// adopts its episode: the task is done in the database.
		if err := signals[i].Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not tell a backorder workflow of a task completion", "order_id", c.OrderID, "task_id", c.TaskID, "error", err)
		} else {
			p.Result.Reconciled++
		}
		p.TaskCursor = c.OrderID
	}
	if len(done) < sweepPageSize {
		p.Result.Done = true
	}
	return nil
}

// pageSummary names a sweep's page step by the order it starts after.
func pageSummary(step, afterID string) string {
	if afterID == "" {
		return step
	}
	return step + " after order " + afterID
}

func recordSweep(ctx workflow.Context, r contract.SweepResult) error {
	return workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "record the sweep's tally"), contract.ActivityRecordSweep, contract.RecordSweepInput{
		SweepID: r.SweepID, AsOf: r.AsOf, SweepTally: r.SweepTally, Finished: r.Done,
	}).Get(ctx, nil)
}

// addMoney adds two exact decimal amounts given as strings ("" is zero).
func addMoney(total, amount string) string {
	t, _ := decimal.NewFromString(total)
	v, _ := decimal.NewFromString(amount)
	return backorder.FormatMoney(t.Add(v))
}
