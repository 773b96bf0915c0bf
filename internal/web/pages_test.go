package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// A procurement manager's whole part: the inbox, a task page with what is
// needed to act, a refused date shown by its field with nothing written,
// then a completion with a confirmed ETA that moves the order's ETA.
func TestProcurementManagerCompletesATaskWithAConfirmedETA(t *testing.T) {
	f := newFixture(t, options{temporal: true})
	f.startBackorder("small")
	f.startBackorder("big")
	small := f.order("small")
	task := f.task(small, contract.RoleProcurementManager)
	b := f.signIn("paula", store.UserProcurementManager)

	inbox := b.get("/tasks")
	require.Equal(t, http.StatusOK, inbox.status)
	text := inbox.text()
	assert.Contains(t, text, "My tasks")
	assert.Contains(t, text, small)
	assert.Contains(t, text, f.order("big"))
	assert.Less(t, strings.Index(text, small), strings.Index(text, f.order("big")), "oldest first")
	assert.Contains(t, text, "39.98 USD")
	assert.Contains(t, text, "20 days", "the delay")
	assert.Contains(t, text, today(10), "the ETA: today plus the Widget's 10 days")
	assert.NotContains(t, text, "Adjust expected stock arrivals", "no inventory clerk tasks")

	filtered := b.get("/tasks?order=" + url.QueryEscape(strings.ToLower(f.order("big"))))
	assert.Contains(t, filtered.text(), f.order("big"))
	assert.NotContains(t, filtered.text(), small)

	p := b.get("/tasks/" + task.ID)
	require.Equal(t, http.StatusOK, p.status)
	text = p.text()
	for _, want := range []string{"SKU-1", "Widget", "Acme Parts", "10 days (product)", "Incident and mitigation plan", "Notifications sent", "Email to the customer"} {
		assert.Contains(t, text, want)
	}
	require.NotNil(t, p.field("Confirmed ETA"))
	assert.Equal(t, "date", attr(p.field("Confirmed ETA"), "type"))
	require.NotNil(t, p.field("Note"))
	require.True(t, p.hasButton("Complete task"))

	t.Run("an ETA not after today is refused by its field, and nothing is written", func(t *testing.T) {
		before := f.state(small)
		p := b.post("/tasks/"+task.ID+"/complete", url.Values{"confirmed_eta": {today(0)}, "note": {"supplier says today"}})
		assert.Equal(t, http.StatusUnprocessableEntity, p.status)
		assert.Contains(t, p.fieldError("Confirmed ETA"), "is not after today")
		assert.Equal(t, today(0), attr(p.field("Confirmed ETA"), "value"), "what was typed stays")
		assert.Contains(t, p.text(), "supplier says today")
		assert.Equal(t, contract.TaskOpen, f.task(small, contract.RoleProcurementManager).Status)
		assert.Equal(t, before.ETAVersion, f.state(small).ETAVersion)
	})
	t.Run("a date that does not parse", func(t *testing.T) {
		p := b.post("/tasks/"+task.ID+"/complete", url.Values{"confirmed_eta": {"next week"}})
		assert.Equal(t, http.StatusUnprocessableEntity, p.status)
		assert.NotEmpty(t, p.fieldError("Confirmed ETA"))
	})

	eta := today(30)
	p = b.post("/tasks/"+task.ID+"/complete", url.Values{"confirmed_eta": {eta}, "note": {"Acme confirmed the shipment"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.text())
	assert.Equal(t, "/orders/"+small, p.location)
	order := b.follow(p)
	text = order.text()
	assert.Contains(t, text, "Task "+task.ID+" is done. Order "+small+"'s ETA is now "+eta+" (revision 2).")
	assert.Contains(t, strings.Join(strings.Fields(textOf(order.byID("eta"))), " "), eta+" (revision 2)")
	assert.Contains(t, text, "Task "+task.ID+" done by paula confirmed ETA "+eta+"; Acme confirmed the shipment")
	assert.Contains(t, text, "ETA revised to "+eta+" (revision 2) by paula")

	done := f.task(small, contract.RoleProcurementManager)
	assert.Equal(t, contract.TaskDone, done.Status)
	assert.Equal(t, "paula", *done.CompletedBy, "the signed-in user is who completed it")
	assert.Equal(t, eta, f.state(small).NewETA)

	t.Run("completing it again is refused on the form", func(t *testing.T) {
		p := b.post("/tasks/"+task.ID+"/complete", url.Values{"confirmed_eta": {today(40)}})
		assert.Equal(t, http.StatusConflict, p.status)
		assert.Contains(t, p.formError(), "is already done by paula")
		assert.Equal(t, eta, f.state(small).NewETA)
	})
	t.Run("the inbox no longer lists it", func(t *testing.T) {
		assert.NotContains(t, b.get("/tasks").text(), small)
	})
}

// The inventory clerk sees only the clerk's tasks, completes them
// without a date, and can neither complete procurement's nor cancel.
func TestInventoryClerkSeesOwnTasksOnly(t *testing.T) {
	f := newFixture(t, options{temporal: true})
	f.startBackorder("small")
	small := f.order("small")
	procurement := f.task(small, contract.RoleProcurementManager)
	clerkTask := f.task(small, contract.RoleInventoryClerk)
	b := f.signIn("carl", store.UserInventoryClerk)

	inbox := b.get("/tasks")
	assert.Contains(t, inbox.text(), "Open tasks for the inventory clerk")
	assert.Contains(t, inbox.text(), clerkTask.Title)
	assert.NotContains(t, inbox.text(), procurement.Title)

	p := b.get("/tasks/" + procurement.ID)
	require.Equal(t, http.StatusOK, p.status, "the clerk may read it")
	assert.False(t, p.hasButton("Complete task"))
	assert.Contains(t, p.text(), "your role does not complete it")
	p = b.post("/tasks/"+procurement.ID+"/complete", url.Values{"confirmed_eta": {today(20)}})
	assert.Equal(t, http.StatusForbidden, p.status)
	assert.Equal(t, contract.TaskOpen, f.task(small, contract.RoleProcurementManager).Status)

	order := b.get("/orders/" + small)
	assert.False(t, order.hasButton("Cancel order"))
	assert.False(t, order.hasButton("Mark fulfilled"))
	assert.False(t, order.hasButton("Revise ETA"))
	assert.Equal(t, http.StatusForbidden, b.get("/orders/"+small+"/cancel").status)
	assert.Equal(t, http.StatusForbidden, b.post("/orders/"+small+"/cancel", url.Values{"note": {"x"}}).status)
	assert.Equal(t, http.StatusForbidden, b.post("/orders/"+small+"/eta", url.Values{"eta": {today(20)}}).status)
	assert.Equal(t, contract.StageAwaitingFulfillment, f.stage(small))

	p = b.get("/tasks/" + clerkTask.ID)
	assert.Nil(t, p.field("Confirmed ETA"), "the clerk's form has no date")
	require.True(t, p.hasButton("Complete task"))
	p = b.post("/tasks/"+clerkTask.ID+"/complete", url.Values{"note": {"expected arrivals moved"}, "confirmed_eta": {today(50)}})
	require.Equal(t, http.StatusSeeOther, p.status, p.text())
	assert.Contains(t, b.follow(p).text(), "Task "+clerkTask.ID+" is done.")
	done := f.task(small, contract.RoleInventoryClerk)
	assert.Equal(t, "carl", *done.CompletedBy)
	assert.Nil(t, done.ConfirmedETA, "a date forged into the clerk's form is ignored")
	assert.Equal(t, 1, f.state(small).ETAVersion)
}

// The warehouse manager cancels through a confirmation step; the
// workflow closes the episode, and the timeline says who and why.
func TestWarehouseManagerClosesOrdersAfterConfirming(t *testing.T) {
	f := newFixture(t, options{temporal: true})
	f.startBackorder("small")
	f.startBackorder("big")
	b := f.signIn("wanda", store.UserWarehouseManager)

	inbox := b.get("/tasks")
	assert.Contains(t, inbox.text(), "Your role has no tasks")

	small := f.order("small")
	order := b.get("/orders/" + small)
	require.True(t, order.hasButton("Mark fulfilled"))
	require.True(t, order.hasButton("Cancel order"))
	assert.False(t, order.hasButton("Revise ETA"))

	confirm := b.get("/orders/" + small + "/cancel")
	require.Equal(t, http.StatusOK, confirm.status)
	assert.Contains(t, confirm.text(), "Cancel order "+small+"?")
	require.NotNil(t, confirm.field("Reason"))
	require.True(t, confirm.hasButton("Yes, cancel the order"))
	assert.Equal(t, contract.StageAwaitingFulfillment, f.stage(small), "the first step changes nothing")

	p := b.post("/orders/"+small+"/cancel", url.Values{"note": {"customer asked"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.text())
	assert.Contains(t, b.follow(p).text(), "Order "+small+" is marked Cancelled; its backorder workflow is closing")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, contract.StageCancelled, f.stage(small))
	}, 20*time.Second, 100*time.Millisecond)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Contains(c, b.get("/orders/"+small).text(), "cancelled by wanda customer asked")
	}, 10*time.Second, 100*time.Millisecond, "the timeline has who closed the order and the closing note")
	order = b.get("/orders/" + small)
	assert.False(t, order.hasButton("Cancel order"), "a cancelled order offers no cancel")

	p = b.post("/orders/"+small+"/fulfill", url.Values{"note": {"found it"}})
	assert.Equal(t, http.StatusConflict, p.status)
	assert.Contains(t, p.formError(), "Order "+small+" is Cancelled, so it cannot be Fulfilled")

	big := f.order("big")
	p = b.post("/orders/"+big+"/fulfill", url.Values{"note": {"shipped from Reno"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.text())
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, contract.StageFulfilled, f.stage(big))
	}, 20*time.Second, 100*time.Millisecond)
}

