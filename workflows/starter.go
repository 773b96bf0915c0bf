package workflows

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/activities"
)

// Starter starts per-order workflows through a Temporal client: the sweep's
// StartBackorderWorkflows activity uses it (client code, not workflow code).
type Starter struct {
	Client    client.Client
	TaskQueue string
}

// StartBackorder starts backorder-<ORDER_ID>, or reports that it is already
// running. A finished workflow of an earlier backorder episode does not
// block a new one.
func (s Starter) StartBackorder(ctx context.Context, o activities.OverdueOrder, asOf string) (bool, error) {
	value, _ := decimal.NewFromString(o.BackorderValue)
	_, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        BackorderWorkflowID(o.OrderID),
		TaskQueue: s.TaskQueue,
		// The first workflow task comes back with the start response and runs
		// on this worker: one matching round trip less per order.
		EnableEagerStart:                         true,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			OrderIDKey.ValueSet(o.OrderID),
			BackorderStageKey.ValueSet(StageAssessing),
			BackorderValueKey.ValueSet(value.InexactFloat64()),
			DelayDaysKey.ValueSet(int64(o.DelayDays)),
		),
	}, BackorderWorkflow, BackorderInput{OrderID: o.OrderID, AsOf: asOf})
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return false, nil
	}
	return err == nil, err
}

// RunningBackorders asks Temporal's visibility store, in one list request
// (more only past a thousand), which of the orders have a running
// BackorderWorkflow. Visibility may lag a start by a moment; an order it
// misses is merely sent a start request, which the running workflow's id
// refuses.
func (s Starter) RunningBackorders(ctx context.Context, orderIDs []string) (map[string]bool, error) {
	running := make(map[string]bool, len(orderIDs))
	quoted := make([]string, 0, len(orderIDs))
	for _, id := range orderIDs {
		// Imported ids cannot hold quotes or backslashes; should one ever,
		// it is simply not listed here and gets a start request.
		if !strings.ContainsAny(id, `'"\`) {
			quoted = append(quoted, "'"+BackorderWorkflowID(id)+"'")
		}
	}
	if len(quoted) == 0 {
		return running, nil
	}
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND WorkflowId IN (%s)",
		BackorderWorkflowName, strings.Join(quoted, ","))
	var token []byte
	for {
		resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: int32(min(len(quoted), 1000)), NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("listing running backorder workflows: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			running[strings.TrimPrefix(e.GetExecution().GetWorkflowId(), "backorder-")] = true
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return running, nil
		}
	}
}
