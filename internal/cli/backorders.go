package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

func newBackordersCmd(e *env) *cobra.Command {
	var stage, orderID, minValue string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "backorders",
		Short: "List the open backorder episodes from PostgreSQL: order, stage, delay, value, ETA, incident, age",
		Long: `backorders lists the open backorder episodes (one per order with an open
incident), oldest first, from PostgreSQL: no Temporal or Web UI is needed to
find an order number. Each shows its stage, the delay when it opened, the
backorder value and currency, the current ETA and its revision, the
incident and how long it has been open.

An open episode's stage is awaiting_fulfillment or escalated; --stage takes
any stage a workflow reports (the others match nothing here). --min-value
compares with each episode's value in its own currency.`,
		Example: `  starter backorders
  starter backorders --stage escalated --min-value 1000
  starter backorders --order SO-1001 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := store.BackorderFilter{Stage: contract.Stage(stage), OrderID: orderID, Limit: limit}
			if minValue != "" {
				v, err := backorder.ParseMoney(minValue)
				if err != nil {
					return badValue("--min-value: %v", err)
				}
				f.MinValue = &v
			}
			list, err := e.ops().Backorders(cmd.Context(), f)
			if err != nil {
				return flagsNamed(err, map[string]string{"stage": "--stage", "limit": "--limit", "min_value": "--min-value"})
			}
			now := time.Now()
			if asJSON {
				out := make([]operations.BackorderView, len(list))
				for i, b := range list {
					out[i] = operations.ViewOf(b, now)
				}
				return e.printJSON(out)
			}
			if len(list) == 0 {
				fmt.Fprintln(e.out, "no open backorders match")
				return nil
			}
			t := e.table()
			fmt.Fprintln(t, "ORDER\tSTAGE\tDELAY\tVALUE\tCURRENCY\tETA\tINCIDENT\tAGE")
			for _, b := range list {
				fmt.Fprintf(t, "%s\t%s\t%dd\t%s\t%s\t%s (rev %d)\t%s\t%s\n", b.OrderID, b.Stage, b.DelayDays, backorder.FormatMoney(b.Value), b.Currency,
					b.ETA.Format(backorder.DateLayout), b.ETAVersion, b.IncidentID, age(now.Sub(b.OpenedAt)))
			}
			if limit > 0 && len(list) == limit {
				e.progressf("showing the first %d; --limit 0 lists them all\n", limit)
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&stage, "stage", "", "only episodes in this stage (awaiting_fulfillment or escalated)")
	cmd.Flags().StringVar(&orderID, "order", "", "only this order's episode")
	cmd.Flags().StringVar(&minValue, "min-value", "", "only episodes whose backorder value is at least this decimal amount, such as 1000 or 99.50")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many episodes; 0 for all")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}
