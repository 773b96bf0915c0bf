package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/systest"
)

// baseline does what a cron script would: the same database writes and
// notification recordings for every overdue order, in a plain sequential
// loop with no Temporal, on a database of its own. The gap to the real
// thing is the price of durability.
func (r *run) baseline(ctx context.Context) error {
	db, _, err := systest.FreshDatabase(ctx, r.opts.ServerURL, baselineDatabase, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Seed(ctx, store.SeedOptions{Orders: r.opts.Overdue, Overdue: r.opts.Overdue, AsOf: r.asOf, Seed: 1}); err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	acts := &activities.Activities{
		Store: db, Notifier: notify.Recorder{Ledger: db, Log: quiet},
		Settings: activities.Settings{
			Location: time.UTC, DefaultLeadTimeDays: 14,
			SMSThreshold: backorder.MustParseSMSThresholds("1000.00"), WarehouseManagerPhone: "+15555550100",
		},
	}
	orders, err := db.OverdueBackorders(ctx, r.asOf, "", r.opts.Overdue)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, o := range orders {
		if err := handleWithoutTemporal(ctx, acts, o.ID); err != nil {
			return fmt.Errorf("order %s: %w", o.ID, err)
		}
	}
	elapsed := time.Since(start)
	r.results.BaselineOrdersPerS = float64(len(orders)) / elapsed.Seconds()
	r.progressf("baseline loop: %d orders in %.1fs: %.1f orders/s", len(orders), elapsed.Seconds(), r.results.BaselineOrdersPerS)
	return nil
}

// handleWithoutTemporal is steps 1-10 of the per-order workflow as straight
// calls.
func handleWithoutTemporal(ctx context.Context, acts *activities.Activities, orderID string) error {
	episode := "baseline/" + orderID
	assessed, err := acts.AssessBackorder(ctx, contract.AssessInput{OrderID: orderID, AsOf: asOfDate})
	if err != nil {
		return err
	}
	if err := acts.MarkOrderChecked(ctx, contract.MarkOrderCheckedInput{OrderID: orderID, CurrentStatus: "Backorder: investigating shortage"}); err != nil {
		return err
	}
	if _, err := acts.CreateTask(ctx, contract.CreateTaskInput{EpisodeKey: episode, OrderID: orderID, Role: contract.RoleProcurementManager, Title: "Investigate shortage"}); err != nil {
		return err
	}
	leadTimes, err := acts.LookupLeadTimes(ctx, contract.LookupLeadTimesInput{OrderID: orderID})
	if err != nil {
		return err
	}
	asOf, _ := backorder.ParseDate(asOfDate)
	eta := backorder.ETA(asOf, asOf, leadTimes.MaxDays).Format(backorder.DateLayout)
	incident, err := acts.OpenIncident(ctx, contract.OpenIncidentInput{
		EpisodeKey: episode, OrderID: orderID, DelayDays: assessed.DelayDays, BackorderValue: assessed.BackorderValue,
		Currency: assessed.Currency, ETA: eta, LeadTimes: leadTimes,
	})
	if err != nil {
		return err
	}
	if _, err := acts.NotifyCustomer(ctx, contract.NotifyCustomerInput{IncidentID: incident, OrderID: orderID, ETA: eta, ETAVersion: 1}); err != nil {
		return err
	}
	if assessed.AlertWarehouse {
		if _, err := acts.AlertWarehouse(ctx, contract.AlertWarehouseInput{
			IncidentID: incident, OrderID: orderID, BackorderValue: assessed.BackorderValue, Currency: assessed.Currency, ETA: eta,
		}); err != nil {
			return err
		}
	}
	if _, err := acts.CreateTask(ctx, contract.CreateTaskInput{EpisodeKey: episode, OrderID: orderID, IncidentID: incident, Role: contract.RoleInventoryClerk, Title: "Adjust expected arrivals"}); err != nil {
		return err
	}
	return acts.MarkOrderChecked(ctx, contract.MarkOrderCheckedInput{OrderID: orderID, CurrentStatus: awaitingStatus})
}
