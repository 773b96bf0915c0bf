package chaos

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/testing/systest"
)

// Check is one invariant, pass or fail.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Verdict is the invariant checker's answer for one drill.
type Verdict struct {
	Checks []Check
	// Notes are documented exceptions that were seen and allowed (see
	// CheckOptions.UncertainSends), and anything else worth a line.
	Notes []string
}

// OK reports whether every check passed.
func (v Verdict) OK() bool {
	for _, c := range v.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failed lists the failed checks, one line each.
func (v Verdict) Failed() []string {
	var out []string
	for _, c := range v.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return out
}

// CheckOptions say what the fault could have done within the guarantees.
type CheckOptions struct {
	// UncertainSends: the fault can leave a provider call's outcome
	// unknown (the worker died inside it, or the provider answered after
	// the client gave up). docs/reliability.md's bounds then still hold exactly: an
	// email reaches the fake at most twice, and twice only if its ledger
	// row counts an uncertain send; an SMS at most once; a message the
	// fake never accepted is listed as unknown (starter notifications
	// --stuck), never lost silently. Without it, every message is accepted
	// exactly once and every row says sent.
	UncertainSends bool
}

// maxCopies is docs/reliability.md's bound on the copies of one message.
var maxCopies = map[string]int{"email": 2, "sms": 1}

// CheckInvariants checks, after fulfilment, everything the drills promise:
// every overdue order was handled once and closed, one incident and two
// tasks per order, each intended message accepted by the fake provider
// exactly once, no workflow failed.
func (s *Stack) CheckInvariants(ctx context.Context, exp Expected, opts CheckOptions) (Verdict, error) {
	var v Verdict
	n := len(exp.Orders)
	overdue := make(map[string]bool, n)
	for _, id := range exp.Orders {
		overdue[id] = true
	}
	add := func(name string, ok bool, format string, args ...any) {
		v.Checks = append(v.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}

	// Temporal: every order's workflow completed, none failed.
	type count struct {
		name, query string
		want        int
		atLeast     bool
	}
	for _, c := range []count{
		{"every order's workflow completed", `WorkflowType = "BackorderWorkflow" AND ExecutionStatus = "Completed"`, n, false},
		{"no workflow failed", `ExecutionStatus = "Failed" OR ExecutionStatus = "TimedOut" OR ExecutionStatus = "Terminated"`, 0, false},
		{"nothing left running", `ExecutionStatus = "Running"`, 0, false},
		{"the sweep completed", `WorkflowType = "SweepWorkflow" AND ExecutionStatus = "Completed"`, 1, true},
	} {
		got, err := s.countWorkflows(ctx, c.query)
		if err != nil {
			return v, fmt.Errorf("%s: %w", c.name, err)
		}
		ok := got == c.want || (c.atLeast && got >= c.want)
		detail := fmt.Sprintf("%d (want %d)", got, c.want)
		if !ok && c.name == "every order's workflow completed" {
			detail += s.extraRuns(ctx, c.query)
		}
		add(c.name, ok, "%s", detail)
	}

	// Postgres: orders closed, incidents and tasks once each.
	closed, err := within(ctx, func(ctx context.Context) (int, error) {
		return s.Store.CountInCurrentStatus(ctx, exp.Orders, closedStatus)
	})
	if err != nil {
		return v, err
	}
	add("every order closed after fulfilment", closed == n, "%d/%d", closed, n)

	incidents, err := s.Store.IncidentsPerOrder(ctx)
	if err != nil {
		return v, err
	}
	bad := offenders(exp.Orders, incidents, func(string) int { return 1 })
	add("exactly one incident per order", len(bad) == 0, "%d orders, %d incidents%s", len(incidents), sum(incidents), badList(bad))
	unresolved, err := within(ctx, s.Store.CountUnresolvedIncidents)
	if err != nil {
		return v, err
	}
	add("every incident resolved", unresolved == 0, "%d open", unresolved)

	taskCounts, err := s.Store.TaskCounts(ctx)
	if err != nil {
		return v, err
	}
	tasks := map[string]int{}
	for _, c := range taskCounts {
		tasks[c.OrderID+"/"+string(c.Role)] = c.Tasks
	}
	var wantTasks []string
	for _, id := range exp.Orders {
		wantTasks = append(wantTasks, id+"/"+string(contract.RoleProcurementManager), id+"/"+string(contract.RoleInventoryClerk))
	}
	bad = offenders(wantTasks, tasks, func(string) int { return 1 })
	add("two tasks per order (one per role)", len(bad) == 0, "%d tasks%s", sum(tasks), badList(bad))

	alerts, err := within(ctx, s.Store.CountActiveAlerts)
	if err != nil {
		return v, err
	}
	add("no active alerts left", alerts == 0, "%d", alerts)

	// Messages: what the fakes accepted, attributed through the ledger key
	// each message carries.
	ledger, err := s.ledger(ctx)
	if err != nil {
		return v, err
	}
	emailKeys, smsKeys := s.acceptedLedgerKeys()
	s.checkMessages(&v, "email", emailKeys, ledger, exp.Orders, overdue, opts)
	var high []string
	for _, id := range exp.Orders {
		if exp.HighValue[id] {
			high = append(high, id)
		}
	}
	s.checkMessages(&v, "sms", smsKeys, ledger, high, exp.HighValue, opts)

	// What each workflow reported: customer_notified only for an email
	// the provider accepted. (Not the converse: a fulfilment cancels a
	// notice whose result has not reached the workflow yet, say while the
	// server restarts, although the ledger may already say sent.)
	sent := map[string]bool{}
	for _, r := range ledger {
		if r.Channel == "email" && r.Status == "sent" {
			sent[r.OrderID] = true
		}
	}
	var untrue []string
	for _, id := range exp.Orders {
		st, err := s.Result(ctx, id)
		if err != nil {
			return v, fmt.Errorf("result of %s: %w", id, err)
		}
		if st.CustomerNotified && !sent[id] {
			untrue = append(untrue, id)
		}
	}
	add("customer_notified only when the email was accepted", len(untrue) == 0, "%d/%d%s", n-len(untrue), n, badList(untrue))
	return v, nil
}

// checkMessages checks that each order in want got its message on
// channel within docs/reliability.md's bounds (see CheckOptions), no other order
// got any, and the ledger tells the truth: a row says sent only if the
// fake accepted the message.
func (s *Stack) checkMessages(v *Verdict, channel string, acceptedKeys []string, ledger map[string]notify.LedgerRecord, want []string, wanted map[string]bool, opts CheckOptions) {
	perOrder := map[string]int{}
	unattributed := 0
	for _, key := range acceptedKeys {
		row, ok := ledger[key]
		if !ok || row.Channel != channel {
			unattributed++
			continue
		}
		perOrder[row.OrderID]++
	}
	rowsOf := map[string][]notify.LedgerRecord{}
	for _, r := range ledger {
		if r.Channel == channel {
			rowsOf[r.OrderID] = append(rowsOf[r.OrderID], r)
		}
	}
	var missing, duplicated, unwanted, ledgerBad []string
	unknown, twice := 0, 0
	for _, id := range want {
		rows := rowsOf[id]
		got := perOrder[id]
		if len(rows) != 1 {
			ledgerBad = append(ledgerBad, fmt.Sprintf("%s[%d rows]", id, len(rows)))
			continue
		}
		row := rows[0]
		switch {
		case got > maxCopies[channel]:
			duplicated = append(duplicated, fmt.Sprintf("%s×%d", id, got))
		case got > 1 && (!opts.UncertainSends || row.UncertainSends == 0):
			duplicated = append(duplicated, fmt.Sprintf("%s×%d(no uncertain send on record)", id, got))
		case got > 1:
			twice++
		case got == 0 && (!opts.UncertainSends || row.Status != "unknown"):
			missing = append(missing, fmt.Sprintf("%s[%s]", id, row.Status))
		}
		switch {
		case row.Status == "sent" && got == 0:
			ledgerBad = append(ledgerBad, id+"[sent, never accepted]")
		case row.Status == "unknown" && opts.UncertainSends && row.UncertainSends < maxCopies[channel]:
			ledgerBad = append(ledgerBad, fmt.Sprintf("%s[unknown after %d uncertain sends: not resent]", id, row.UncertainSends))
		case row.Status == "unknown" && opts.UncertainSends:
			unknown++
		case row.Status != "sent":
			ledgerBad = append(ledgerBad, fmt.Sprintf("%s[%s]", id, row.Status))
		}
	}
	for id, c := range perOrder {
		if !wanted[id] {
			unwanted = append(unwanted, fmt.Sprintf("%s×%d", id, c))
		}
	}
	for id := range rowsOf {
		if !wanted[id] {
			ledgerBad = append(ledgerBad, id+"[unintended]")
		}
	}
	sort.Strings(unwanted)
	sort.Strings(ledgerBad)
	if twice > 0 || unknown > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("%s: %d sent twice after an uncertain send, %d left unknown for a person (within the bounds)", channel, twice, unknown))
	}
	ok := len(missing) == 0 && len(duplicated) == 0 && len(unwanted) == 0 && unattributed == 0
	detail := fmt.Sprintf("%d accepted for %d orders", len(acceptedKeys), len(want))
	for _, part := range []struct {
		label string
		ids   []string
	}{{"missing", missing}, {"duplicated", duplicated}, {"unintended", unwanted}} {
		if len(part.ids) > 0 {
			detail += fmt.Sprintf("; %s: %s", part.label, truncate(part.ids))
		}
	}
	if unattributed > 0 {
		detail += fmt.Sprintf("; %d without a known ledger key", unattributed)
	}
	label := map[string]string{
		"email": "one customer email per order (at most two after an uncertain send)",
		"sms":   "one SMS per high-value order, never two",
	}[channel]
	v.Checks = append(v.Checks, Check{Name: label + " (accepted by the fake)", OK: ok, Detail: detail})
	v.Checks = append(v.Checks, Check{Name: channel + " ledger true and settled, one row per intent", OK: len(ledgerBad) == 0,
		Detail: fmt.Sprintf("%d rows%s", len(want)-len(ledgerBad), badList(ledgerBad))})
}

