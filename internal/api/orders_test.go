package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/api"
	"github.com/acme/backorders/internal/contract"
)

// newOrders is an import body with one Backordered order per id, each
// with two lines, for the fixture's customer and product.
func newOrders(ids ...string) string {
	body := `{"orders": [`
	for i, id := range ids {
		if i > 0 {
			body += ","
		}
		body += fmt.Sprintf(`{"id": %q, "customer_id": "CUST-1", "status": "Backordered", "promised_date": %q, "currency": "USD",
			"lines": [{"sku": "SKU-1", "quantity": 4, "backordered_quantity": 4, "unit_price": "19.99"},
			          {"sku": "SKU-1", "quantity": 1, "backordered_quantity": 0, "unit_price": 5}]}`, id, dateIn(-10))
	}
	return body + "]}"
}

func TestOrdersAreCreatedAndUpdatedWithTheirLines(t *testing.T) {
	f := newFixture(t, false)
	token := f.token("erp", api.ScopeOrdersWrite, api.ScopeOrdersRead)

	got := f.call("POST", "/orders", token, newOrders("SO-1", "SO-2"))
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)
	assert.Equal(t, map[string]any{"suppliers": 0.0, "products": 0.0, "customers": 0.0, "orders": 2.0, "lines": 4.0}, got.json(t))

	// A new customer, a new product with its supplier, and SO-1 again with
	// one line instead of two: its lines are replaced.
	got = f.call("POST", "/orders", token, `{
		"suppliers": [{"id": "SUP-2", "name": "Bolt Co", "email": "bolts@example.com", "lead_time_days": 5}],
		"products": [{"sku": "SKU-2", "name": "Bolt", "supplier_id": "SUP-2"}],
		"customers": [{"id": "CUST-2", "name": "Sam Lee", "email": "sam@example.com"}],
		"orders": [{"id": "SO-1", "customer_id": "CUST-2", "status": "Backordered", "promised_date": "2026-11-01",
		            "currency": "EUR", "lines": [{"sku": "SKU-2", "quantity": 7, "backordered_quantity": 3, "unit_price": 0.1}]}]}`)
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)

	got = f.call("GET", "/orders/SO-1", token, "")
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)
	assert.Equal(t, map[string]any{
		"id": "SO-1", "status": "Backordered", "promised_date": "2026-11-01", "currency": "EUR",
		"lines": []any{map[string]any{"sku": "SKU-2", "product_name": "Bolt", "quantity": 7.0, "backordered_quantity": 3.0,
			"unit_price": "0.10", "supplier_id": "SUP-2"}},
	}, got.json(t))
	assert.Equal(t, 2, f.order("SO-2").Lines, "SO-2 is as it was")

	got = f.call("GET", "/orders/SO-404", token, "")
	require.Equal(t, http.StatusNotFound, got.status)
	assert.Equal(t, "not_found", got.errorOf(t)["code"])
}

// A request with problems is refused whole, with every problem listed by
// its JSON path, as `starter import` lists them, and nothing is written,
// not even its valid orders.
func TestOrdersWithProblemsAreRefusedAndNothingIsWritten(t *testing.T) {
	f := newFixture(t, false)
	token := f.token("erp", api.ScopeOrdersWrite)
	before := map[string]int{}
	for _, table := range []string{"orders", "order_lines", "customers", "products", "suppliers"} {
		before[table] = f.count(table)
	}

	got := f.call("POST", "/orders", token, `{"orders": [
		{"id": "SO-OK", "customer_id": "CUST-1", "status": "Backordered", "promised_date": "2026-11-01", "currency": "USD",
		 "lines": [{"sku": "SKU-1", "quantity": 1, "backordered_quantity": 1, "unit_price": "1.00"}]},
		{"id": "SO-BAD", "customer_id": "CUST-404", "status": "Lost", "promised_date": "2026-02-30", "currency": "usd",
		 "lines": [{"sku": "SKU-404", "quantity": 1, "backordered_quantity": 2, "unit_price": "ten"}], "colour": "red"}]}`)
	require.Equal(t, http.StatusBadRequest, got.status, "%s", got.body)
	e := got.errorOf(t)
	assert.Equal(t, "invalid", e["code"])
	assert.Contains(t, e["message"], "nothing was written")
	fields := map[string]string{}
	for _, p := range e["problems"].([]any) {
		p := p.(map[string]any)
		fields[p["field"].(string)] = p["message"].(string)
	}
	for _, field := range []string{
		"orders[1].colour", "orders[1].status", "orders[1].promised_date", "orders[1].currency",
		"orders[1].lines[0].backordered_quantity", "orders[1].lines[0].unit_price",
		"orders[1].customer_id", "orders[1].lines[0].sku",
	} {
		assert.Contains(t, fields, field)
	}
	assert.Contains(t, fields["orders[1].customer_id"], `customer "CUST-404" is neither in the file nor in the database`)
	assert.Len(t, fields, 8, "one problem a field: %v", fields)
	for table, n := range before {
		assert.Equal(t, n, f.count(table), "nothing was written to %s", table)
	}

	got = f.call("POST", "/orders", token, `{"orders": [`)
	require.Equal(t, http.StatusBadRequest, got.status)
	e = got.errorOf(t)
	assert.Contains(t, e["message"], "1 problem")
	problems := e["problems"].([]any)
	require.Len(t, problems, 1)
	assert.Equal(t, "", problems[0].(map[string]any)["field"], "malformed JSON is about the whole body")
	assert.Contains(t, problems[0].(map[string]any)["message"], "malformed JSON")
}

