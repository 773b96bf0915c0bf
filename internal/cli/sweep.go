package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/describe"
	"github.com/acme/backorders/internal/operations"
)

func newSweepCmd(e *env) *cobra.Command {
	var asOf string
	var wait, asJSON bool
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Find overdue backorders and start (or find running) one workflow per order",
		Long: `sweep starts a SweepWorkflow: it finds every Backordered order whose
promised date is before the as-of date, starts its backorder-<ORDER_ID>
workflow (or counts the one already running), sums the value at stake per
currency, and signals open workflows whose orders are already closed.

--as-of may be a past date (to replay a day) but not a future one: delays
are measured up to today, in BACKORDER_TIMEZONE, at the latest.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			today := e.today()
			if asOf == "" {
				asOf = today.Format(backorder.DateLayout)
			} else if d, err := backorder.ParseDate(asOf); err != nil {
				return badValue("--as-of: %v", err)
			} else if d.After(today) {
				return &operations.RefusedError{Reason: fmt.Sprintf("--as-of %s is after today (%s, %s): delays are measured up to today at the latest",
					asOf, today.Format(backorder.DateLayout), e.cfg.Location)}
			}
			c, err := e.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID:            contract.SweepWorkflowID(asOf, randomSuffix()),
				TaskQueue:     e.cfg.TaskQueue,
				StaticSummary: describe.SweepSummary(asOf),
			}, contract.SweepWorkflowName, contract.SweepInput{AsOf: asOf})
			if err != nil {
				return fmt.Errorf("starting sweep: %w", err)
			}
			if !wait {
				if asJSON {
					return e.printJSON(map[string]string{"sweep_id": run.GetID(), "as_of": asOf})
				}
				fmt.Fprintf(e.out, "sweep %s started for %s; follow it in the Web UI or run with --wait\n", run.GetID(), asOf)
				return nil
			}
			result, err := e.waitForSweep(ctx, c, run)
			if err != nil {
				return err
			}
			if asJSON {
				return e.printJSON(result)
			}
			e.printSweep(result)
			return nil
		},
	}
	cmd.Flags().StringVar(&asOf, "as-of", "", "date to measure delays at, YYYY-MM-DD, today or earlier (default: today in BACKORDER_TIMEZONE)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the sweep to finish and print its result")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// sweepPoll is how often `sweep --wait` asks the sweep how far it got.
const sweepPoll = 2 * time.Second

// waitForSweep waits for the result, reporting progress on stderr from the
// sweep's status query while it runs: a line each time it changed, or one
// live line on a terminal.
func (e *env) waitForSweep(ctx context.Context, c client.Client, run client.WorkflowRun) (contract.SweepResult, error) {
	done := make(chan error, 1)
	var result contract.SweepResult
	go func() { done <- run.Get(ctx, &result) }()
	ticker := time.NewTicker(sweepPoll)
	defer ticker.Stop()
	p := e.newProgress()
	defer p.finish()
	for {
		select {
		case err := <-done:
			if err != nil {
				return result, fmt.Errorf("sweep %s failed: %w", run.GetID(), err)
			}
			return result, nil
		case <-ticker.C:
			resp, err := c.QueryWorkflow(ctx, run.GetID(), "", contract.QueryStatus)
			var now contract.SweepResult
			if err == nil && resp.Get(&now) == nil {
				p.report(fmt.Sprintf("sweeping: %d overdue orders found, %d workflows started, %d already running",
					now.OrdersFound, now.WorkflowsStarted, now.AlreadyRunning), 0, 0)
			}
		}
	}
}

func (e *env) printSweep(r contract.SweepResult) {
	t := e.table()
	fmt.Fprintf(t, "Sweep\t%s\n", r.SweepID)
	fmt.Fprintf(t, "As of\t%s\n", r.AsOf)
	fmt.Fprintf(t, "Overdue orders found\t%d\n", r.OrdersFound)
	fmt.Fprintf(t, "Workflows started\t%d\n", r.WorkflowsStarted)
	fmt.Fprintf(t, "Already running\t%d\n", r.AlreadyRunning)
	if r.NotStarted > 0 {
		fmt.Fprintf(t, "Not started (refused by Temporal; see the orders' current_status)\t%d\n", r.NotStarted)
	}
	fmt.Fprintf(t, "Reconciled (closed orders signalled)\t%d\n", r.Reconciled)
	currencies := make([]string, 0, len(r.TotalBackorderValue))
	for c := range r.TotalBackorderValue {
		currencies = append(currencies, c)
	}
	sort.Strings(currencies)
	for _, c := range currencies {
		fmt.Fprintf(t, "Backorder value %s\t%s\n", c, r.TotalBackorderValue[c])
	}
	t.Flush()
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