// ledger is the notifications ledger by key.
func (s *Stack) ledger(ctx context.Context) (map[string]notify.LedgerRecord, error) {
	list, err := s.Store.ListNotifications(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]notify.LedgerRecord, len(list))
	for _, r := range list {
		out[r.Key] = r
	}
	return out, nil
}

// offenders lists keys whose count is not want(key), and keys counted that
// are not wanted at all.
func offenders(wanted []string, got map[string]int, want func(string) int) []string {
	seen := map[string]bool{}
	var bad []string
	for _, k := range wanted {
		seen[k] = true
		if got[k] != want(k) {
			bad = append(bad, fmt.Sprintf("%s=%d", k, got[k]))
		}
	}
	var extra []string
	for k, c := range got {
		if !seen[k] {
			extra = append(extra, fmt.Sprintf("%s=%d(unintended)", k, c))
		}
	}
	sort.Strings(extra)
	return append(bad, extra...)
}

func sum(m map[string]int) int {
	t := 0
	for _, c := range m {
		t += c
	}
	return t
}

func badList(bad []string) string {
	if len(bad) == 0 {
		return ""
	}
	return "; wrong: " + truncate(bad)
}

func truncate(list []string) string {
	const show = 5
	if len(list) <= show {
		return strings.Join(list, " ")
	}
	return fmt.Sprintf("%s … (%d in all)", strings.Join(list[:show], " "), len(list))
}

// extraRuns names the workflow ids with more than one run matching query,
// with each run's start and close, so a failed count says which orders
// and when.
func (s *Stack) extraRuns(ctx context.Context, query string) string {
	executions, err := systest.ListWorkflows(ctx, s.Temporal, query)
	if err != nil {
		return fmt.Sprintf("; listing them: %v", err)
	}
	runs := map[string][]string{}
	for _, e := range executions {
		id := e.GetExecution().GetWorkflowId()
		runs[id] = append(runs[id], fmt.Sprintf("%s→%s", e.GetStartTime().AsTime().Format("15:04:05.000"), e.GetCloseTime().AsTime().Format("15:04:05.000")))
	}
	var extra []string
	for _, id := range slices.Sorted(maps.Keys(runs)) {
		if len(runs[id]) > 1 {
			extra = append(extra, id+" ran "+strings.Join(runs[id], ", "))
		}
	}
	if len(extra) == 0 {
		return ""
	}
	return "; more than one run: " + strings.Join(extra, "; ")
}
