package activities

import (
	"context"
	"fmt"
	"go.temporal.io/sdk/activity"
	"time"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// BeginSweep settles the sweep's as-of date and records that it started.
// A date after today is refused: it would tell customers of delays that
// are not real yet.
func (a *Activities) BeginSweep(ctx context.Context, in contract.BeginSweepInput) (string, error) {
	today := backorder.DateOf(time.Now(), a.Settings.Location)
	asOf := today
	if in.AsOf != "" {
		var err error
		if asOf, err = backorder.ParseDate(in.AsOf); err != nil {
			return "", badData(contract.ErrTypeInvalidInput, fmt.Errorf("as-of date: %w", err))
		}
		if asOf.After(today) {
			return "", badData(contract.ErrTypeInvalidInput, fmt.Errorf("as-of date %s is after today (%s in %s): delays are measured up to today at the latest",
				in.AsOf, today.Format(backorder.DateLayout), a.Settings.Location))
		}
	}
	err := a.Store.SaveSweepRun(ctx, store.SweepRun{
		SweepID: in.SweepID, AsOf: asOf, SweepTally: contract.SweepTally{TotalBackorderValue: map[string]string{}},
	})
	return asOf.Format(backorder.DateLayout), err
}

// FindOverdueBackorders returns the next page, in order id order, of orders
// that are Backordered with a promised date before the as-of date, and
// stamps them checked (step 4 for parked orders too): last_checked_at and
// the delay on their open incidents, in one statement for the page.
func (a *Activities) FindOverdueBackorders(ctx context.Context, in contract.FindOverdueInput) ([]contract.OverdueOrder, error) {
	asOf, err := backorder.ParseDate(in.AsOf)
	if err != nil {
		return nil, badData(contract.ErrTypeInvalidInput, fmt.Errorf("as-of date: %w", err))
	}
	rows, err := a.Store.OverdueBackorders(ctx, asOf, in.AfterID, in.Limit)
	if err != nil {
		return nil, err
	}
	page := make([]contract.OverdueOrder, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		page[i] = contract.OverdueOrder{
			OrderID: r.ID, Currency: r.Currency, BackorderValue: backorder.FormatMoney(r.BackorderValue),
			DelayDays: backorder.DelayDays(asOf, r.PromisedDate), OpenEpisode: r.OpenIncident,
		}
		ids[i] = r.ID
	}
	if len(ids) > 0 {
		if err := a.Store.StampChecked(ctx, ids, asOf); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// FindClosedOrdersWithOpenIncidents returns the next page of orders whose
// workflows should be told they are fulfilled or cancelled.
func (a *Activities) FindClosedOrdersWithOpenIncidents(ctx context.Context, in contract.FindClosedInput) ([]contract.ClosedOrder, error) {
	rows, err := a.Store.ClosedOrdersWithOpenIncidents(ctx, in.AfterID, in.Limit)
	if err != nil {
		return nil, err
	}
	page := make([]contract.ClosedOrder, len(rows))
	for i, r := range rows {
		page[i] = contract.ClosedOrder{OrderID: r.ID, Status: r.Status}
	}
	return page, nil
}

// FindUnacknowledgedCompletions returns the next page of task completions
// of open episodes that their workflows have not acknowledged.
func (a *Activities) FindUnacknowledgedCompletions(ctx context.Context, in contract.FindClosedInput) ([]contract.UnacknowledgedCompletion, error) {
	tasks, err := a.Store.UnacknowledgedCompletions(ctx, in.AfterID, in.Limit)
	if err != nil {
		return nil, err
	}
	page := make([]contract.UnacknowledgedCompletion, len(tasks))
	for i, t := range tasks {
		c := contract.UnacknowledgedCompletion{OrderID: t.OrderID, TaskID: t.ID}
		if t.CompletedBy != nil {
			c.CompletedBy = *t.CompletedBy
		}
		if t.Note != nil {
			c.Note = *t.Note
		}
		if t.ConfirmedETA != nil {
			c.ConfirmedETA = t.ConfirmedETA.Format(backorder.DateLayout)
		}
		if t.CompletedAt != nil {
			c.CompletedAt = t.CompletedAt.UTC().Format(time.RFC3339)
		}
		page[i] = c
	}
	return page, nil
}

// FindOpenEpisode returns the order's open incident, or nil.
func (a *Activities) FindOpenEpisode(ctx context.Context, in contract.FindOpenEpisodeInput) (*contract.OpenEpisode, error) {
	e, err := a.Store.OpenEpisodeOf(ctx, in.OrderID)
	if err != nil || e == nil {
		return nil, err
	}
	return openEpisode(e), nil
}

// RecordSweep saves the sweep's tally in sweep_runs.
func (a *Activities) RecordSweep(ctx context.Context, in contract.RecordSweepInput) error {
	asOf, err := backorder.ParseDate(in.AsOf)
	if err != nil {
		return badData(contract.ErrTypeInvalidInput, fmt.Errorf("as-of date: %w", err))
	}
	if err := a.Store.SaveSweepRun(ctx, store.SweepRun{SweepID: in.SweepID, AsOf: asOf, SweepTally: in.SweepTally, Finished: in.Finished}); err != nil {
		return err
	}
	if in.Finished {
		// The finished sweep's totals, once per sweep, for the metrics.
		m := activity.GetMetricsHandler(ctx)
		m.Counter("backorder_orders_swept").Inc(int64(in.OrdersFound))
		m.Counter("backorder_workflows_started").Inc(int64(in.WorkflowsStarted))
	}
	return nil
}
