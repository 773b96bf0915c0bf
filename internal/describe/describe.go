// Package describe writes what Temporal's Web UI and CLI show of the
// backorder process (user metadata): each per-order workflow's summary and
// details, what it waits on now, and the summaries of its steps. The text
// is kept in workflow histories for good, so it names orders, dates,
// amounts and SKUs, never a customer's email address or phone number, and
// never the free text people type (notes, reasons). Workflow code calls
// these builders: they are pure.
package describe

import (
	"fmt"
	"strings"
	"time"

	"github.com/acme/backorders/internal/contract"
)

// Order is what the sweep knows of an order when it starts the order's
// workflow.
type Order struct {
	OrderID   string
	DelayDays int
	Value     string
	Currency  string
	// ETA is the date already given for an open episode a new workflow
	// takes over; empty for a new episode, whose ETA comes later.
	ETA   string
	Lines []Line
}

// Line is an order line as the workflow's details list it.
type Line struct {
	SKU         string
	Product     string
	Quantity    int64
	Backordered int64
}

// maxLines bounds the lines the details list: the Web UI shows them at a
// glance, and an order of thousands of lines would bloat every history.
const maxLines = 50

// BackorderSummary is the per-order workflow's one-line static summary:
// "SO-1001: 26 days late, 39.98 USD at stake, ETA 2026-12-10".
func BackorderSummary(o Order) string {
	s := fmt.Sprintf("%s: %s late, %s %s at stake", o.OrderID, days(o.DelayDays), o.Value, o.Currency)
	if o.ETA != "" {
		s += ", ETA " + o.ETA
	}
	return s
}

// BackorderDetails is the per-order workflow's static details: the
// order's lines, in Temporal's Markdown. With no lines known it says so
// rather than show an empty list.
func BackorderDetails(o Order) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Order %s, %s %s at stake.\n\n", o.OrderID, o.Value, o.Currency)
	if len(o.Lines) == 0 {
		b.WriteString("Lines: not known when the workflow started (see `starter status`).\n")
		return b.String()
	}
	b.WriteString("| SKU | Product | Qty | Backordered |\n|---|---|---:|---:|\n")
	for _, l := range o.Lines[:min(len(o.Lines), maxLines)] {
		fmt.Fprintf(&b, "| %s | %s | %d | %d |\n", cell(l.SKU), cell(l.Product), l.Quantity, l.Backordered)
	}
	if more := len(o.Lines) - maxLines; more > 0 {
		fmt.Fprintf(&b, "\n… and %d more lines.\n", more)
	}
	return b.String()
}

// cell keeps a catalogue value from breaking the table's row.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// SweepSummary is the sweep workflow's static summary.
func SweepSummary(asOf string) string {
	if asOf == "" {
		return "Sweep of overdue backorders as of today"
	}
	return "Sweep of overdue backorders as of " + asOf
}

// CurrentDetails is what the per-order workflow is doing or waiting on now
// (workflow.SetCurrentDetails), from its state: a line, then a Markdown
// list the Web UI renders and the CLI prints as it is.
func CurrentDetails(s contract.BackorderState) string {
	switch s.Stage {
	case contract.StageAssessing:
		return "Assessing: sizing the delay and the money at stake, opening the incident, telling people"
	case contract.StageRechecking:
		return fmt.Sprintf("Re-checking: ETA %s passed unfulfilled; looking up fresh lead times", s.NewETA)
	case contract.StageFulfilled:
		return "Fulfilled: the backorder has ended"
	case contract.StageCancelled:
		return "Cancelled: the backorder has ended"
	case contract.StageNotBackordered:
		return "No longer backordered: nothing to do"
	}
	lines := []string{fmt.Sprintf("Awaiting fulfilment; ETA %s (re-checked when it passes)", s.NewETA)}
	if s.Stage == contract.StageEscalated {
		lines[0] = fmt.Sprintf("Escalated after %d missed ETAs: procurement to expedite, substitute or cancel. ", s.Rechecks) + lines[0]
	}
	lines = append(lines, "- Tasks open: "+openTasks(s.Tasks))
	if s.MaxCustomerNotices > 0 {
		lines = append(lines, fmt.Sprintf("- Customer notices: %d of %d", s.CustomerNotices, s.MaxCustomerNotices))
	}
	if s.SMSDueAt != nil {
		lines = append(lines, "- Warehouse SMS due at "+s.SMSDueAt.UTC().Format("2006-01-02 15:04 MST")+" (after quiet hours)")
	}
	// A blank line, so Markdown starts the list.
	return lines[0] + "\n\n" + strings.Join(lines[1:], "\n")
}

func openTasks(tasks []contract.TaskState) string {
	var open []string
	for _, t := range tasks {
		if t.Status == contract.TaskOpen {
			open = append(open, t.ID+" "+roleName(t.Role))
		}
	}
	if len(open) == 0 {
		return "none"
	}
	return strings.Join(open, ", ")
}

func roleName(r contract.Role) string {
	switch r {
	case contract.RoleProcurementManager:
		return "procurement"
	case contract.RoleInventoryClerk:
		return "inventory clerk"
	}
	return string(r)
}

// CustomerNotice summarises an email telling the customer of a date.
func CustomerNotice(in contract.NotifyCustomerInput) string {
	if in.PreviousETA == "" {
		return "email customer: delay notice, ETA " + in.ETA
	}
	return fmt.Sprintf("email customer: revised ETA %s (was %s)", in.ETA, in.PreviousETA)
}

// WarehouseText summarises the warehouse manager's SMS.
func WarehouseText(in contract.AlertWarehouseInput) string {
	return fmt.Sprintf("text warehouse manager: %s %s at stake, ETA %s", in.BackorderValue, in.Currency, in.ETA)
}

// UntilETAPasses is the timer that re-checks the order when its ETA passes.
func UntilETAPasses(eta string) string { return "wait until ETA " + eta + " passes" }

// UntilQuietHoursEnd is the timer holding the warehouse SMS.
func UntilQuietHoursEnd(at time.Time) string {
	return "wait for quiet hours to end (" + at.UTC().Format("15:04 MST") + "): warehouse SMS"
}

// UntilDayEnds is the timer refreshing the delay each business day.
const UntilDayEnds = "wait for the business day to end: refresh the delay"

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
