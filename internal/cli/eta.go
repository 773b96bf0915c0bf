package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/contract"
)

func newETACmd(e *env) *cobra.Command {
	var by, note, eta string
	cmd := &cobra.Command{
		Use:   "eta ORDER_ID --eta YYYY-MM-DD",
		Short: "Revise a backordered order's ETA through its workflow (procurement)",
		Long: `eta sends the revise-eta update to the order's backorder-<ORDER_ID>
workflow: procurement moves the estimated delivery date again. The
workflow's validator checks the request (an ETA after today, among
others); once accepted, the workflow records the new ETA as the next
revision and carries on from it. The command prints the new ETA and its
revision number.

--eta must be a date after today in BACKORDER_TIMEZONE; it is checked
before anything is contacted. A refusal by the workflow, an order without
a running backorder workflow and an unreachable Temporal each fail with
one line, and nothing is changed.`,
		Example: `  starter eta SO-1001 --eta 2026-12-15 --note "supplier moved the shipment"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.reviseETA(cmd.Context(), args[0], by, note, eta)
		},
	}
	cmd.Flags().StringVar(&eta, "eta", "", "the new estimated delivery date, YYYY-MM-DD, after today (required)")
	cmd.Flags().StringVar(&by, "by", "", "who revised it (default: the current user)")
	cmd.Flags().StringVar(&note, "note", "", "why the date moved (kept on the incident)")
	_ = cmd.MarkFlagRequired("eta")
	return cmd
}

func (e *env) reviseETA(ctx context.Context, orderID, by, note, eta string) error {
	if _, err := e.futureDate("--eta", eta); err != nil {
		return err
	}
	if by == "" {
		by = currentUser()
	}
	c, err := e.client()
	if err != nil {
		return fmt.Errorf("order %s's ETA was not revised (nothing was changed): %w", orderID, err)
	}
	state, err := updateOrder(ctx, c, orderID, contract.UpdateReviseETA, contract.ReviseETARequest{ETA: eta, RevisedBy: by, Note: note})
	outcome, reason := classifyUpdate(err)
	switch outcome {
	case updateDone:
	case updateRefused:
		return fmt.Errorf("order %s's workflow refused ETA %s: %s (nothing was changed)", orderID, eta, reason)
	case updateNoWorkflow:
		return fmt.Errorf("order %s has no running backorder workflow, so its ETA cannot be revised: check the id, or run `starter sweep` if it is overdue (nothing was changed)", orderID)
	case updateUnreachable:
		return fmt.Errorf("order %s's ETA was not revised (nothing was changed): Temporal at %s could not be reached: %s", orderID, e.cfg.TemporalAddress, reason)
	case updateTimedOut:
		return fmt.Errorf("order %s's workflow did not answer within %s (is a worker running?): the revision may still be applied when a worker picks it up, so check `starter status %s` before trying again",
			orderID, updateTimeout, orderID)
	default:
		return fmt.Errorf("revising order %s's ETA failed (nothing was changed): %s", orderID, reason)
	}
	fmt.Fprintf(e.out, "order %s's ETA is now %s (revision %d), revised by %s\n", orderID, state.NewETA, state.ETAVersion, by)
	return nil
}
