package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
)

// updateTimeout bounds one Temporal Update or signal from the CLI: the
// workflow's handler runs activities before it answers, but a worker that
// is not running must not hang the command.
const updateTimeout = 30 * time.Second

// today is the current date in the business timezone (BACKORDER_TIMEZONE).
func (e *env) today() time.Time {
	return backorder.DateOf(time.Now(), e.cfg.Location)
}

// futureDate parses a date flag that must be after today in the business
// timezone: a new ETA cannot be today or in the past.
func (e *env) futureDate(flag, value string) (time.Time, error) {
	d, err := backorder.ParseDate(value)
	if err != nil {
		return d, fmt.Errorf("%s: %w", flag, err)
	}
	if today := e.today(); !d.After(today) {
		return d, fmt.Errorf("%s %s is not after today (%s, %s): give the date the goods are now expected, tomorrow or later",
			flag, value, today.Format(backorder.DateLayout), e.cfg.Location)
	}
	return d, nil
}

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

// updateOutcome is what the CLI makes of an Update's error.
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
