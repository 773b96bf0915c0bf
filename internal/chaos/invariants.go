package chaos

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/acme/backorders/workflows"
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
	// CheckOptions.CutSends), and anything else worth a line.
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
	// CutSends: the fault could cut a send between the provider's answer
	// and any record of it (the worker died inside the call). The README's
	// guarantee then allows an email to go twice (its ledger row shows the
	// second attempt) and an SMS not to go at all (its row says unknown);
	// both are reported, not failed. A database outage does not qualify:
	// the acceptance is kept in the activity's heartbeat details.
	CutSends bool
}

type ledgerRow struct {
	Key, OrderID, Channel, Status string
	Attempts                      int
}

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
		add(c.name, ok, "%d (want %d)", got, c.want)
	}

	// Postgres: orders closed, incidents and tasks once each.
	closed, err := s.countSQL(ctx, `SELECT count(*) FROM orders WHERE id = ANY($1) AND current_status = $2`, exp.Orders, closedStatus)
	if err != nil {
		return v, err
	}
	add("every order closed after fulfilment", closed == n, "%d/%d", closed, n)

	incidents, err := s.perOrder(ctx, `SELECT order_id, count(*) FROM incidents GROUP BY order_id`)
	if err != nil {
		return v, err
	}
	bad := offenders(exp.Orders, incidents, func(string) int { return 1 })
	add("exactly one incident per order", len(bad) == 0, "%d orders, %d incidents%s", len(incidents), sum(incidents), badList(bad))
	unresolved, err := s.countSQL(ctx, `SELECT count(*) FROM incidents WHERE status <> 'resolved'`)
	if err != nil {
		return v, err
	}
	add("every incident resolved", unresolved == 0, "%d open", unresolved)

	tasks, err := s.perOrder(ctx, `SELECT order_id || '/' || role, count(*) FROM tasks GROUP BY order_id, role`)
	if err != nil {
		return v, err
	}
	var wantTasks []string
	for _, id := range exp.Orders {
		wantTasks = append(wantTasks, id+"/"+workflows.RoleProcurementManager, id+"/"+workflows.RoleInventoryClerk)
	}
	bad = offenders(wantTasks, tasks, func(string) int { return 1 })
	add("two tasks per order (one per role)", len(bad) == 0, "%d tasks%s", sum(tasks), badList(bad))

	alerts, err := s.countSQL(ctx, `SELECT count(*) FROM active_alerts`)
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
	var emailKeys, smsKeys []string
	for _, r := range s.SendGrid.Accepted() {
		emailKeys = append(emailKeys, r.Mail.CustomArgs["ledger_key"])
	}
	for _, r := range s.Twilio.Accepted() {
		key := ""
		if u, err := url.Parse(r.Message.StatusCallback); err == nil {
			key = u.Query().Get("key")
		}
		smsKeys = append(smsKeys, key)
	}
	s.checkMessages(&v, "email", emailKeys, ledger, exp.Orders, overdue, opts)
	var high []string
	for _, id := range exp.Orders {
		if exp.HighValue[id] {
			high = append(high, id)
		}
	}
	s.checkMessages(&v, "sms", smsKeys, ledger, high, exp.HighValue, opts)
	return v, nil
}

// checkMessages checks that each order in want got exactly one accepted
// message on channel, and no other order got any.
func (s *Stack) checkMessages(v *Verdict, channel string, acceptedKeys []string, ledger map[string]ledgerRow, want []string, wanted map[string]bool, opts CheckOptions) {
	perOrder := map[string]int{}
	keysOf := map[string]map[string]bool{}
	unattributed := 0
	for _, key := range acceptedKeys {
		row, ok := ledger[key]
		if !ok || row.Channel != channel {
			unattributed++
			continue
		}
		perOrder[row.OrderID]++
		if keysOf[row.OrderID] == nil {
			keysOf[row.OrderID] = map[string]bool{}
		}
		keysOf[row.OrderID][key] = true
	}
	rowsOf := map[string][]ledgerRow{}
	for _, r := range ledger {
		if r.Channel == channel {
			rowsOf[r.OrderID] = append(rowsOf[r.OrderID], r)
		}
	}
	var missing, duplicated, unwanted, ledgerBad []string
	for _, id := range want {
		rows := rowsOf[id]
		got := perOrder[id]
		switch {
		case got == 1:
		case got > 1 && opts.CutSends && len(keysOf[id]) == 1 && len(rows) == 1 && rows[0].Attempts > 1:
			v.Notes = append(v.Notes, fmt.Sprintf("%s for %s accepted %d times: a send was cut after the provider took it (documented)", channel, id, got))
		case got > 1:
			duplicated = append(duplicated, fmt.Sprintf("%s×%d", id, got))
		case got == 0 && channel == "sms" && opts.CutSends && len(rows) == 1 && rows[0].Status == "unknown":
			v.Notes = append(v.Notes, fmt.Sprintf("sms for %s not sent: its attempt was cut before an answer and SMS is never resent (documented)", id))
		default:
			missing = append(missing, id)
		}
		okStatus := len(rows) == 1 && (rows[0].Status == "sent" || (channel == "sms" && opts.CutSends && rows[0].Status == "unknown"))
		if !okStatus {
			var states []string
			for _, r := range rows {
				states = append(states, r.Status)
			}
			ledgerBad = append(ledgerBad, fmt.Sprintf("%s[%s]", id, strings.Join(states, ",")))
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
	accepted := len(acceptedKeys)
	ok := len(missing) == 0 && len(duplicated) == 0 && len(unwanted) == 0 && unattributed == 0
	detail := fmt.Sprintf("%d accepted for %d orders", accepted, len(want))
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
	label := map[string]string{"email": "one customer email per order", "sms": "one SMS per high-value order"}[channel]
	v.Checks = append(v.Checks, Check{Name: label + " (accepted by the fake)", OK: ok, Detail: detail})
	v.Checks = append(v.Checks, Check{Name: channel + " ledger settled, one row per intent", OK: len(ledgerBad) == 0,
		Detail: fmt.Sprintf("%d rows%s", len(want)-len(ledgerBad), badList(ledgerBad))})
}

func (s *Stack) ledger(ctx context.Context) (map[string]ledgerRow, error) {
	rows, err := s.Store.Pool().Query(ctx, `SELECT key, order_id, channel, status, attempts FROM notifications`)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ledgerRow])
	if err != nil {
		return nil, err
	}
	out := make(map[string]ledgerRow, len(list))
	for _, r := range list {
		out[r.Key] = r
	}
	return out, nil
}

func (s *Stack) perOrder(ctx context.Context, query string) (map[string]int, error) {
	rows, err := s.Store.Pool().Query(ctx, query)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	var key string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&key, &n}, func() error {
		out[key] = n
		return nil
	})
	return out, err
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
