package operations

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// CloseOrder is a request to mark an order Fulfilled or Cancelled.
type CloseOrder struct {
	OrderID string
	// To is contract.OrderFulfilled or contract.OrderCancelled.
	To contract.OrderStatus
	// Note is how it was fulfilled or why it was cancelled; it travels with
	// the closing signal and is kept on the incident.
	Note string
	// By is who closed it (the signed-in user, the API token's name, the
	// CLI's user); it is kept on the order's open incident as closed_by.
	By string
}

// OrderClosed is what CloseOrder did.
type OrderClosed struct {
	OrderID string
	Status  contract.OrderStatus
	// WorkflowTold: the order's backorder workflow was signalled and is
	// closing. False when the order had no running workflow (the next sweep
	// closes any open episode).
	WorkflowTold bool
}

// closing is how an order may be ended: the statuses it may be set from.
type closing struct {
	from   []contract.OrderStatus
	signal string
}

var closings = map[contract.OrderStatus]closing{
	contract.OrderFulfilled: {from: []contract.OrderStatus{contract.OrderBackordered}, signal: contract.SignalOrderFulfilled},
	contract.OrderCancelled: {from: []contract.OrderStatus{contract.OrderBackordered, contract.OrderPending}, signal: contract.SignalOrderCancelled},
}

// refusal says why an order in status current cannot be set to status,
// and what to do instead; nil when it can.
func (k closing) refusal(orderID string, status, current contract.OrderStatus) error {
	if slices.Contains(k.from, current) {
		return nil
	}
	switch {
	case current == status:
		return &RefusedError{Reason: fmt.Sprintf("order %s is already %s: nothing to do (nothing was changed)", orderID, current)}
	case current == contract.OrderPending:
		return &RefusedError{Reason: fmt.Sprintf("order %s is Pending, not Backordered: `starter fulfill` only closes backorders, so ship it as usual or `starter cancel` it (nothing was changed)", orderID)}
	}
	return &RefusedError{Reason: fmt.Sprintf("order %s is %s, so it cannot be %s: if its status is wrong, correct it in the order data and import it again (nothing was changed)",
		orderID, current, status)}
}

func orderNotFound(orderID string) error {
	return &NotFoundError{What: "order", ID: orderID, Hint: "check the id with `starter backorders` or the import file"}
}

// CloseOrder sets the order row's status, guarded by its current status
// (only a Backordered order is fulfilled; a Backordered or Pending one is
// cancelled), and then signals order-fulfilled or order-cancelled to its
// workflow, which closes the incident, its open tasks and alerts.
// Temporal is reached first, so an unreachable server changes nothing; a
// signal lost after the write is made good by the next sweep's
// reconciliation. A refused status is a *RefusedError, an unknown order a
// *NotFoundError.
func (s *Service) CloseOrder(ctx context.Context, in CloseOrder) (OrderClosed, error) {
	done := OrderClosed{OrderID: in.OrderID, Status: in.To}
	k, ok := closings[in.To]
	if !ok {
		return done, &InvalidError{Field: "to", Reason: fmt.Sprintf("%q: an order is closed as %s or %s", in.To, contract.OrderFulfilled, contract.OrderCancelled)}
	}
	if err := required("order_id", in.OrderID); err != nil {
		return done, err
	}
	db, err := s.store(ctx)
	if err != nil {
		return done, err
	}
	// Check first, so a closed order is refused even when Temporal is down;
	// ChangeOrderStatus checks again in the same statement as the write.
	order, err := db.Order(ctx, in.OrderID)
	if errors.Is(err, store.ErrNotFound) {
		return done, orderNotFound(in.OrderID)
	}
	if err != nil {
		return done, err
	}
	if err := k.refusal(in.OrderID, in.To, order.Status); err != nil {
		return done, err
	}
	c, err := s.temporal()
	if err == nil {
		// A held client may have lost its server since it was dialled: ask
		// it something (what the SDK's own dial asks) before the write.
		_, err = c.WorkflowService().GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{})
	}
	if err != nil {
		return done, fmt.Errorf("order %s was not marked %s (nothing was changed): %w", in.OrderID, in.To, err)
	}
	err = db.ChangeOrderStatus(ctx, in.OrderID, in.To, k.from, in.By)
	var refused *store.StatusRefusedError
	switch {
	case errors.As(err, &refused):
		return done, k.refusal(in.OrderID, in.To, refused.Status)
	case errors.Is(err, store.ErrNotFound):
		return done, orderNotFound(in.OrderID)
	case err != nil:
		return done, err
	}
	var payload any = contract.OrderFulfilledSignal{Note: in.Note}
	if in.To == contract.OrderCancelled {
		payload = contract.OrderCancelledSignal{Reason: in.Note}
	}
	sigCtx, cancel := context.WithTimeout(ctx, updateTimeout)
	defer cancel()
	err = c.SignalWorkflow(sigCtx, contract.BackorderWorkflowID(in.OrderID), "", k.signal, payload)
	if isNotFound(err) {
		return done, nil
	}
	if err != nil {
		return done, fmt.Errorf("order %s is marked %s in the database, but its backorder workflow could not be told (%v): the next sweep will tell it",
			in.OrderID, in.To, err)
	}
	done.WorkflowTold = true
	return done, nil
}

// Status is the order's backorder workflow's answer to its status query;
// a *NotFoundError when the order has no workflow.
func (s *Service) Status(ctx context.Context, orderID string) (contract.BackorderState, error) {
	var state contract.BackorderState
	if err := required("order_id", orderID); err != nil {
		return state, err
	}
	c, err := s.temporal()
	if err != nil {
		return state, err
	}
	resp, err := c.QueryWorkflow(ctx, contract.BackorderWorkflowID(orderID), "", contract.QueryStatus)
	if isNotFound(err) {
		return state, &NotFoundError{What: whatWorkflow, ID: orderID, Hint: "run `starter sweep` first, or check the order id"}
	}
	if err != nil {
		return state, fmt.Errorf("querying order %s: %w", orderID, err)
	}
	return state, resp.Get(&state)
}