// An import does not close a stored order behind its workflow's back: that
// goes through the status route, which tells the workflow at once.
func TestOrdersCannotBeClosedByAnImport(t *testing.T) {
	f := newFixture(t, false)
	token := f.token("erp", api.ScopeOrdersWrite)
	f.storeOrder("SO-1", contract.OrderBackordered)
	before := f.order("SO-1")

	got := f.call("POST", "/orders", token, fmt.Sprintf(`{"orders": [{"id": "SO-1", "customer_id": "CUST-1", "status": "Fulfilled",
		"promised_date": %q, "currency": "USD", "lines": []}]}`, dateIn(-10)))
	require.Equal(t, http.StatusConflict, got.status, "%s", got.body)
	e := got.errorOf(t)
	assert.Equal(t, "refused", e["code"])
	assert.Equal(t, "orders[0].status", e["field"])
	assert.Contains(t, e["message"], "nothing was written")
	assert.Contains(t, e["problems"].([]any)[0].(map[string]any)["message"], "POST /api/v1/orders/SO-1/status")
	assert.Equal(t, before, f.order("SO-1"), "the order is untouched")

	// A new order may arrive closed: it has no workflow to tell.
	got = f.call("POST", "/orders", token, `{"orders": [{"id": "SO-2", "customer_id": "CUST-1", "status": "Cancelled",
		"promised_date": "2026-11-01", "currency": "USD"}]}`)
	require.Equal(t, http.StatusOK, got.status, "%s", got.body)
}

// A retry with the same Idempotency-Key and body gets the first answer and
// writes nothing again; the same key with another body is refused.
func TestOrdersRetriedWithAnIdempotencyKeyAreWrittenOnce(t *testing.T) {
	f := newFixture(t, false)
	token := f.token("erp", api.ScopeOrdersWrite)
	other := f.token("shop", api.ScopeOrdersWrite)
	body := newOrders("SO-1")

	first := f.call("POST", "/orders", token, body, api.IdempotencyKeyHeader, "order-SO-1-v1")
	require.Equal(t, http.StatusOK, first.status, "%s", first.body)
	assert.Empty(t, first.header.Get(api.ReplayedHeader))
	written := f.order("SO-1")

	again := f.call("POST", "/orders", token, body, api.IdempotencyKeyHeader, "order-SO-1-v1")
	require.Equal(t, http.StatusOK, again.status)
	assert.Equal(t, string(first.body), string(again.body), "the same answer")
	assert.Equal(t, "true", again.header.Get(api.ReplayedHeader))
	assert.Equal(t, written, f.order("SO-1"), "not written a second time")

	changed := f.call("POST", "/orders", token, newOrders("SO-1", "SO-2"), api.IdempotencyKeyHeader, "order-SO-1-v1")
	require.Equal(t, http.StatusUnprocessableEntity, changed.status, "%s", changed.body)
	e := changed.errorOf(t)
	assert.Equal(t, "idempotency_key_reused", e["code"])
	assert.Equal(t, "Idempotency-Key", e["field"])
	assert.Equal(t, written, f.order("SO-1"))
	assert.Equal(t, 1, f.count("orders"), "SO-2 was not written")

	// Keys are per token: another caller's same key is its own request.
	mine := f.call("POST", "/orders", other, newOrders("SO-2"), api.IdempotencyKeyHeader, "order-SO-1-v1")
	require.Equal(t, http.StatusOK, mine.status, "%s", mine.body)
	assert.Empty(t, mine.header.Get(api.ReplayedHeader))

	// A refusal is an answer too: retried, it is the same refusal.
	bad := `{"orders": [{"id": "SO-3"}]}`
	refused := f.call("POST", "/orders", token, bad, api.IdempotencyKeyHeader, "bad-1")
	require.Equal(t, http.StatusBadRequest, refused.status)
	retried := f.call("POST", "/orders", token, bad, api.IdempotencyKeyHeader, "bad-1")
	assert.Equal(t, http.StatusBadRequest, retried.status)
	assert.Equal(t, string(refused.body), string(retried.body))

	for _, key := range []string{"tab\tin-it", strings.Repeat("k", 256)} {
		got := f.call("POST", "/orders", token, body, api.IdempotencyKeyHeader, key)
		require.Equal(t, http.StatusBadRequest, got.status, "key %q", key)
		assert.Equal(t, "Idempotency-Key", got.errorOf(t)["field"])
	}
}
