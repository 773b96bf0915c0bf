package operations

import (
	"context"
	"fmt"

	"github.com/acme/backorders/internal/contract"
)

// ReviseETA is a request to move a backordered order's ETA.
type ReviseETA struct {
	OrderID string
	// By is who revised it; required.
	By   string
	Note string
	// ETA is the new estimated delivery date, YYYY-MM-DD, after today in
	// the business timezone.
	ETA string
}

// ReviseETA sends the revise-eta Update to the order's workflow, whose
// validator checks it; once accepted the workflow records the new ETA as
// the next revision, and the state it returns carries it (NewETA,
// ETAVersion). The date is checked before anything is contacted: one that
// does not parse is an *InvalidError, one not after today a *RefusedError,
// as is the validator's refusal. An order without a running workflow is a
// *NotFoundError. Nothing is written unless the workflow accepts.
func (s *Service) ReviseETA(ctx context.Context, in ReviseETA) (contract.BackorderState, error) {
	var state contract.BackorderState
	if err := required("order_id", in.OrderID); err != nil {
		return state, err
	}
	if _, err := s.futureDate("eta", in.ETA); err != nil {
		return state, err
	}
	if err := required("by", in.By); err != nil {
		return state, err
	}
	c, err := s.temporal()
	if err != nil {
		return state, fmt.Errorf("order %s's ETA was not revised (nothing was changed): %w", in.OrderID, err)
	}
	state, err = updateOrder(ctx, c, in.OrderID, contract.UpdateReviseETA, contract.ReviseETARequest{ETA: in.ETA, RevisedBy: in.By, Note: in.Note})
	outcome, reason := classifyUpdate(err)
	switch outcome {
	case updateDone:
		return state, nil
	case updateRefused:
		return state, &RefusedError{Reason: fmt.Sprintf("order %s's workflow refused ETA %s: %s (nothing was changed)", in.OrderID, in.ETA, reason)}
	case updateNoWorkflow:
		return state, &NotFoundError{What: whatRunningWorkflow, ID: in.OrderID,
			Hint: "its ETA cannot be revised: check the id, or run `starter sweep` if it is overdue (nothing was changed)"}
	case updateUnreachable:
		return state, fmt.Errorf("order %s's ETA was not revised (nothing was changed): Temporal at %s could not be reached: %s", in.OrderID, s.Config.TemporalAddress, reason)
	case updateTimedOut:
		return state, fmt.Errorf("order %s's workflow did not answer within %s (is a worker running?): the revision may still be applied when a worker picks it up, so check `starter status %s` before trying again",
			in.OrderID, updateTimeout, in.OrderID)
	}
	return state, fmt.Errorf("revising order %s's ETA failed (nothing was changed): %s", in.OrderID, reason)
}
