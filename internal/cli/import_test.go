package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/cli"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// badImport has problems of both kinds: in the file itself (a bad email, a
// fractional quantity, an order id Temporal would refuse) and references
// that name rows in neither the file nor the database.
func badImport(t *testing.T) string {
	t.Helper()
	doc := `{
	  "suppliers": [{"id": "SUP-2", "name": "Northwind", "email": "nope"}],
	  "products":  [{"sku": "SKU-2", "name": "Gadget", "supplier_id": "SUP-9"}],
	  "orders": [
	    {"id": "SO-1", "customer_id": "CUST-1", "status": "Backordered", "promised_date": "2026-11-01", "currency": "USD",
	     "lines": [{"sku": "SKU-1", "quantity": 2.5, "backordered_quantity": 1, "unit_price": "19.99"}]},
	    {"id": "SO-2", "customer_id": "C-404", "status": "Backordered", "promised_date": "2026-11-01", "currency": "USD",
	     "lines": [{"sku": "SKU-2", "quantity": 1, "backordered_quantity": 1, "unit_price": "1.00"},
	               {"sku": "SKU-404", "quantity": 1, "backordered_quantity": 1, "unit_price": "1.00"}]},
	    {"id": "` + strings.Repeat("9", 1100) + `", "customer_id": "CUST-1", "status": "Backordered", "promised_date": "2026-11-01", "currency": "USD"}]
	}`
	path := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	return path
}

var fileProblems = []string{
	`suppliers[0].email: "nope" is not a valid email address`,
	"orders[0].lines[0].quantity: must be a whole number >= 0",
	`orders[2].id: "` + strings.Repeat("9", 40) + `"… is 1100 characters long; an id is at most 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-': give it a shorter id`,
}

// docs/operations.md promises every problem in one run: the file's own and its
// unknown references together, each by JSON path, and nothing written.
func TestImportListsEveryProblemInOnePass(t *testing.T) {
	s, dbURL := ordersDB(t, map[string]string{"SO-OLD": "Pending"}) // SUP-1, SKU-1, CUST-1 are stored
	usingEnv(t, "DATABASE_URL", dbURL)
	f := run("import", "--file", badImport(t))

	want := append(append([]string(nil), fileProblems...),
		`products[0].supplier_id: supplier "SUP-9" is neither in the file nor in the database`,
		`orders[1].customer_id: customer "C-404" is neither in the file nor in the database`,
		`orders[1].lines[1].sku: product "SKU-404" is neither in the file nor in the database`,
	)
	assert.Equal(t, exitRefused, f.code, "exit code")
	assert.Empty(t, f.stdout)
	assert.Equal(t, "starter: import rejected: 6 problems (nothing was written)\n  "+strings.Join(want, "\n  ")+"\n", f.stderr)

	var orders, suppliers int
	require.NoError(t, s.Pool().QueryRow(context.Background(),
		`SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM suppliers)`).Scan(&orders, &suppliers))
	assert.Equal(t, []int{1, 1}, []int{orders, suppliers}, "nothing was written")
}

// Without the database the file's own problems are still listed, and the
// listing says the references were not checked.
func TestImportWithoutDatabaseListsTheFileProblems(t *testing.T) {
	usingEnv(t)
	f := run("import", "--file", badImport(t))
	assert.Equal(t, exitRefused, f.code, "exit code")
	assert.True(t, strings.HasPrefix(f.stderr,
		"starter: import rejected: 3 problems (nothing was written)\n  "+strings.Join(fileProblems, "\n  ")+
			"\nReferences to rows already in the database were not checked: cannot reach PostgreSQL at 127.0.0.1:1/backorders"), f.stderr)
	assert.NotContains(t, f.stderr, "hunter2")
}

// dbSnapshot is every row an import may touch, as text, to prove a dry run
// changed none of them.
func dbSnapshot(t *testing.T, s *store.Store) string {
	t.Helper()
	var snap string
	require.NoError(t, s.Pool().QueryRow(context.Background(), `
		SELECT concat_ws(' | ',
		  (SELECT string_agg(concat_ws(',', id, name, email, lead_time_days), ';' ORDER BY id) FROM suppliers),
		  (SELECT string_agg(concat_ws(',', sku, name, supplier_id, lead_time_days), ';' ORDER BY sku) FROM products),
		  (SELECT string_agg(concat_ws(',', id, name, email, phone), ';' ORDER BY id) FROM customers),
		  (SELECT string_agg(concat_ws(',', id, customer_id, status, promised_date, currency, updated_at), ';' ORDER BY id) FROM orders),
		  (SELECT string_agg(concat_ws(',', order_id, line_no, sku, quantity, backordered_quantity, unit_price), ';' ORDER BY order_id, line_no) FROM order_lines))`).
		Scan(&snap))
	return snap
}

