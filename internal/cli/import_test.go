package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.Equal(t, 1, f.code)
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
	assert.Equal(t, 1, f.code)
	assert.True(t, strings.HasPrefix(f.stderr,
		"starter: import rejected: 3 problems (nothing was written)\n  "+strings.Join(fileProblems, "\n  ")+
			"\nReferences to rows already in the database were not checked: cannot reach PostgreSQL at 127.0.0.1:1/backorders"), f.stderr)
	assert.NotContains(t, f.stderr, "hunter2")
}
