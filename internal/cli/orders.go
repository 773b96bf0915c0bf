package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

func newStatusCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status ORDER_ID",
		Short: "Show where an order's backorder workflow is (its status query)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.client()
			if err != nil {
				return err
			}
			resp, err := c.QueryWorkflow(cmd.Context(), contract.BackorderWorkflowID(args[0]), "", contract.QueryStatus)
			if isNotFound(err) {
				return fmt.Errorf("no backorder workflow for order %s: run `starter sweep` first, or check the order id", args[0])
			}
			if err != nil {
				return fmt.Errorf("querying order %s: %w", args[0], err)
			}
			var s contract.BackorderState
			if err := resp.Get(&s); err != nil {
				return err
			}
			if asJSON {
				return e.printJSON(s)
			}
			t := e.table()
			fmt.Fprintf(t, "Order\t%s\n", s.OrderID)
			fmt.Fprintf(t, "Stage\t%s\n", s.Stage)
			fmt.Fprintf(t, "Delay\t%d days\n", s.DelayDays)
			fmt.Fprintf(t, "Backorder value\t%s %s\n", s.BackorderValue, s.Currency)
			fmt.Fprintf(t, "New ETA\t%s (revision %d)\n", s.NewETA, s.ETAVersion)
			fmt.Fprintf(t, "Incident\t%s\n", s.IncidentID)
			fmt.Fprintf(t, "Customer notified\t%s\n", yesNo(s.CustomerNotified))
			fmt.Fprintf(t, "Warehouse alerted\t%s\n", yesNo(s.WarehouseAlerted))
			for _, task := range s.Tasks {
				fmt.Fprintf(t, "Task %s\t%s, %s\n", task.ID, task.Role, task.Status)
			}
			return t.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newFulfillCmd(e *env) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "fulfill ORDER_ID",
		Short: "Mark a backordered order Fulfilled and tell its workflow to close the backorder",
		Long: `fulfill marks a Backordered order Fulfilled in PostgreSQL and signals
order-fulfilled (with --note) to its backorder-<ORDER_ID> workflow, which
closes the incident, its open tasks and alerts.

Only a Backordered order can be fulfilled here: one already Fulfilled or
Cancelled, or still Pending, is refused and nothing is changed. Temporal is
contacted before the row is written, so an unreachable Temporal changes
nothing. If the row is written but the signal cannot be delivered, the
next sweep tells the workflow (it reconciles closed orders whose incident
is still open).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.closeOrder(cmd.Context(), args[0], fulfilment, contract.OrderFulfilledSignal{Note: note})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "how the order was fulfilled (kept on the incident)")
	return cmd
}

func newCancelCmd(e *env) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel ORDER_ID",
		Short: "Mark an order Cancelled and tell its workflow to close the backorder",
		Long: `cancel marks a Backordered or Pending order Cancelled in PostgreSQL and
signals order-cancelled (with --reason) to its backorder-<ORDER_ID>
workflow, which closes the incident, its open tasks and alerts.

An order already Fulfilled or Cancelled is refused and nothing is changed.
Temporal is contacted before the row is written, so an unreachable Temporal
changes nothing. If the row is written but the signal cannot be delivered,
the next sweep tells the workflow.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.closeOrder(cmd.Context(), args[0], cancellation, contract.OrderCancelledSignal{Reason: reason})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the order was cancelled (kept on the incident)")
	return cmd
}

// closing is how `fulfill` or `cancel` ends an order.
type closing struct {
	verb   string                 // what the command does, for messages
	status contract.OrderStatus   // the order status it sets
	from   []contract.OrderStatus // the statuses it may be set from
	signal string
}

var (
	fulfilment = closing{verb: "fulfill", status: contract.OrderFulfilled,
		from: []contract.OrderStatus{contract.OrderBackordered}, signal: contract.SignalOrderFulfilled}
	cancellation = closing{verb: "cancel", status: contract.OrderCancelled,
		from: []contract.OrderStatus{contract.OrderBackordered, contract.OrderPending}, signal: contract.SignalOrderCancelled}
)

// refusal says why an order in status current cannot be closed this way,
// and what to do instead; nil when it can.
func (k closing) refusal(orderID string, current contract.OrderStatus) error {
	if slices.Contains(k.from, current) {
		return nil
	}
	switch {
	case current == k.status:
		return fmt.Errorf("order %s is already %s: nothing to do (nothing was changed)", orderID, current)
	case current == contract.OrderPending:
		return fmt.Errorf("order %s is Pending, not Backordered: `starter fulfill` only closes backorders, so ship it as usual or `starter cancel` it (nothing was changed)", orderID)
	default:
		return fmt.Errorf("order %s is %s, so it cannot be %s: if its status is wrong, correct it in the order data and import it again (nothing was changed)",
			orderID, current, k.status)
	}
}

// closeOrder sets the order row's status, guarded by its current status, and
// then signals the workflow. Temporal is dialled first, so an unreachable
// server changes nothing; a signal lost after the write is made good by the
// next sweep's reconciliation.
func (e *env) closeOrder(ctx context.Context, orderID string, k closing, payload any) error {
	db, err := e.store(ctx)
	if err != nil {
		return err
	}
	// Check first, so a closed order is refused even when Temporal is down;
	// ChangeOrderStatus checks again in the same statement as the write.
	order, err := db.Order(ctx, orderID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("order %s does not exist: check the id with `starter tasks` or the import file", orderID)
	}
	if err != nil {
		return err
	}
	if err := k.refusal(orderID, order.Status); err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return fmt.Errorf("order %s was not marked %s (nothing was changed): %w", orderID, k.status, err)
	}
	err = db.ChangeOrderStatus(ctx, orderID, k.status, k.from)
	var refused *store.StatusRefusedError
	switch {
	case errors.As(err, &refused):
		return k.refusal(orderID, refused.Status)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("order %s does not exist: check the id with `starter tasks` or the import file", orderID)
	case err != nil:
		return err
	}
	sigCtx, cancel := context.WithTimeout(ctx, updateTimeout)
	defer cancel()
	err = c.SignalWorkflow(sigCtx, contract.BackorderWorkflowID(orderID), "", k.signal, payload)
	if isNotFound(err) {
		fmt.Fprintf(e.out, "order %s marked %s; it had no running backorder workflow (the next sweep closes any open backorder episode)\n", orderID, k.status)
		return nil
	}
	if err != nil {
		return fmt.Errorf("order %s is marked %s in the database, but its backorder workflow could not be told (%v): the next sweep will tell it",
			orderID, k.status, err)
	}
	fmt.Fprintf(e.out, "order %s marked %s; its backorder workflow is closing\n", orderID, k.status)
	return nil
}

func isNotFound(err error) bool {
	var notFound *serviceerror.NotFound
	return errors.As(err, &notFound)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
