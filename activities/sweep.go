package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"golang.org/x/sync/errgroup"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/importer"
	"github.com/acme/backorders/internal/store"
)

// BeginSweepInput opens a sweep's record.
type BeginSweepInput struct {
	SweepID string `json:"sweep_id"`
	// AsOf (YYYY-MM-DD) defaults to today in the business timezone.
	AsOf string `json:"as_of,omitempty"`
}

// BeginSweep settles the sweep's as-of date and records that it started.
// A date after today is refused: it would tell customers of delays that
// are not real yet.
func (a *Activities) BeginSweep(ctx context.Context, in BeginSweepInput) (string, error) {
	today := backorder.DateOf(time.Now(), a.Settings.Location)
	asOf := today
	if in.AsOf != "" {
		var err error
		if asOf, err = backorder.ParseDate(in.AsOf); err != nil {
			return "", badData(ErrTypeInvalidInput, fmt.Errorf("as-of date: %w", err))
		}
		if asOf.After(today) {
			return "", badData(ErrTypeInvalidInput, fmt.Errorf("as-of date %s is after today (%s in %s): delays are measured up to today at the latest",
				in.AsOf, today.Format(backorder.DateLayout), a.Settings.Location))
		}
	}
	err := a.Store.SaveSweepRun(ctx, store.SweepRun{SweepID: in.SweepID, AsOf: asOf, TotalBackorderValue: map[string]string{}})
	return asOf.Format(backorder.DateLayout), err
}

// FindOverdueInput asks for one page of overdue backorders.
type FindOverdueInput struct {
	AsOf    string `json:"as_of"`
	AfterID string `json:"after_id"`
	Limit   int    `json:"limit"`
}

// OverdueOrder is one overdue backordered order with its value.
type OverdueOrder struct {
	OrderID        string `json:"order_id"`
	Currency       string `json:"currency"`
	BackorderValue string `json:"backorder_value"`
	DelayDays      int    `json:"delay_days"`
	// OpenEpisode: the order has an open incident, so its workflow is
	// running or was lost; the start step tells which.
	OpenEpisode bool `json:"open_episode,omitempty"`
}

