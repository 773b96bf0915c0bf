package workflows

import (
	"context"

	"github.com/shopspring/decimal"
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
