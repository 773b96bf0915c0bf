package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
)

func newETACmd(e *env) *cobra.Command {
	var by, note, eta string
	var asJSON bool
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
			return e.reviseETA(cmd.Context(), operations.ReviseETA{OrderID: args[0], By: by, Note: note, ETA: eta}, asJSON)
		},
	}
	cmd.Flags().StringVar(&eta, "eta", "", "the new estimated delivery date, YYYY-MM-DD, after today (required)")
	cmd.Flags().StringVar(&by, "by", "", "who revised it (default: the current user)")
	cmd.Flags().StringVar(&note, "note", "", "why the date moved (kept on the incident)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	_ = cmd.MarkFlagRequired("eta")
	return cmd
}

// etaRevisedJSON is the public JSON of `starter eta --json`.
type etaRevisedJSON struct {
	OrderID    string                  `json:"order_id"`
	NewETA     string                  `json:"new_eta"`
	ETAVersion int                     `json:"eta_version"`
	RevisedBy  string                  `json:"revised_by"`
	State      contract.BackorderState `json:"state"`
}

func (e *env) reviseETA(ctx context.Context, in operations.ReviseETA, asJSON bool) error {
	if in.By == "" {
		in.By = currentUser()
	}
	state, err := e.ops().ReviseETA(ctx, in)
	if err != nil {
		return flagNamed(err, "eta", "--eta")
	}
	if asJSON {
		return e.printJSON(etaRevisedJSON{OrderID: in.OrderID, NewETA: state.NewETA, ETAVersion: state.ETAVersion, RevisedBy: in.By, State: state})
	}
	fmt.Fprintf(e.out, "order %s's ETA is now %s (revision %d), revised by %s\n", in.OrderID, state.NewETA, state.ETAVersion, in.By)
	return nil
}
