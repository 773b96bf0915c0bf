package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
)

func newStatusCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status ORDER_ID",
		Short: "Show where an order's backorder workflow is (its status query)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := e.ops().Status(cmd.Context(), args[0])
			if err != nil {
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
	var asJSON bool
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
			return e.closeOrder(cmd.Context(), operations.CloseOrder{OrderID: args[0], To: contract.OrderFulfilled, Note: note, By: currentUser()}, asJSON)
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "how the order was fulfilled (kept on the incident)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func newCancelCmd(e *env) *cobra.Command {
	var reason string
	var asJSON bool
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
			return e.closeOrder(cmd.Context(), operations.CloseOrder{OrderID: args[0], To: contract.OrderCancelled, Note: reason, By: currentUser()}, asJSON)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the order was cancelled (kept on the incident)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// orderClosedJSON is the public JSON of `starter fulfill --json` and
// `starter cancel --json`.
type orderClosedJSON struct {
	OrderID string               `json:"order_id"`
	Status  contract.OrderStatus `json:"status"`
	// WorkflowTold: its backorder workflow was signalled and is closing;
	// false when it had none running.
	WorkflowTold bool `json:"workflow_told"`
}

// closeOrder marks the order closed through the operations service and
// says what happened.
func (e *env) closeOrder(ctx context.Context, in operations.CloseOrder, asJSON bool) error {
	done, err := e.ops().CloseOrder(ctx, in)
	if err != nil {
		return err
	}
	if asJSON {
		return e.printJSON(orderClosedJSON{OrderID: done.OrderID, Status: done.Status, WorkflowTold: done.WorkflowTold})
	}
	if !done.WorkflowTold {
		fmt.Fprintf(e.out, "order %s marked %s; it had no running backorder workflow (the next sweep closes any open backorder episode)\n", done.OrderID, done.Status)
		return nil
	}
	fmt.Fprintf(e.out, "order %s marked %s; its backorder workflow is closing\n", done.OrderID, done.Status)
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
