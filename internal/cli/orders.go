package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/workflows"
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
			resp, err := c.QueryWorkflow(cmd.Context(), workflows.BackorderWorkflowID(args[0]), "", workflows.QueryStatus)
			if isNotFound(err) {
				return fmt.Errorf("no backorder workflow for order %s: run `starter sweep` first, or check the order id", args[0])
			}
			if err != nil {
				return fmt.Errorf("querying order %s: %w", args[0], err)
			}
			var s workflows.BackorderState
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
	return &cobra.Command{
		Use:   "fulfill ORDER_ID",
		Short: "Mark an order Fulfilled and signal its workflow to clean up",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.closeOrder(cmd.Context(), args[0], "Fulfilled", workflows.SignalOrderFulfilled, workflows.OrderFulfilledSignal{})
		},
	}
}

func newCancelCmd(e *env) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "cancel ORDER_ID",
		Short: "Mark an order Cancelled and signal its workflow to clean up",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.closeOrder(cmd.Context(), args[0], "Cancelled", workflows.SignalOrderCancelled, workflows.OrderCancelledSignal{Reason: reason})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the order was cancelled")
	return cmd
}

// closeOrder sets the order row's status first, so a signal lost in between
// is made good by the next sweep's reconciliation.
func (e *env) closeOrder(ctx context.Context, orderID, status, signal string, payload any) error {
	db, err := e.store(ctx)
	if err != nil {
		return err
	}
	if err := db.SetOrderStatus(ctx, orderID, status); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("order %s does not exist: check the id with `starter tasks` or the import file", orderID)
		}
		return err
	}
	c, err := e.client()
	if err != nil {
		return err
	}
	err = c.SignalWorkflow(ctx, workflows.BackorderWorkflowID(orderID), "", signal, payload)
	if isNotFound(err) {
		fmt.Fprintf(e.out, "order %s marked %s; it had no running backorder workflow\n", orderID, status)
		return nil
	}
	if err != nil {
		return fmt.Errorf("order %s is marked %s, but signalling its workflow failed (the next sweep will retry): %w", orderID, status, err)
	}
	fmt.Fprintf(e.out, "order %s marked %s; its backorder workflow is closing\n", orderID, status)
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
