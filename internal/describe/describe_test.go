package describe

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/acme/backorders/internal/contract"
)

func TestBackorderSummaryNamesTheOrderDelayValueAndKnownETA(t *testing.T) {
	o := Order{OrderID: "SO-1001", DelayDays: 26, Value: "39.98", Currency: "USD"}
	assert.Equal(t, "SO-1001: 26 days late, 39.98 USD at stake", BackorderSummary(o))

	o.DelayDays, o.ETA = 1, "2026-12-10"
	assert.Equal(t, "SO-1001: 1 day late, 39.98 USD at stake, ETA 2026-12-10", BackorderSummary(o))
}

func TestBackorderDetailsListsTheLines(t *testing.T) {
	details := BackorderDetails(Order{OrderID: "SO-1001", Value: "39.98", Currency: "USD", Lines: []Line{
		{SKU: "SKU-1", Product: "Widget", Quantity: 3, Backordered: 2},
		{SKU: "SKU-3", Product: "Gizmo | large", Quantity: 1, Backordered: 0},
	}})
	assert.Equal(t, "Order SO-1001, 39.98 USD at stake.\n\n"+
		"| SKU | Product | Qty | Backordered |\n|---|---|---:|---:|\n"+
		"| SKU-1 | Widget | 3 | 2 |\n"+
		`| SKU-3 | Gizmo \| large | 1 | 0 |`+"\n", details)
}

func TestBackorderDetailsBoundsAndAdmitsMissingLines(t *testing.T) {
	var lines []Line
	for i := range 53 {
		lines = append(lines, Line{SKU: fmt.Sprintf("SKU-%d", i), Product: "Part", Quantity: 1, Backordered: 1})
	}
	details := BackorderDetails(Order{OrderID: "SO-9", Value: "53.00", Currency: "EUR", Lines: lines})
	assert.Contains(t, details, "| SKU-49 |")
	assert.NotContains(t, details, "| SKU-50 |")
	assert.True(t, strings.HasSuffix(details, "… and 3 more lines.\n"), details)

	assert.Contains(t, BackorderDetails(Order{OrderID: "SO-9", Value: "1.00", Currency: "EUR"}), "Lines: not known")
}

func TestCurrentDetailsSaysWhatTheWaitIsFor(t *testing.T) {
	due := time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC)
	s := contract.BackorderState{
		OrderID: "SO-1002", Stage: contract.StageAwaitingFulfillment, NewETA: "2026-12-10",
		CustomerNotices: 1, MaxCustomerNotices: 3, SMSDueAt: &due,
		Tasks: []contract.TaskState{
			{ID: "T-12", Role: contract.RoleProcurementManager, Status: contract.TaskOpen},
			{ID: "T-13", Role: contract.RoleInventoryClerk, Status: contract.TaskDone},
			{ID: "T-14", Role: contract.RoleInventoryClerk, Status: contract.TaskOpen},
		},
	}
	assert.Equal(t, "Awaiting fulfilment; ETA 2026-12-10 (re-checked when it passes)\n\n"+
		"- Tasks open: T-12 procurement, T-14 inventory clerk\n"+
		"- Customer notices: 1 of 3\n"+
		"- Warehouse SMS due at 2026-11-28 07:00 UTC (after quiet hours)", CurrentDetails(s))

	s.Stage, s.Rechecks, s.SMSDueAt, s.Tasks = contract.StageEscalated, 3, nil, nil
	assert.Equal(t, "Escalated after 3 missed ETAs: procurement to expedite, substitute or cancel. "+
		"Awaiting fulfilment; ETA 2026-12-10 (re-checked when it passes)\n\n- Tasks open: none\n- Customer notices: 1 of 3", CurrentDetails(s))

	s.Stage = contract.StageRechecking
	assert.Equal(t, "Re-checking: ETA 2026-12-10 passed unfulfilled; looking up fresh lead times", CurrentDetails(s))
}

// What people type (a fulfilment note, a cancel reason) may hold an
// address: it stays out of the details, which the Web UI shows to all.
func TestCurrentDetailsOfAnEndedBackorderLeavesOutWhatPeopleTyped(t *testing.T) {
	s := contract.BackorderState{Stage: contract.StageFulfilled, FulfilmentNote: "shipped, ask jane@example.com"}
	assert.Equal(t, "Fulfilled: the backorder has ended", CurrentDetails(s))
	s = contract.BackorderState{Stage: contract.StageCancelled, CancelReason: "customer called +14155552671"}
	assert.Equal(t, "Cancelled: the backorder has ended", CurrentDetails(s))
}

func TestStepSummaries(t *testing.T) {
	assert.Equal(t, "email customer: delay notice, ETA 2026-12-10",
		CustomerNotice(contract.NotifyCustomerInput{OrderID: "SO-1", ETA: "2026-12-10", ETAVersion: 1}))
	assert.Equal(t, "email customer: revised ETA 2026-12-20 (was 2026-12-10)",
		CustomerNotice(contract.NotifyCustomerInput{OrderID: "SO-1", ETA: "2026-12-20", PreviousETA: "2026-12-10", ETAVersion: 2}))
	assert.Equal(t, "text warehouse manager: 1500.00 USD at stake, ETA 2026-12-10",
		WarehouseText(contract.AlertWarehouseInput{OrderID: "SO-1", BackorderValue: "1500.00", Currency: "USD", ETA: "2026-12-10"}))
	assert.Equal(t, "wait until ETA 2026-12-10 passes", UntilETAPasses("2026-12-10"))
	assert.Equal(t, "wait for quiet hours to end (07:00 UTC): warehouse SMS",
		UntilQuietHoursEnd(time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC)))
	assert.Equal(t, "Sweep of overdue backorders as of 2026-11-27", SweepSummary("2026-11-27"))
	assert.Equal(t, "Sweep of overdue backorders as of today", SweepSummary(""))
}
