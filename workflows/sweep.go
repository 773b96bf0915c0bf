package workflows

import (
	"github.com/shopspring/decimal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/backorder"
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
func SweepWorkflow(ctx workflow.Context, in SweepInput) (SweepResult, error) {
	db := databaseStep(ctx)
	var p SweepProgress
	if in.Resume != nil {
		p = *in.Resume
	} else {
		p.Result = SweepResult{SweepID: workflow.GetInfo(ctx).WorkflowExecution.ID, TotalBackorderValue: map[string]string{}}
		if err := workflow.ExecuteLocalActivity(db, a.BeginSweep, activities.BeginSweepInput{SweepID: p.Result.SweepID, AsOf: in.AsOf}).Get(ctx, &p.Result.AsOf); err != nil {
			return p.Result, err
		}
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (SweepResult, error) { return p.Result, nil }); err != nil {
		return p.Result, err
	}

	for page := 0; page < sweepPagesPerRun && !p.Result.Done; page++ {
		var err error
		if p.Reconciling {
			err = reconcilePage(ctx, &p)
		} else {
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
		return p.Result, workflow.NewContinueAsNewError(ctx, SweepWorkflow, SweepInput{AsOf: p.Result.AsOf, Resume: &p})
	}
	return p.Result, nil
}

// startPage starts the per-order workflows of one page of overdue orders.
func startPage(ctx workflow.Context, p *SweepProgress) error {
	var orders []activities.OverdueOrder
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.FindOverdueBackorders, activities.FindOverdueInput{
		AsOf: p.Result.AsOf, AfterID: p.Cursor, Limit: sweepPageSize,
	}).Get(ctx, &orders); err != nil {
		return err
	}
	var started activities.StartBackordersResult
	if err := workflow.ExecuteActivity(startStep(ctx), a.StartBackorderWorkflows, activities.StartBackordersInput{
		AsOf: p.Result.AsOf, Orders: orders,
	}).Get(ctx, &started); err != nil {
		return err
	}
	p.Result.WorkflowsStarted += started.Started
	p.Result.AlreadyRunning += started.AlreadyRunning
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
func reconcilePage(ctx workflow.Context, p *SweepProgress) error {
	var orders []activities.ClosedOrder
	if err := workflow.ExecuteLocalActivity(databaseStep(ctx), a.FindClosedOrdersWithOpenIncidents, activities.FindClosedInput{
		AfterID: p.ReconcileCursor, Limit: sweepPageSize,
	}).Get(ctx, &orders); err != nil {
		return err
	}
	signals := make([]workflow.Future, len(orders))
	for i, o := range orders {
		if o.Status == orderFulfilled {
			signals[i] = workflow.SignalExternalWorkflow(ctx, BackorderWorkflowID(o.OrderID), "", SignalOrderFulfilled, OrderFulfilledSignal{Note: "reconciled by sweep"})
		} else {
			signals[i] = workflow.SignalExternalWorkflow(ctx, BackorderWorkflowID(o.OrderID), "", SignalOrderCancelled, OrderCancelledSignal{Reason: "reconciled by sweep"})
		}
	}
	for i, o := range orders {
		// A workflow that is gone (failed, terminated) cannot be signalled;
		// that is reported, not fatal to the sweep.
		if err := signals[i].Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not signal backorder workflow", "order_id", o.OrderID, "error", err)
		} else {
			p.Result.Reconciled++
		}
		p.ReconcileCursor = o.OrderID
	}
	if len(orders) < sweepPageSize {
		p.Result.Done = true
	}
	return nil
}

func recordSweep(ctx workflow.Context, r SweepResult) error {
	return workflow.ExecuteLocalActivity(databaseStep(ctx), a.RecordSweep, activities.RecordSweepInput{
		SweepID: r.SweepID, AsOf: r.AsOf, OrdersFound: r.OrdersFound, TotalBackorderValue: r.TotalBackorderValue,
		WorkflowsStarted: r.WorkflowsStarted, AlreadyRunning: r.AlreadyRunning, Reconciled: r.Reconciled,
		Finished: r.Done,
	}).Get(ctx, nil)
}

// addMoney adds two exact decimal amounts given as strings ("" is zero).
func addMoney(total, amount string) string {
	t, _ := decimal.NewFromString(total)
	v, _ := decimal.NewFromString(amount)
	return backorder.FormatMoney(t.Add(v))
}
