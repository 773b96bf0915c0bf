package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/describe"
	"github.com/acme/backorders/internal/importer"
	"github.com/acme/backorders/internal/store"
)

// WorkflowClient is the part of the Temporal client (client.Client) that
// the sweep's start step uses.
type WorkflowClient interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	CountWorkflow(ctx context.Context, request *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error)
	ListWorkflow(ctx context.Context, request *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
}

// Temporal is where the sweep's start step starts per-order workflows: a
// client and the task queue they run on. The worker passes its own client,
// so eager starts run on it.
type Temporal struct {
	Client    WorkflowClient
	TaskQueue string
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
func (a *Activities) StartBackorderWorkflows(ctx context.Context, in contract.StartBackordersInput) (contract.StartBackordersResult, error) {
	var progress contract.StartBackordersResult
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
		closed := make([]bool, len(chunk))
		g, gctx := errgroup.WithContext(ctx)
		for i, o := range chunk {
			if !toStart[o.OrderID] {
				continue
			}
			g.Go(func() error {
				shown, err := a.describeOrder(gctx, o)
				if err != nil {
					return err
				}
				if closed[i], err = a.closedMeanwhile(gctx, o.OrderID); err != nil || closed[i] {
					return err
				}
				started[i], err = a.Temporal.startBackorder(gctx, o, in.AsOf, shown)
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
			if closed[i] {
				continue
			}
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

// ordersToStart leaves out the orders whose episode is open and whose
// workflow is running, asking Temporal once for all of them.
func (a *Activities) ordersToStart(ctx context.Context, orders []contract.OverdueOrder) (map[string]bool, error) {
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
	running, err := a.Temporal.runningBackorders(ctx, open)
	if err != nil {
		return nil, err
	}
	for id := range running {
		delete(toStart, id)
	}
	return toStart, nil
}

// closedMeanwhile reads, just before its start, whether the order is no
// longer backordered. An attempt held up after reading its page (by a
// locked table, for one, or an attempt the server already gave up on,
// still running beside its retry) could otherwise start an order
// fulfilled meanwhile, whose workflow may have completed already: a
// second, empty run (the lookup-hang drill found it). Such an order is
// counted neither started nor running; an open episode of it is its
// running workflow's, or the sweep's reconciliation's, to close. An order
// gone meanwhile is started: its workflow finds it gone.
func (a *Activities) closedMeanwhile(ctx context.Context, orderID string) (bool, error) {
	statuses, err := a.Store.OrderStatuses(ctx, []string{orderID})
	if err != nil {
		return false, err
	}
	status, ok := statuses[orderID]
	return ok && status != contract.OrderBackordered, nil
}

// recordRefusedStart logs a start Temporal refused as invalid and records
// it, with what to do, in the order's current_status.
func (a *Activities) recordRefusedStart(ctx context.Context, orderID, reason string) error {
	activity.GetLogger(ctx).Warn("Temporal refused to start the order's backorder workflow; recorded on the order, the sweep goes on",
		"order_id", orderID, "error", reason)
	status := fmt.Sprintf("%s: Temporal refused its workflow as invalid (%s). An order id must be at most %d characters of %s: "+
		"import the order under such an id and cancel this one (starter cancel); until then every sweep tries it again",
		contract.CurrentStatusNotStarted, reason, importer.MaxIDLength, importer.IDChars)
	if err := a.Store.MarkOrderChecked(ctx, orderID, status); err != nil {
		return fmt.Errorf("recording that order %.40q was not started: %w", orderID, err)
	}
	return nil
}

// awaitStartWindow waits, briefly, until fewer than startWindow of the
// orders this page started are still on their way to awaiting_fulfillment.
func (a *Activities) awaitStartWindow(ctx context.Context, progress contract.StartBackordersResult) error {
	if len(progress.StartedIDs) < startWindow {
		return nil
	}
	deadline := time.Now().Add(windowWait)
	for time.Now().Before(deadline) {
		inFlight, err := a.Store.CountOnTheirWay(ctx, progress.StartedIDs, contract.CurrentStatusAwaiting)
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

// describeOrder is what the Web UI shows of the order's workflow from its
// start: the sweep's figures, the order's lines, and the ETA already given
// when an open episode is taken over. An order gone meanwhile is described
// without lines; its workflow finds it gone.
func (a *Activities) describeOrder(ctx context.Context, o contract.OverdueOrder) (describe.Order, error) {
	shown := describe.Order{OrderID: o.OrderID, DelayDays: o.DelayDays, Value: o.BackorderValue, Currency: o.Currency}
	order, err := a.Store.Order(ctx, o.OrderID)
	if errors.Is(err, store.ErrNotFound) {
		return shown, nil
	}
	if err != nil {
		return shown, err
	}
	for _, l := range order.Lines {
		shown.Lines = append(shown.Lines, describe.Line{SKU: l.SKU, Product: l.ProductName, Quantity: l.Quantity, Backordered: l.BackorderedQuantity})
	}
	if o.OpenEpisode {
		episode, err := a.Store.OpenEpisodeOf(ctx, o.OrderID)
		if err != nil {
			return shown, err
		}
		if episode != nil {
			shown.ETA = episode.ETA.Format(backorder.DateLayout)
		}
	}
	return shown, nil
}

// startBackorder starts backorder-<ORDER_ID> under its registered name, or
// reports that it is already running. A finished workflow of an earlier
// backorder episode does not block a new one.
func (t Temporal) startBackorder(ctx context.Context, o contract.OverdueOrder, asOf string, shown describe.Order) (bool, error) {
	value, _ := decimal.NewFromString(o.BackorderValue)
	_, err := t.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:            contract.BackorderWorkflowID(o.OrderID),
		TaskQueue:     t.TaskQueue,
		StaticSummary: describe.BackorderSummary(shown),
		StaticDetails: describe.BackorderDetails(shown),
		// The first workflow task comes back with the start response and runs
		// on this worker: one matching round trip less per order.
		EnableEagerStart:                         true,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contract.OrderIDKey.ValueSet(o.OrderID),
			contract.BackorderStageKey.ValueSet(string(contract.StageAssessing)),
			contract.BackorderValueKey.ValueSet(value.InexactFloat64()),
			contract.DelayDaysKey.ValueSet(int64(o.DelayDays)),
		),
	}, contract.BackorderWorkflowName, contract.BackorderInput{OrderID: o.OrderID, AsOf: asOf})
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return false, nil
	}
	return err == nil, err
}

// runningBackorders asks Temporal's visibility store which of the orders
// have a running BackorderWorkflow: first how many, and when that is all
// of them (every order parked, a second sweep's usual page) nothing more;
// otherwise which, in one list request (more only past a thousand). A
// count costs the dev server a tenth of a list of 500, whose every row
// carries its search attributes and summary. Visibility may lag a start
// by a moment; an order it misses is merely sent a start request, which
// the running workflow's id refuses.
func (t Temporal) runningBackorders(ctx context.Context, orderIDs []string) (map[string]bool, error) {
	running := make(map[string]bool, len(orderIDs))
	quoted := make([]string, 0, len(orderIDs))
	listed := make([]string, 0, len(orderIDs))
	for _, id := range orderIDs {
		// Imported ids cannot hold quotes or backslashes; should one ever,
		// it is simply not listed here and gets a start request.
		if !strings.ContainsAny(id, `'"\`) {
			quoted = append(quoted, "'"+contract.BackorderWorkflowID(id)+"'")
			listed = append(listed, id)
		}
	}
	if len(quoted) == 0 {
		return running, nil
	}
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND WorkflowId IN (%s)",
		contract.BackorderWorkflowName, strings.Join(quoted, ","))
	count, err := t.Client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return nil, fmt.Errorf("counting running backorder workflows: %w", err)
	}
	if count.GetCount() == int64(len(listed)) {
		for _, id := range listed {
			running[id] = true
		}
		return running, nil
	}
	var token []byte
	for {
		resp, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: int32(min(len(quoted), 1000)), NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("listing running backorder workflows: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			running[strings.TrimPrefix(e.GetExecution().GetWorkflowId(), contract.BackorderWorkflowIDPrefix)] = true
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return running, nil
		}
	}
}