// FindOverdueBackorders returns the next page, in order id order, of orders
// that are Backordered with a promised date before the as-of date, and
// stamps them checked (step 3 for parked orders too): last_checked_at and
// the delay on their open incidents, in one statement for the page.
func (a *Activities) FindOverdueBackorders(ctx context.Context, in FindOverdueInput) ([]OverdueOrder, error) {
	asOf, err := backorder.ParseDate(in.AsOf)
	if err != nil {
		return nil, badData(ErrTypeInvalidInput, fmt.Errorf("as-of date: %w", err))
	}
	rows, err := a.Store.OverdueBackorders(ctx, asOf, in.AfterID, in.Limit)
	if err != nil {
		return nil, err
	}
	page := make([]OverdueOrder, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		page[i] = OverdueOrder{
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

// FindClosedInput asks for one page of orders to reconcile.
type FindClosedInput struct {
	AfterID string `json:"after_id"`
	Limit   int    `json:"limit"`
}

// ClosedOrder is an order whose row is Fulfilled or Cancelled while its
// backorder incident is still open.
type ClosedOrder struct {
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
}

// FindClosedOrdersWithOpenIncidents returns the next page of orders whose
// workflows should be told they are fulfilled or cancelled.
func (a *Activities) FindClosedOrdersWithOpenIncidents(ctx context.Context, in FindClosedInput) ([]ClosedOrder, error) {
	rows, err := a.Store.ClosedOrdersWithOpenIncidents(ctx, in.AfterID, in.Limit)
	if err != nil {
		return nil, err
	}
	page := make([]ClosedOrder, len(rows))
	for i, r := range rows {
		page[i] = ClosedOrder{OrderID: r.ID, Status: r.Status}
	}
	return page, nil
}

// UnacknowledgedCompletion is a task recorded done that its order's
// workflow was never told of (Temporal was unreachable, or the task was
// completed in the database by other means). The sweep sends it as the
// task-completed signal.
type UnacknowledgedCompletion struct {
	OrderID      string `json:"order_id"`
	TaskID       string `json:"task_id"`
	CompletedBy  string `json:"completed_by"`
	Note         string `json:"note,omitempty"`
	ConfirmedETA string `json:"confirmed_eta,omitempty"`
	CompletedAt  string `json:"completed_at"`
}

// FindUnacknowledgedCompletions returns the next page of task completions
// of open episodes that their workflows have not acknowledged.
func (a *Activities) FindUnacknowledgedCompletions(ctx context.Context, in FindClosedInput) ([]UnacknowledgedCompletion, error) {
	tasks, err := a.Store.UnacknowledgedCompletions(ctx, in.AfterID, in.Limit)
	if err != nil {
		return nil, err
	}
	page := make([]UnacknowledgedCompletion, len(tasks))
	for i, t := range tasks {
		c := UnacknowledgedCompletion{OrderID: t.OrderID, TaskID: t.ID}
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

// FindOpenEpisodeInput names an order.
type FindOpenEpisodeInput struct {
	OrderID string `json:"order_id"`
}

// FindOpenEpisode returns the order's open incident, or nil.
func (a *Activities) FindOpenEpisode(ctx context.Context, in FindOpenEpisodeInput) (*OpenEpisode, error) {
	e, err := a.Store.OpenEpisodeOf(ctx, in.OrderID)
	if err != nil || e == nil {
		return nil, err
	}
	return openEpisode(e), nil
}

// RecordSweepInput is a sweep's progress or final tally.
type RecordSweepInput struct {
	SweepID             string            `json:"sweep_id"`
	AsOf                string            `json:"as_of"`
	OrdersFound         int               `json:"orders_found"`
	TotalBackorderValue map[string]string `json:"total_backorder_value"`
	WorkflowsStarted    int               `json:"workflows_started"`
	AlreadyRunning      int               `json:"already_running"`
	Reconciled          int               `json:"reconciled"`
	Finished            bool              `json:"finished"`
}

// RecordSweep saves the sweep's tally in sweep_runs.
func (a *Activities) RecordSweep(ctx context.Context, in RecordSweepInput) error {
	asOf, err := backorder.ParseDate(in.AsOf)
	if err != nil {
		return badData(ErrTypeInvalidInput, fmt.Errorf("as-of date: %w", err))
	}
	return a.Store.SaveSweepRun(ctx, store.SweepRun{
		SweepID: in.SweepID, AsOf: asOf, OrdersFound: in.OrdersFound, TotalBackorderValue: in.TotalBackorderValue,
		WorkflowsStarted: in.WorkflowsStarted, AlreadyRunning: in.AlreadyRunning, Reconciled: in.Reconciled,
		Finished: in.Finished,
	})
}

// WorkflowStarter starts one order's BackorderWorkflow. The worker wires in
// a Temporal client (workflows.Starter); activities cannot name workflows
// themselves without an import cycle.
type WorkflowStarter interface {
	// StartBackorder reports started false when the order's workflow is
	// already running.
	StartBackorder(ctx context.Context, order OverdueOrder, asOf string) (started bool, err error)
	// RunningBackorders says which of the orders have a running workflow,
	// in one request for all of them.
	RunningBackorders(ctx context.Context, orderIDs []string) (map[string]bool, error)
}

// StartBackordersInput is one page of overdue orders to start.
type StartBackordersInput struct {
	AsOf   string         `json:"as_of"`
	Orders []OverdueOrder `json:"orders"`
}

// StartBackordersResult counts what the page's starts did.
type StartBackordersResult struct {
	// Next is how many orders of the page are handled; a retried attempt
	// resumes there (it is the heartbeat).
	Next           int `json:"next"`
	Started        int `json:"started"`
	AlreadyRunning int `json:"already_running"`
	// NotStarted counts the orders whose start Temporal refused as invalid
	// (serviceerror.InvalidArgument: a workflow id too long, for one). Each
	// is logged and recorded in its row's current_status, and the page goes
	// on; the next sweep tries the order again.
	NotStarted int `json:"not_started,omitempty"`
	// StartedIDs are the orders this page started: the window counts them
	// only.
	StartedIDs []string `json:"started_ids,omitempty"`
}

const (
	// startConcurrency bounds the parallel start requests of one page.
	startConcurrency = 16
	// startWindow bounds how many started orders may still be on their way
	// to awaiting_fulfillment: a burst of thousands would only queue in the
	// worker and stretch every order's time from start to awaiting.
	startWindow = 32
	// windowWait bounds one wait for the window, so an order that never
	// reaches awaiting (no longer backordered, failing) cannot stall a sweep.
	windowWait = 15 * time.Second
)

// CurrentStatusAwaiting is the order row's current_status once its workflow
// reached awaiting_fulfillment.
const CurrentStatusAwaiting = "Backorder: awaiting fulfillment"

// StartBackorderWorkflows starts the per-order workflows of one page, in
// parallel chunks, heartbeating progress so a retry resumes after the last
// finished chunk. A start that an earlier attempt made shows as already
// running on the retry: the counts of a retried chunk can shift from
// started to already_running, never double.
//
// An order with an open episode whose workflow runs is parked: it counts as
// already running without a request of its own, from one visibility query
// for the page. Only orders without an open episode, and those whose
// workflow was lost (terminated, failed, reset), get a start request; a
// lost one's new workflow continues the open incident.
func (a *Activities) StartBackorderWorkflows(ctx context.Context, in StartBackordersInput) (StartBackordersResult, error) {
	var progress StartBackordersResult
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &progress)
	}
	toStart, err := a.ordersToStart(ctx, in.Orders[progress.Next:])
	if err != nil {
		return progress, err
	}
	for progress.Next < len(in.Orders) {
		end := min(progress.Next+startConcurrency, len(in.Orders))
		chunk := in.Orders[progress.Next:end]
		started := make([]bool, len(chunk))
		refused := make([]string, len(chunk))
		g, gctx := errgroup.WithContext(ctx)
		for i, o := range chunk {
			if !toStart[o.OrderID] {
				continue
			}
			g.Go(func() error {
				var err error
				started[i], err = a.Starter.StartBackorder(gctx, o, in.AsOf)
				// A start Temporal refuses as invalid fails on every retry:
				// it is this order's problem, not the page's.
				if invalid := (*serviceerror.InvalidArgument)(nil); errors.As(err, &invalid) {
					refused[i] = invalid.Error()
					return nil
				}
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return progress, err
		}
		for i, s := range started {
			if refused[i] != "" {
				if err := a.recordRefusedStart(ctx, chunk[i].OrderID, refused[i]); err != nil {
					return progress, err
				}
				progress.NotStarted++
				continue
			}
			if s {
				progress.Started++
				progress.StartedIDs = append(progress.StartedIDs, chunk[i].OrderID)
			} else {
				progress.AlreadyRunning++
			}
		}
		progress.Next = end
		activity.RecordHeartbeat(ctx, progress)
		if err := a.awaitStartWindow(ctx, progress); err != nil {
			return progress, err
		}
	}
	return progress, nil
}

// CurrentStatusNotStarted begins the current_status of an order whose
// workflow Temporal refused to start.
const CurrentStatusNotStarted = "Backorder: not started"

// recordRefusedStart logs a start Temporal refused as invalid and records
// it, with what to do, in the order's current_status.
func (a *Activities) recordRefusedStart(ctx context.Context, orderID, reason string) error {
	activity.GetLogger(ctx).Warn("Temporal refused to start the order's backorder workflow; recorded on the order, the sweep goes on",
		"order_id", orderID, "error", reason)
	status := fmt.Sprintf("%s: Temporal refused its workflow as invalid (%s). An order id must be at most %d characters of %s: "+
		"import the order under such an id and cancel this one (starter cancel); until then every sweep tries it again",
		CurrentStatusNotStarted, reason, importer.MaxIDLength, importer.IDChars)
	if err := a.Store.MarkOrderChecked(ctx, orderID, status); err != nil {
		return fmt.Errorf("recording that order %.40q was not started: %w", orderID, err)
	}
	return nil
}

// ordersToStart leaves out the orders whose episode is open and whose
// workflow is running, asking Temporal once for all of them.
func (a *Activities) ordersToStart(ctx context.Context, orders []OverdueOrder) (map[string]bool, error) {
	toStart := make(map[string]bool, len(orders))
	var open []string
	for _, o := range orders {
		toStart[o.OrderID] = true
		if o.OpenEpisode {
			open = append(open, o.OrderID)
		}
	}
	if len(open) == 0 {
		return toStart, nil
	}
	running, err := a.Starter.RunningBackorders(ctx, open)
	if err != nil {
		return nil, err
	}
	for id := range running {
		delete(toStart, id)
	}
	return toStart, nil
}

// awaitStartWindow waits, briefly, until fewer than startWindow of the
// orders this page started are still on their way to awaiting_fulfillment.
func (a *Activities) awaitStartWindow(ctx context.Context, progress StartBackordersResult) error {
	if len(progress.StartedIDs) < startWindow {
		return nil
	}
	deadline := time.Now().Add(windowWait)
	for time.Now().Before(deadline) {
		inFlight, err := a.Store.CountOnTheirWay(ctx, progress.StartedIDs, CurrentStatusAwaiting)
		if err != nil || inFlight < startWindow {
			return err
		}
		activity.RecordHeartbeat(ctx, progress)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
