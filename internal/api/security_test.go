package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/api"
	"github.com/acme/backorders/internal/cli"
	"github.com/acme/backorders/internal/contract"
)

// Every route, and any path under the API, refuses a request without a
// valid token before doing anything; the OpenAPI document alone is public.
func TestEveryRouteRefusesARequestWithoutAToken(t *testing.T) {
	f := newFixture(t, false)
	f.storeOrder("SO-1", contract.OrderBackordered)
	before := f.order("SO-1")
	body := `{"status": "Cancelled", "orders": []}`
	for _, op := range append(documented(t), [2]string{"GET", "/no/such/route"}, [2]string{"DELETE", "/orders"}) {
		method, path := op[0], op[1]
		t.Run(method+" "+path, func(t *testing.T) {
			for _, tc := range []struct {
				token, code string
			}{{"", "unauthorized"}, {"bko_not-a-token", "invalid_token"}} {
				got := f.call(method, path, tc.token, body)
				require.Equal(t, http.StatusUnauthorized, got.status, "%s", got.body)
				assert.Equal(t, tc.code, got.errorOf(t)["code"])
				assert.Contains(t, got.header.Get("WWW-Authenticate"), "Bearer")
			}
		})
	}
	assert.Equal(t, before, f.order("SO-1"), "nothing was changed")

	resp, err := http.Get(f.url + api.Prefix + "/openapi.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var served bytes.Buffer
	_, err = served.ReadFrom(resp.Body)
	require.NoError(t, err)
	doc, err := openapi3.NewLoader().LoadFromData(served.Bytes())
	require.NoError(t, err, "the served document parses")
	require.NoError(t, doc.Validate(context.Background()), "the served document is valid OpenAPI 3")
}

// A token lacking orders:write cannot change an order, whatever else it
// may do; one lacking tasks:write cannot complete a task.
func TestATokenWithoutTheScopeIsForbidden(t *testing.T) {
	f := newFixture(t, false)
	f.storeOrder("SO-1", contract.OrderBackordered)
	readOnly := f.token("reporting", api.ScopeOrdersRead, api.ScopeTasksRead, api.ScopeBackordersRead)
	ordersOnly := f.token("erp", api.ScopeOrdersWrite)
	before, orders := f.order("SO-1"), f.count("orders")

	for _, tc := range []struct {
		method, path, token, body, scope string
	}{
		{"POST", "/orders", readOnly, newOrders("SO-2"), "orders:write"},
		{"POST", "/orders/SO-1/status", readOnly, `{"status": "Fulfilled"}`, "orders:write"},
		{"POST", "/orders/SO-1/status", readOnly, `{"status": "Cancelled"}`, "orders:write"},
		{"POST", "/tasks/1/complete", ordersOnly, `{}`, "tasks:write"},
		{"GET", "/tasks", ordersOnly, "", "tasks:read"},
		{"GET", "/orders/SO-1", ordersOnly, "", "orders:read"},
		{"GET", "/backorders", ordersOnly, "", "backorders:read"},
	} {
		got := f.call(tc.method, tc.path, tc.token, tc.body, api.IdempotencyKeyHeader, "k-"+tc.path)
		require.Equal(t, http.StatusForbidden, got.status, "%s %s: %s", tc.method, tc.path, got.body)
		e := got.errorOf(t)
		assert.Equal(t, "forbidden", e["code"])
		assert.Contains(t, e["message"], tc.scope)
	}
	assert.Equal(t, before, f.order("SO-1"), "the order is untouched")
	assert.Equal(t, orders, f.count("orders"), "no order was created")
	assert.Equal(t, 0, f.count("api_idempotency_keys"), "a forbidden request claims no key")

	got := f.call("GET", "/orders/SO-1", readOnly, "")
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)
	assert.Equal(t, "Backordered", got.json(t)["status"])
}

// `starter tokens create` prints a token the API takes, stores only its
// hash, and `starter tokens revoke` stops it at once.
func TestTokensFromTheCommandLine(t *testing.T) {
	f := newFixture(t, false)
	run := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := cli.Main(args, &out, &errOut)
		return out.String(), errOut.String(), code
	}

	out, errOut, code := run("tokens", "create", "erp", "--scope", "orders:read, orders:write")
	require.Equal(t, 0, code, errOut)
	token := strings.TrimSpace(out)
	assert.True(t, strings.HasPrefix(token, "bko_"), "the token alone on stdout: %q", out)
	assert.Contains(t, errOut, "shown only now")
	var stored int
	require.NoError(t, f.db.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM api_tokens WHERE name = 'erp' AND token_hash <> convert_to($1, 'UTF8')`, token).Scan(&stored))
	assert.Equal(t, 1, stored, "stored, and not as itself")

	got := f.call("POST", "/orders", token, newOrders("SO-9"))
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)

	out, _, code = run("tokens", "list", "--json")
	require.Equal(t, 0, code)
	assert.NotContains(t, out, token, "list never shows a token")
	var listed []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &listed))
	require.Len(t, listed, 1)
	assert.Equal(t, "erp", listed[0]["name"])
	assert.Equal(t, []any{"orders:read", "orders:write"}, listed[0]["scopes"])
	assert.NotNil(t, listed[0]["last_used_at"], "its use was stamped")

	_, errOut, code = run("tokens", "create", "erp", "--scope", "tasks:read")
	assert.Equal(t, 4, code, "a taken name is refused")
	assert.Contains(t, errOut, "a token named erp exists")
	_, errOut, code = run("tokens", "create", "other", "--scope", "orders:delete")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `"orders:delete" is not a scope`)

	_, errOut, code = run("tokens", "revoke", "erp")
	require.Equal(t, 0, code, errOut)
	got = f.call("GET", "/orders/SO-9", token, "")
	require.Equal(t, http.StatusUnauthorized, got.status)
	assert.Equal(t, "invalid_token", got.errorOf(t)["code"])
	_, _, code = run("tokens", "revoke", "erp")
	assert.Equal(t, 3, code, "revoking an unknown token is not found")
}