// Procurement revises an ETA on the order page; the timeline shows the
// revision with who and why.
func TestETARevisionFromTheOrderPage(t *testing.T) {
	f := newFixture(t, options{temporal: true})
	f.startBackorder("big")
	big := f.order("big")
	b := f.signIn("paula", store.UserProcurementManager)

	order := b.get("/orders/" + big)
	require.True(t, order.hasButton("Revise ETA"))
	assert.False(t, order.hasButton("Cancel order"), "procurement does not close orders")
	p := b.post("/orders/"+big+"/eta", url.Values{"eta": {today(-1)}})
	assert.Equal(t, http.StatusUnprocessableEntity, p.status)
	assert.Contains(t, p.fieldError("New ETA"), "is not after today")

	eta := today(45)
	p = b.post("/orders/"+big+"/eta", url.Values{"eta": {eta}, "note": {"Globex moved the shipment"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.text())
	text := b.follow(p).text()
	assert.Contains(t, text, "Order "+big+"'s ETA is now "+eta+" (revision 2).")
	assert.Contains(t, text, "Globex moved the shipment")
	assert.Contains(t, text, "by paula")
}

func TestBackordersListAndFilters(t *testing.T) {
	f := newFixture(t, options{temporal: true})
	f.startBackorder("small")
	f.startBackorder("big")
	b := f.signIn("ian", store.UserInventoryClerk)

	all := b.get("/backorders")
	require.Equal(t, http.StatusOK, all.status)
	for _, want := range []string{f.order("small"), f.order("big"), "awaiting_fulfillment", "1500.00 USD", "39.98 USD", "5 days"} {
		assert.Contains(t, all.text(), want)
	}
	assert.NotContains(t, all.text(), f.order("pending"))

	rich := b.get("/backorders?min_value=1000")
	assert.Contains(t, rich.text(), f.order("big"))
	assert.NotContains(t, rich.text(), f.order("small"))

	escalated := b.get("/backorders?stage=escalated")
	assert.Contains(t, escalated.text(), "No open backorders match.")

	bad := b.get("/backorders?min_value=lots")
	assert.Equal(t, http.StatusUnprocessableEntity, bad.status)
	assert.Contains(t, bad.fieldError("Minimum value"), `"lots" is not an amount`)
	bad = b.get("/backorders?stage=frobbing")
	assert.Equal(t, http.StatusUnprocessableEntity, bad.status)
	assert.Contains(t, bad.text(), "is not a stage")
}

func TestAdminWorksEveryTaskAndCloses(t *testing.T) {
	f := newFixture(t, options{temporal: true})
	f.startBackorder("small")
	b := f.signIn("ada", store.UserAdmin)
	text := b.get("/tasks").text()
	assert.Contains(t, text, "Open tasks for the procurement manager and the inventory clerk")
	assert.Contains(t, text, f.task(f.order("small"), contract.RoleProcurementManager).Title)
	assert.Contains(t, text, f.task(f.order("small"), contract.RoleInventoryClerk).Title)
	order := b.get("/orders/" + f.order("small"))
	assert.True(t, order.hasButton("Cancel order"))
	assert.True(t, order.hasButton("Revise ETA"))
}

// The weekly report page shows the latest report with its chart; before
// any report has run, the week so far.
func TestWeeklyReportPage(t *testing.T) {
	f := newFixture(t, options{temporal: true})
	f.startBackorder("big")
	b := f.signIn("rhea", store.UserWarehouseManager)

	// The week so far is measured to the whole second, after the incident
	// opened.
	var p page
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		p = b.get("/report")
		require.Equal(c, http.StatusOK, p.status)
		assert.Contains(c, p.text(), "1 open, USD 1500.00 at risk (week in progress). No report has been run yet")
	}, 10*time.Second, 200*time.Millisecond)
	assert.Contains(t, p.text(), "Weekly report")
	frames := find(p.doc, func(n *html.Node) bool { return n.Data == "iframe" })
	require.Len(t, frames, 1)
	doc := b.get(attr(frames[0], "src"))
	require.Equal(t, http.StatusOK, doc.status)
	assert.Contains(t, doc.text(), "Open backorders 1")
	images := find(doc.doc, func(n *html.Node) bool { return n.Data == "img" })
	require.Len(t, images, 1, "the trend chart")
	chart := b.get(attr(images[0], "src"))
	assert.Equal(t, "image/png", chart.header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(chart.body, "\x89PNG"))
	csv := b.get("/report/latest.csv")
	assert.Equal(t, http.StatusOK, csv.status)
	assert.Contains(t, csv.body, "1500.00")

	// A stored report is the latest from then on.
	_, err := f.db.Pool().Exec(context.Background(), `INSERT INTO reports (week, timezone, as_of, complete, data)
		VALUES ('2026-W01', 'UTC', now(), true, $1)`, `{"week":"2026-W01","timezone":"UTC","from":"2025-12-29","to":"2026-01-04","complete":true,"open_count":7,
		"revenue_at_risk":{"EUR":"12.00"},"trend":[{"week":"2026-W01","open_at_week_end":7,"revenue_at_risk":{"EUR":"12.00"}}]}`)
	require.NoError(t, err)
	p = b.get("/report")
	assert.Contains(t, p.text(), "Backorder report 2026-W01: 7 open, EUR 12.00 at risk.")
	assert.NotContains(t, p.text(), "No report has been run yet")
}