// --dry-run says what the import would insert, update and delete, and
// writes nothing; the same file imported for real then does just that.
func TestImportDryRunWritesNothing(t *testing.T) {
	// Stored: SUP-1, SKU-1, CUST-1 and SO-1 with one line, SO-2 with one.
	s, dbURL := ordersDB(t, map[string]string{"SO-1": "Backordered", "SO-2": "Pending"})
	usingEnv(t, "DATABASE_URL", dbURL)
	doc := `{
	  "suppliers": [{"id": "SUP-1", "name": "Acme Parts Renamed", "email": "parts@example.com"},
	                {"id": "SUP-2", "name": "Northwind", "email": "nw@example.com"}],
	  "products":  [{"sku": "SKU-2", "name": "Gadget", "supplier_id": "SUP-2"}],
	  "orders": [
	    {"id": "SO-1", "customer_id": "CUST-1", "status": "Backordered", "promised_date": "2026-11-01", "currency": "USD",
	     "lines": [{"sku": "SKU-1", "quantity": 3, "backordered_quantity": 3, "unit_price": "19.99"},
	               {"sku": "SKU-2", "quantity": 1, "backordered_quantity": 1, "unit_price": "5.00"}]},
	    {"id": "SO-2", "customer_id": "CUST-1", "status": "Pending", "promised_date": "2026-11-01", "currency": "USD", "lines": []},
	    {"id": "SO-3", "customer_id": "CUST-1", "status": "Backordered", "promised_date": "2026-11-02", "currency": "EUR",
	     "lines": [{"sku": "SKU-2", "quantity": 4, "backordered_quantity": 4, "unit_price": "2.50"}]}]
	}`
	before := dbSnapshot(t, s)

	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(succeedWithInput(t, doc, "import", "--file", "-", "--dry-run", "--json")), &got))
	changes := func(inserted, updated, deleted float64) map[string]any {
		return map[string]any{"inserted": inserted, "updated": updated, "deleted": deleted}
	}
	assert.Equal(t, map[string]any{
		"file": "-", "dry_run": true, "written": false, "problems": []any{},
		"suppliers": changes(1, 1, 0), "products": changes(1, 0, 0), "customers": changes(0, 0, 0),
		"orders": changes(1, 2, 0),
		// SO-1: line 1 updated, line 2 new; SO-2: its one line goes; SO-3: one new.
		"lines": changes(2, 1, 1),
	}, got)
	assert.Equal(t, before, dbSnapshot(t, s), "a dry run writes nothing")

	out := succeedWithInput(t, doc, "import", "--file", "-", "--dry-run")
	assert.Contains(t, out, "Would import standard input (dry run: nothing was written)")
	assert.Regexp(t, `order lines +3 \(2 to insert, 1 to update, 1 to delete\)`, out)
	assert.Equal(t, before, dbSnapshot(t, s))

	out = succeedWithInput(t, doc, "import", "--file", "-")
	assert.Contains(t, out, "Imported standard input")
	assert.Regexp(t, `orders +3 \(1 new, 2 updated\)`, out)
	assert.NotEqual(t, before, dbSnapshot(t, s))
	var lines int
	require.NoError(t, s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM order_lines`).Scan(&lines))
	assert.Equal(t, 3, lines, "the dry run's count: SO-1 two lines, SO-2 none, SO-3 one")
}

// A rejected file with --json: the problems as JSON on stdout, one line on
// stderr, exit 4, and nothing written; the same for a dry run.
func TestImportRejectionAsJSON(t *testing.T) {
	s, dbURL := ordersDB(t, map[string]string{"SO-OLD": "Pending"})
	usingEnv(t, "DATABASE_URL", dbURL)
	before := dbSnapshot(t, s)
	for _, dryRun := range []bool{false, true} {
		args := []string{"import", "--file", badImport(t), "--json"}
		if dryRun {
			args = append(args, "--dry-run")
		}
		f := run(args...)
		assert.Equal(t, exitRefused, f.code)
		var got struct {
			DryRun   bool     `json:"dry_run"`
			Written  bool     `json:"written"`
			Problems []string `json:"problems"`
			Orders   any      `json:"orders"`
		}
		require.NoError(t, json.Unmarshal([]byte(f.stdout), &got), f.stdout)
		assert.Equal(t, dryRun, got.DryRun)
		assert.False(t, got.Written)
		assert.Len(t, got.Problems, 6)
		assert.Equal(t, fileProblems, got.Problems[:3])
		assert.Nil(t, got.Orders)
		assert.Equal(t, "starter: import rejected: 6 problem(s) (nothing was written), listed in the JSON on standard output\n", f.stderr)
		assert.Equal(t, before, dbSnapshot(t, s))
	}
}

// succeedWithInput runs the starter with stdin, requires exit 0 and an
// empty stderr, and returns stdout.
func succeedWithInput(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.Equal(t, 0, cli.Run(args, strings.NewReader(stdin), &out, &errOut), "%v: %s", args, errOut.String())
	assert.Empty(t, errOut.String(), "%v", args)
	return out.String()
}

func TestSeedJSONAndProgress(t *testing.T) {
	_, dbURL := pgtest.NewStore(t)
	usingEnv(t, "DATABASE_URL", dbURL)
	f := run("seed", "--orders", "40", "--overdue", "4", "--as-of", "2026-11-20", "--json")
	require.Equal(t, 0, f.code, f.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(f.stdout), &got), f.stdout)
	assert.Equal(t, float64(40), got["orders"])
	assert.Equal(t, float64(4), got["overdue"])
	assert.Equal(t, "2026-11-20", got["as_of"])
	for _, key := range []string{"lines", "customers", "suppliers", "products", "elapsed_ms"} {
		assert.Contains(t, got, key)
	}
	assert.Equal(t, "seeding: 40/40 orders (100%)\n", f.stderr, "progress on stderr, once")
}
