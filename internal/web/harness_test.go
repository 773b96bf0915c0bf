package web_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"golang.org/x/net/html"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/inproc"
	"github.com/acme/backorders/internal/testing/pgtest"
	"github.com/acme/backorders/internal/web"
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	inproc.StopDevServer()
	os.Exit(code)
}

// password is every test user's password.
const password = "correct horse battery staple"

// fixture is the web app served over HTTP on a scratch database with a
// few orders, with or without Temporal and a real worker.
type fixture struct {
	t   *testing.T
	db  *store.Store
	cfg config.Config
	url string
	// server is the handler, for requests a real client cannot make (from
	// another address).
	server *web.Server
	// temporal is nil without Temporal.
	temporal client.Client
	// id makes this test's order ids its own on the shared dev server.
	id string
}

type options struct {
	temporal bool
	// id replaces the random part of the order ids (for screenshots).
	id string
	// env adds settings (BACKORDER_OIDC_*, ...).
	env map[string]string
}

func newFixture(t *testing.T, o options) *fixture {
	t.Helper()
	db, dbURL := pgtest.NewStore(t)
	f := &fixture{t: t, db: db, id: o.id}
	if f.id == "" {
		f.id = randomID()
	}
	temporalAddress := "127.0.0.1:1" // nothing listens: a test that reaches it by mistake fails
	if o.temporal {
		srv := inproc.SharedDevServer(t)
		temporalAddress, f.temporal = srv.FrontendHostPort(), srv.Client()
	}
	// The listener comes first: the public URL (the OIDC redirect) is its
	// address.
	hs := httptest.NewUnstartedServer(nil)
	t.Cleanup(hs.Close)
	env := map[string]string{
		"DATABASE_URL": dbURL, "TEMPORAL_ADDRESS": temporalAddress, "TEMPORAL_NAMESPACE": "default",
		"BACKORDER_TASK_QUEUE": "web-test-" + f.id, "BACKORDER_TIMEZONE": "UTC", "BACKORDER_SMS_THRESHOLD": "",
		"WAREHOUSE_MANAGER_PHONE": "", "SENDGRID_API_KEY": "", "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "",
		"BACKORDER_HTTP_ADDR": hs.Listener.Addr().String(), "BACKORDER_PUBLIC_URL": "",
		"BACKORDER_OIDC_ISSUER": "", "BACKORDER_OIDC_CLIENT_ID": "", "BACKORDER_OIDC_CLIENT_SECRET": "",
	}
	for k, v := range o.env {
		env[k] = v
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	var err error
	f.cfg, err = config.Load()
	require.NoError(t, err)
	if o.temporal {
		inproc.StartWorker(t, f.temporal, db, f.cfg)
	}
	ops := &operations.Service{Store: db, Config: f.cfg, Temporal: f.temporal}
	f.server, err = web.New(web.Deps{Ops: ops, Store: db, Config: f.cfg})
	require.NoError(t, err)
	hs.Config.Handler = f.server
	hs.Start()
	f.url = hs.URL
	f.importOrders()
	return f
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// order is one of the fixture's orders: "small" (2 Widgets backordered,
// 39.98 USD), "big" (10 Gadgets, 1500.00 USD) or "pending".
func (f *fixture) order(name string) string { return "SO-" + f.id + "-" + name }

// today is the business date, YYYY-MM-DD, plus days.
func today(days int) string {
	return backorder.DateOf(time.Now(), time.UTC).AddDate(0, 0, days).Format(backorder.DateLayout)
}

func (f *fixture) importOrders() {
	f.t.Helper()
	lead := func(n int) *int { return &n }
	promised := func(daysAgo int) time.Time {
		return backorder.DateOf(time.Now(), time.UTC).AddDate(0, 0, -daysAgo)
	}
	_, err := f.db.Import(context.Background(), store.Dataset{
		Suppliers: []store.Supplier{
			{ID: "SUP-1", Name: "Acme Parts", Email: "parts@acme.example", LeadTimeDays: lead(14)},
			{ID: "SUP-2", Name: "Globex Supply", Email: "sales@globex.example"},
		},
		Products: []store.Product{
			{SKU: "SKU-1", Name: "Widget", SupplierID: "SUP-1", LeadTimeDays: lead(10)},
			{SKU: "SKU-2", Name: "Gadget", SupplierID: "SUP-2"},
		},
		Customers: []store.Customer{{ID: "C-1", Name: "Jane Doe", Email: "jane@example.com"}},
		Orders: []store.Order{
			{ID: f.order("small"), CustomerID: "C-1", Status: contract.OrderBackordered, PromisedDate: promised(20), Currency: "USD",
				Lines: []store.OrderLine{{SKU: "SKU-1", Quantity: 3, BackorderedQuantity: 2, UnitPrice: decimal.RequireFromString("19.99")}}},
			{ID: f.order("big"), CustomerID: "C-1", Status: contract.OrderBackordered, PromisedDate: promised(5), Currency: "USD",
				Lines: []store.OrderLine{{SKU: "SKU-2", Quantity: 10, BackorderedQuantity: 10, UnitPrice: decimal.RequireFromString("150.00")}}},
			{ID: f.order("pending"), CustomerID: "C-1", Status: contract.OrderPending, PromisedDate: promised(-10), Currency: "USD",
				Lines: []store.OrderLine{{SKU: "SKU-1", Quantity: 1, BackorderedQuantity: 0, UnitPrice: decimal.RequireFromString("19.99")}}},
		},
	})
	require.NoError(f.t, err)
}

// startBackorder starts the order's workflow as a sweep would and waits
// until it awaits fulfilment with both its tasks created.
func (f *fixture) startBackorder(name string) {
	f.t.Helper()
	id := f.order(name)
	_, err := f.temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: contract.BackorderWorkflowID(id), TaskQueue: f.cfg.TaskQueue,
	}, contract.BackorderWorkflowName, contract.BackorderInput{OrderID: id, AsOf: today(0)})
	require.NoError(f.t, err)
	require.EventuallyWithT(f.t, func(c *assert.CollectT) {
		tasks, err := f.db.ListTasks(context.Background(), store.TaskFilter{OrderID: id})
		require.NoError(c, err)
		assert.Len(c, tasks, 2)
		assert.Equal(c, contract.StageAwaitingFulfillment, f.stage(id))
	}, 30*time.Second, 100*time.Millisecond, "order %s's workflow reaches awaiting_fulfillment with two tasks", id)
}

