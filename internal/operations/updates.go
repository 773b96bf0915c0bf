package operations

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/contract"
)

// updateOrder sends a Temporal Update to the order's backorder workflow and
// waits for its result, within updateTimeout.
func updateOrder(ctx context.Context, c client.Client, orderID, update string, in any) (contract.BackorderState, error) {
	ctx, cancel := context.WithTimeout(ctx, updateTimeout)
	defer cancel()
	var state contract.BackorderState
	handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   contract.BackorderWorkflowID(orderID),
		UpdateName:   update,
		Args:         []any{in},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &state)
	}
	return state, err
}

// updateOutcome is what an operation makes of an Update's error.
type updateOutcome int

const (
	updateDone        updateOutcome = iota
	updateRefused                   // the workflow's validator (or handler) said no
	updateNoWorkflow                // no running workflow for the order
	updateUnreachable               // the Temporal server did not answer
	updateTimedOut                  // no answer within updateTimeout: no worker?
	updateFailed                    // anything else
)

// classifyUpdate sorts an Update's error and gives the reason to show: for
// a refusal, the workflow's own message without the SDK's decorations.
func classifyUpdate(err error) (updateOutcome, string) {
	if err == nil {
		return updateDone, ""
	}
	var (
		notFound    *serviceerror.NotFound
		app         *temporal.ApplicationError
		timedOut    *client.WorkflowUpdateServiceTimeoutOrCanceledError
		deadline    *serviceerror.DeadlineExceeded
		unavailable *serviceerror.Unavailable
	)
	switch {
	case errors.As(err, &notFound):
		return updateNoWorkflow, notFound.Error()
	case errors.As(err, &app):
		return updateRefused, app.Message()
	case errors.As(err, &timedOut), errors.As(err, &deadline), errors.Is(err, context.DeadlineExceeded):
		return updateTimedOut, err.Error()
	case errors.As(err, &unavailable):
		return updateUnreachable, err.Error()
	}
	return updateFailed, err.Error()
}

func isNotFound(err error) bool {
	var notFound *serviceerror.NotFound
	return errors.As(err, &notFound)
}
