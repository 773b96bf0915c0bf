package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/api"
	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/inproc"
	"github.com/acme/backorders/internal/testing/pgtest"
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	inproc.StopDevServer()
	os.Exit(code)
}

// fixture is the API served over HTTP on a scratch database holding a
// supplier, a product and a customer, with or without Temporal and a real
// worker running the backorder workflow.
type fixture struct {
	t      *testing.T
	db     *store.Store
	url    string
	router routers.Router
	// temporal is nil without Temporal.
	temporal client.Client
	queue    string
	cfg      config.Config
}

func newFixture(t *testing.T, withTemporal bool) *fixture {
	t.Helper()
	db, dbURL := pgtest.NewStore(t)
	_, err := db.Import(context.Background(), store.Dataset{
		Suppliers: []store.Supplier{{ID: "SUP-1", Name: "Acme Parts", Email: "parts@example.com"}},
		Products:  []store.Product{{SKU: "SKU-1", Name: "Widget", SupplierID: "SUP-1"}},
		Customers: []store.Customer{{ID: "CUST-1", Name: "Jane Doe", Email: "jane@example.com"}},
	})
	require.NoError(t, err)

	f := &fixture{t: t, db: db, queue: "api-test-" + randomID()}
	temporalAddress := "127.0.0.1:1" // nothing listens: a test that reaches it by mistake fails
	if withTemporal {
		srv := inproc.SharedDevServer(t)
		temporalAddress, f.temporal = srv.FrontendHostPort(), srv.Client()
	}
	for k, v := range map[string]string{
		"DATABASE_URL": dbURL, "TEMPORAL_ADDRESS": temporalAddress, "TEMPORAL_NAMESPACE": "default",
		"BACKORDER_TASK_QUEUE": f.queue, "BACKORDER_TIMEZONE": "UTC", "BACKORDER_SMS_THRESHOLD": "",
		"WAREHOUSE_MANAGER_PHONE": "", "SENDGRID_API_KEY": "", "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
	f.cfg, err = config.Load()
	require.NoError(t, err)
	ops := &operations.Service{Store: db, Config: f.cfg, Temporal: f.temporal}
	if withTemporal {
		inproc.StartWorker(t, f.temporal, db, f.cfg)
	}
	srv := httptest.NewServer(api.NewHandler(api.Deps{Ops: ops, Store: db, Config: f.cfg}))
	t.Cleanup(srv.Close)
	f.url = srv.URL

	doc, err := openapi3.NewLoader().LoadFromData(api.Document)
	require.NoError(t, err)
	doc.Servers = openapi3.Servers{{URL: srv.URL + api.Prefix}}
	f.router, err = legacy.NewRouter(doc)
	require.NoError(t, err)
	return f
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// token creates a token with scopes, as `starter tokens create` does.
func (f *fixture) token(name string, scopes ...api.Scope) string {
	f.t.Helper()
	token, hash := api.NewToken()
	_, err := f.db.CreateAPIToken(context.Background(), name, hash, api.ScopeNames(scopes))
	require.NoError(f.t, err)
	return token
}

// reply is an answer of the API.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(r.body, &v), "%s", r.body)
	return v
}

// errorOf is the {"error": {...}} of an answer.
func (r reply) errorOf(t *testing.T) map[string]any {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	require.True(t, ok, "an error body: %s", r.body)
	return e
}

// call sends a request; headers come in name, value pairs. Every answer
// on a documented route is checked against openapi.json: its status is
// documented for the operation and its body fits the schema.
func (f *fixture) call(method, path, token, body string, headers ...string) reply {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+api.Prefix+path, strings.NewReader(body))
	require.NoError(f.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	got := reply{status: resp.StatusCode, header: resp.Header}
	got.body, err = io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	assert.Equal(f.t, "application/json", resp.Header.Get("Content-Type"), "%s %s", method, path)

	route, params, err := f.router.FindRoute(req)
	if err == nil {
		err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 got.status, Header: got.header, Body: io.NopCloser(bytes.NewReader(got.body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		})
		assert.NoError(f.t, err, "%s %s answered %d %s, which openapi.json does not describe", method, path, got.status, got.body)
	}
	return got
}

func (f *fixture) count(table string) int {
	f.t.Helper()
	var n int
	require.NoError(f.t, f.db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// orderRow is an order as stored, to see that a refused request left it.
type orderRow struct {
	Status    string
	UpdatedAt time.Time
	Lines     int
}

func (f *fixture) order(id string) orderRow {
	f.t.Helper()
	var r orderRow
	require.NoError(f.t, f.db.Pool().QueryRow(context.Background(),
		`SELECT status, updated_at, (SELECT count(*) FROM order_lines WHERE order_id = $1) FROM orders WHERE id = $1`, id).
		Scan(&r.Status, &r.UpdatedAt, &r.Lines))
	return r
}

// storeOrder stores a backordered order promised days ago.
func (f *fixture) storeOrder(id string, status contract.OrderStatus) {
	f.t.Helper()
	_, err := f.db.Import(context.Background(), store.Dataset{Orders: []store.Order{{
		ID: id, CustomerID: "CUST-1", Status: status, Currency: "USD",
		PromisedDate: backorder.DateOf(time.Now(), time.UTC).AddDate(0, 0, -10),
		Lines:        []store.OrderLine{{SKU: "SKU-1", Quantity: 3, BackorderedQuantity: 2, UnitPrice: decimal.RequireFromString("19.99")}},
	}}})
	require.NoError(f.t, err)
}

// documented lists every operation in openapi.json as method and a path
// with its parameters filled in.
func documented(t *testing.T) [][2]string {
	doc, err := openapi3.NewLoader().LoadFromData(api.Document)
	require.NoError(t, err)
	var out [][2]string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			filled := strings.NewReplacer("{order_id}", "SO-1", "{task_id}", "1").Replace(path)
			out = append(out, [2]string{method, filled})
		}
	}
	require.NotEmpty(t, out)
	return out
}

func dateIn(days int) string {
	return backorder.DateOf(time.Now(), time.UTC).AddDate(0, 0, days).Format(backorder.DateLayout)
}