func (f *fixture) stage(orderID string) contract.Stage {
	resp, err := f.temporal.QueryWorkflow(context.Background(), contract.BackorderWorkflowID(orderID), "", contract.QueryStatus)
	if err != nil {
		return ""
	}
	var s contract.BackorderState
	if resp.Get(&s) != nil {
		return ""
	}
	return s.Stage
}

// state is what the order's workflow answers to its status query.
func (f *fixture) state(orderID string) contract.BackorderState {
	f.t.Helper()
	resp, err := f.temporal.QueryWorkflow(context.Background(), contract.BackorderWorkflowID(orderID), "", contract.QueryStatus)
	require.NoError(f.t, err)
	var s contract.BackorderState
	require.NoError(f.t, resp.Get(&s))
	return s
}

// task is the order's open or done task for role.
func (f *fixture) task(orderID string, role contract.Role) store.Task {
	f.t.Helper()
	tasks, err := f.db.ListTasks(context.Background(), store.TaskFilter{OrderID: orderID, Role: role})
	require.NoError(f.t, err)
	require.Len(f.t, tasks, 1, "order %s has one %s task", orderID, role)
	return tasks[0]
}

// addUser adds an account with the shared password, as `starter users add`
// does.
func (f *fixture) addUser(name string, role store.UserRole) {
	f.t.Helper()
	hash, err := web.HashPassword(password)
	require.NoError(f.t, err)
	require.NoError(f.t, f.db.AddUser(context.Background(), store.User{Username: name, Role: role, PasswordHash: hash}, false))
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so tests see them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (f *fixture) visitor() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(f.t, err)
	return &browser{t: f.t, base: f.url, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signIn adds a user with role and signs in as them.
func (f *fixture) signIn(name string, role store.UserRole) *browser {
	f.t.Helper()
	f.addUser(name, role)
	b := f.visitor()
	p := b.post("/sign-in", url.Values{"username": {name}, "password": {password}})
	require.Equal(f.t, http.StatusSeeOther, p.status, p.text())
	require.Equal(f.t, "/tasks", p.location)
	return b
}

// page is an answer of the server, its HTML parsed.
type page struct {
	t        *testing.T
	status   int
	location string
	header   http.Header
	body     string
	doc      *html.Node
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	p := page{t: b.t, status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: string(body)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		p.doc, err = html.Parse(strings.NewReader(p.body))
		require.NoError(b.t, err)
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

// post sends a form as a browser on this site does (Sec-Fetch-Site:
// same-origin); headers, in name, value pairs, replace that.
func (b *browser) post(path string, form url.Values, headers ...string) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// follow loads the page a redirect points to.
func (b *browser) follow(p page) page {
	b.t.Helper()
	require.Equal(b.t, http.StatusSeeOther, p.status, "a redirect: %s", p.text())
	return b.get(p.location)
}

// text is the page's visible text, whitespace folded.
func (p page) text() string {
	if p.doc == nil {
		return p.body
	}
	return strings.Join(strings.Fields(textOf(p.doc)), " ")
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "title") {
		return ""
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
		b.WriteString(" ")
	}
	return b.String()
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// find is every element under n for which match holds.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var found []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			found = append(found, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return found
}

func (p page) byID(id string) *html.Node {
	if p.doc == nil || id == "" {
		return nil
	}
	nodes := find(p.doc, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(nodes) == 0 {
		return nil
	}
	return nodes[0]
}

// field is the form control whose <label for> reads label; nil when there
// is none.
func (p page) field(label string) *html.Node {
	if p.doc == nil {
		return nil
	}
	for _, l := range find(p.doc, func(n *html.Node) bool { return n.Data == "label" }) {
		if strings.Join(strings.Fields(textOf(l)), " ") == label {
			return p.byID(attr(l, "for"))
		}
	}
	return nil
}

// fieldError is the error message tied to the labelled field through its
// aria-describedby; "" when it has none.
func (p page) fieldError(label string) string {
	input := p.field(label)
	require.NotNil(p.t, input, "a field labelled %q", label)
	for _, id := range strings.Fields(attr(input, "aria-describedby")) {
		if n := p.byID(id); n != nil && strings.Contains(attr(n, "class"), "error") {
			return strings.Join(strings.Fields(textOf(n)), " ")
		}
	}
	return ""
}

// hasButton reports whether the page has a button reading label.
func (p page) hasButton(label string) bool {
	if p.doc == nil {
		return false
	}
	return len(find(p.doc, func(n *html.Node) bool {
		return n.Data == "button" && strings.Join(strings.Fields(textOf(n)), " ") == label
	})) > 0
}

// formError is the message at the top of the page's form; "" for none.
func (p page) formError() string {
	if n := p.byID("form-error"); n != nil {
		return strings.Join(strings.Fields(textOf(n)), " ")
	}
	return ""
}
