package web_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// screenshots, when set, is where the browser test saves the pictures of
// the README: go test ./internal/web -run TestInTheBrowser -args -screenshots ../../docs/images
var screenshots = flag.String("screenshots", "", "save the inbox and task page screenshots in this directory")

// chromiumPath is Debian's Chromium (apt-get install chromium), or
// BACKORDER_CHROMIUM.
func chromiumPath() string {
	if p := os.Getenv("BACKORDER_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// newBrowser starts headless Chromium with scripts switched off, as a
// person with JavaScript off would browse: every page must work so.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("drives headless Chromium: the integration tier, skipped with -short (make check)")
	}
	path := chromiumPath()
	_, err := os.Stat(path)
	require.NoError(t, err, "the browser tests need Chromium at %s: apt-get install chromium (or set BACKORDER_CHROMIUM)", path)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "en-US"))
	if os.Geteuid() == 0 {
		// Chromium refuses to run as root with its sandbox (CI runs as root).
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	_, err = chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	require.NoError(t, err)
	return ctx
}

// byLabel is the form control whose <label> reads label.
func byLabel(label string) string {
	return `//*[@id=//label[normalize-space(.)="` + label + `"]/@for]`
}

// button is the button reading label.
func button(label string) string { return `//button[normalize-space(.)="` + label + `"]` }

// heading is the page's h1 reading text.
func heading(text string) string { return `//h1[normalize-space(.)="` + text + `"]` }

// step runs browser actions with a bound on each, so a missing element
// fails the test instead of hanging it.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, actions...), what)
}

func mainText(t *testing.T, ctx context.Context) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(t, err)
	return strings.Join(strings.Fields(text), " ")
}

func present(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(sel, chromedp.AtLeast(0)))
	require.NoError(t, err)
	return len(nodes) > 0
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(*screenshots, name), png, 0o644))
}

func signInWithTheForm(t *testing.T, ctx context.Context, f *fixture, username string) {
	t.Helper()
	step(t, ctx, "sign in as "+username,
		chromedp.Navigate(f.url+"/"),
		chromedp.WaitVisible(heading("Sign in")),
		chromedp.SendKeys(byLabel("Username"), username),
		chromedp.SendKeys(byLabel("Password"), password),
		chromedp.Click(button("Sign in")),
		chromedp.WaitVisible(heading("My tasks")),
	)
}

// The people in the loop in a real browser with JavaScript off: the
// procurement manager completes a task with a confirmed ETA and sees the
// order's ETA change, after a refused date showed its message on the
// form; the clerk finds no procurement tasks and no cancel button.
func TestInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	o := options{temporal: true}
	if *screenshots != "" {
		o.id = "1001" // readable order ids in the pictures
	}
	f := newFixture(t, o)
	f.startBackorder("small")
	f.startBackorder("big")
	small := f.order("small")
	task := f.task(small, contract.RoleProcurementManager)
	f.addUser("paula", store.UserProcurementManager)
	f.addUser("carl", store.UserInventoryClerk)

	t.Run("procurement manager", func(t *testing.T) {
		signInWithTheForm(t, ctx, f, "paula")
		inbox := mainText(t, ctx)
		assert.Contains(t, inbox, task.Title)
		assert.Contains(t, inbox, f.order("big"))
		screenshot(t, ctx, "web-inbox.png")

		step(t, ctx, "open the task from the inbox",
			chromedp.Click(`//a[normalize-space(.)="`+task.Title+`"]`),
			chromedp.WaitVisible(byLabel("Confirmed ETA")),
		)
		page := mainText(t, ctx)
		for _, want := range []string{"SKU-1", "Widget", "Acme Parts", "Mitigation plan", "Notifications sent"} {
			assert.Contains(t, page, want)
		}

		eta := today(30)
		step(t, ctx, "fill in the form",
			chromedp.SetValue(byLabel("Confirmed ETA"), eta),
			chromedp.SendKeys(byLabel("Note"), "Acme confirmed the shipment"),
		)
		screenshot(t, ctx, "web-task.png")

		// A date the browser's own picker would not offer, typed anyway:
		// the server refuses it by the field, and nothing is written.
		step(t, ctx, "complete with today's date",
			chromedp.SetValue(byLabel("Confirmed ETA"), today(0)),
			chromedp.Click(button("Complete task")),
			chromedp.WaitVisible(chromedp.ID("confirmed_eta-error")),
		)
		refusal, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("confirmed_eta-error")))
		require.NoError(t, err)
		assert.Contains(t, refusal, today(0)+" is not after today")
		assert.Equal(t, contract.TaskOpen, f.task(small, contract.RoleProcurementManager).Status)
		assert.Equal(t, 1, f.state(small).ETAVersion)

		step(t, ctx, "complete with the confirmed ETA",
			chromedp.SetValue(byLabel("Confirmed ETA"), eta),
			chromedp.Click(button("Complete task")),
			chromedp.WaitVisible(heading("Order "+small)),
		)
		etaText, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("eta")))
		require.NoError(t, err)
		assert.Equal(t, eta+" (revision 2)", strings.TrimSpace(etaText), "the order's ETA changed")
		assert.Contains(t, mainText(t, ctx), "by paula")
		assert.Equal(t, eta, f.state(small).NewETA)
		screenshot(t, ctx, "web-order.png")
	})

	t.Run("inventory clerk", func(t *testing.T) {
		ctx := newBrowser(t)
		signInWithTheForm(t, ctx, f, "carl")
		inbox := mainText(t, ctx)
		assert.Contains(t, inbox, "Open tasks for the inventory clerk")
		assert.Contains(t, inbox, f.task(small, contract.RoleInventoryClerk).Title)
		assert.NotContains(t, inbox, "Investigate shortage", "no procurement tasks")

		step(t, ctx, "open an order",
			chromedp.Click(`//a[normalize-space(.)="`+f.order("big")+`"]`),
			chromedp.WaitVisible(heading("Order "+f.order("big"))),
		)
		assert.False(t, present(t, ctx, button("Cancel order")), "no cancel button for the clerk")
		assert.False(t, present(t, ctx, button("Mark fulfilled")))
		assert.Contains(t, mainText(t, ctx), "Timeline")
	})
}
