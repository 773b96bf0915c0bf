package importer_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/importer"
	"github.com/acme/backorders/internal/store"
)

// valid is a correct file; each case below breaks one fragment of it.
const valid = `{
  "suppliers": [{"id": "SUP-1", "name": "Acme Parts", "email": "orders@acme.example", "lead_time_days": 14},
                {"id": "SUP-2", "name": "Northwind Components", "email": "Sales <sales@northwind.example>"}],
  "products":  [{"sku": "SKU-1", "name": "Widget", "supplier_id": "SUP-1", "lead_time_days": 10},
                {"sku": "SKU-2", "name": "Gadget", "supplier_id": "SUP-2", "lead_time_days": null}],
  "customers": [{"id": "C-1", "name": "Jane Doe", "email": "jane@example.com", "phone": "+14155552671"},
                {"id": "C-2", "name": "John Roe", "email": "john@example.com"}],
  "orders":    [{"id": "SO-1001", "customer_id": "C-1", "status": "Backordered", "promised_date": "2026-11-01", "currency": "USD",
                 "lines": [{"sku": "SKU-1", "quantity": 3, "backordered_quantity": 2, "unit_price": "19.99"},
                           {"sku": "SKU-2", "quantity": 1, "backordered_quantity": 0, "unit_price": 0.10000000000000000001}]},
                {"id": "SO-1002", "customer_id": "C-2", "status": "Pending", "promised_date": "2026-12-24", "currency": "EUR"}]
}`

func parse(t *testing.T, doc string) (store.Dataset, []string) {
	t.Helper()
	d, err := importer.Parse(strings.NewReader(doc))
	if err == nil {
		return d, nil
	}
	var verr *store.ValidationError
	require.True(t, errors.As(err, &verr), "want a *store.ValidationError, got %T: %v", err, err)
	return d, verr.Problems
}

func TestParseValid(t *testing.T) {
	d, problems := parse(t, valid)
	require.Empty(t, problems)

	require.Len(t, d.Suppliers, 2)
	assert.Equal(t, "SUP-1", d.Suppliers[0].ID)
	require.NotNil(t, d.Suppliers[0].LeadTimeDays)
	assert.Equal(t, 14, *d.Suppliers[0].LeadTimeDays)
	assert.Nil(t, d.Suppliers[1].LeadTimeDays, "missing lead time falls back")
	assert.Equal(t, "sales@northwind.example", d.Suppliers[1].Email, "only the address part is kept")

	require.Len(t, d.Products, 2)
	assert.Equal(t, 10, *d.Products[0].LeadTimeDays)
	assert.Nil(t, d.Products[1].LeadTimeDays, "null lead time falls back")

	require.Len(t, d.Customers, 2)
	require.NotNil(t, d.Customers[0].Phone)
	assert.Equal(t, "+14155552671", *d.Customers[0].Phone)
	assert.Nil(t, d.Customers[1].Phone)

	require.Len(t, d.Orders, 2)
	o := d.Orders[0]
	assert.Equal(t, "SO-1001", o.ID)
	assert.Equal(t, "C-1", o.CustomerID)
	assert.Equal(t, "Backordered", string(o.Status))
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), o.PromisedDate)
	assert.Equal(t, "USD", o.Currency)
	require.Len(t, o.Lines, 2)
	assert.Equal(t, store.OrderLine{SKU: "SKU-1", Quantity: 3, BackorderedQuantity: 2, UnitPrice: o.Lines[0].UnitPrice}, o.Lines[0])
	assert.Equal(t, "19.99", o.Lines[0].UnitPrice.String())
	assert.Equal(t, "0.10000000000000000001", o.Lines[1].UnitPrice.String(), "a JSON number is read exactly, never as a float")
	assert.Empty(t, d.Orders[1].Lines, "missing lines are no lines")
}

func TestParseReferencesOutsideTheFileAreLeftToImport(t *testing.T) {
	d, problems := parse(t, `{"orders": [{"id": "SO-1", "customer_id": "C-STORED", "status": "Pending", "promised_date": "2026-01-02",
		"currency": "USD", "lines": [{"sku": "SKU-STORED", "quantity": 1, "backordered_quantity": 0, "unit_price": "1"}]}],
		"products": [{"sku": "SKU-9", "name": "Nut", "supplier_id": "SUP-STORED"}]}`)
	require.Empty(t, problems, "store.Import checks these against the database")
	assert.Equal(t, "C-STORED", d.Orders[0].CustomerID)
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string // replace old with new in the valid file
		want     []string
	}{
		{
			name: "malformed JSON names line and column",
			old:  `"name": "Widget",`, new: `"name": "Widget" "x",`,
			want: []string{`malformed JSON at line 4, column 51 (byte 272): invalid character '"' after object key:value pair`},
		},
		{
			name: "data after the object",
			old:  "}]\n}", new: "}]\n}\n{}",
			want: []string{`malformed JSON at line 13, column 1 (byte 1105): invalid character '{' after top-level value`},
		},
		{
			name: "not an object",
			old:  valid, new: `[]`,
			want: []string{"the file must be a JSON object with suppliers, products, customers and orders arrays"},
		},
		{
			name: "a list that is not an array",
			old:  `"customers": [`, new: `"customers": 7, "x": [`,
			want: []string{
				"x: unknown field (expected one of suppliers, products, customers, orders)",
				"customers: must be an array",
			},
		},
		{
			name: "unknown fields",
			old:  `"phone": "+14155552671"`, new: `"phone": "+14155552671", "vip": true, "fax": "1"`,
			want: []string{
				"customers[0].fax: unknown field (expected one of id, name, email, phone)",
				"customers[0].vip: unknown field (expected one of id, name, email, phone)",
			},
		},
		{
			name: "missing, null, blank and mistyped required fields",
			old:  `"id": "C-1", "name": "Jane Doe", "email": "jane@example.com", "phone": "+14155552671"`,
			new:  `"name": null, "email": " ", "phone": 5`,
			want: []string{
				"customers[0].id: is required",
				"customers[0].name: is required",
				"customers[0].email: is required",
				"customers[0].phone: must be a string, not 5",
			},
		},
		{
			name: "bad email",
			old:  `"orders@acme.example"`, new: `"orders at acme"`,
			want: []string{`suppliers[0].email: "orders at acme" is not a valid email address`},
		},
		{
			name: "an address that is only valid quoted",
			old:  `"jane@example.com"`, new: `"Jane <\"jane doe\"@example.com>"`,
			want: []string{`customers[0].email: "Jane <\"jane doe\"@example.com>" is not a valid email address`},
		},
		{
			name: "a NUL character, which PostgreSQL cannot store",
			old:  `"id": "C-2"`, new: `"id": "C-\u0000"`,
			want: []string{`customers[1].id: "C-\x00" contains a NUL character (\u0000)`},
		},
		{
			name: "negative lead times",
			old:  `"lead_time_days": 14`, new: `"lead_time_days": -1`,
			want: []string{"suppliers[0].lead_time_days: must be a whole number >= 0 (days), or null to fall back"},
		},
		{
			name: "a lead time past any representable ETA",
			old:  `"lead_time_days": 10`, new: `"lead_time_days": 2147483647`,
			want: []string{"products[0].lead_time_days: must be at most 3650 (days), or null to fall back"},
		},
		{
			name: "fractional product lead time",
			old:  `"lead_time_days": 10`, new: `"lead_time_days": 1.5`,
			want: []string{"products[0].lead_time_days: must be a whole number >= 0 (days), or null to fall back"},
		},
		{
			name: "bad status, date and currency",
			old:  `"status": "Backordered", "promised_date": "2026-11-01", "currency": "USD"`,
			new:  `"status": "Shipped", "promised_date": "01/11/2026", "currency": "usd"`,
			want: []string{
				`orders[0].status: "Shipped" is not one of Pending, Backordered, Fulfilled, Cancelled`,
				`orders[0].promised_date: "01/11/2026" is not a date in the form YYYY-MM-DD`,
				`orders[0].currency: "usd" must be 3 upper-case letters such as USD`,
			},
		},
		{
			name: "impossible date",
			old:  `"2026-12-24"`, new: `"2026-02-30"`,
			want: []string{`orders[1].promised_date: "2026-02-30" is not a date in the form YYYY-MM-DD`},
		},
		{
			name: "fractional quantity",
			old:  `"quantity": 3,`, new: `"quantity": 2.5,`,
			want: []string{"orders[0].lines[0].quantity: must be a whole number >= 0"},
		},
		{
			name: "quantity as a string",
			old:  `"quantity": 3,`, new: `"quantity": "3",`,
			want: []string{"orders[0].lines[0].quantity: must be a whole number >= 0"},
		},
		{
			name: "negative quantities",
			old:  `"quantity": 3, "backordered_quantity": 2`, new: `"quantity": -3, "backordered_quantity": -2`,
			want: []string{
				"orders[0].lines[0].quantity: must be a whole number >= 0",
				"orders[0].lines[0].backordered_quantity: must be a whole number >= 0",
			},
		},
		{
			name: "quantity beyond the schema's integer",
			old:  `"quantity": 3,`, new: `"quantity": 3000000000,`,
			want: []string{"orders[0].lines[0].quantity: must be at most 2147483647"},
		},
		{
			name: "more backordered than ordered",
			old:  `"quantity": 1, "backordered_quantity": 0`, new: `"quantity": 3, "backordered_quantity": 5`,
			want: []string{"orders[0].lines[1].backordered_quantity: 5 is more than quantity 3"},
		},
		{
			name: "bad money",
			old:  `"unit_price": "19.99"`, new: `"unit_price": "19,99"`,
			want: []string{`orders[0].lines[0].unit_price: "19,99" is not a decimal amount such as "19.99"`},
		},
		{
			name: "negative money",
			old:  `"unit_price": 0.10000000000000000001`, new: `"unit_price": -0.5`,
			want: []string{`orders[0].lines[1].unit_price: "-0.5" is negative: amounts must be 0 or more`},
		},
		{
			name: "money of the wrong type",
			old:  `"unit_price": "19.99"`, new: `"unit_price": true`,
			want: []string{`orders[0].lines[0].unit_price: must be a decimal amount such as "19.99", not true`},
		},
		{
			name: "duplicate supplier",
			old:  `"id": "SUP-2"`, new: `"id": "SUP-1"`,
			want: []string{`suppliers[1].id: "SUP-1" appears more than once (first at suppliers[0])`},
		},
		{
			name: "duplicate product",
			old:  `"sku": "SKU-2", "name"`, new: `"sku": "SKU-1", "name"`,
			want: []string{`products[1].sku: "SKU-1" appears more than once (first at products[0])`},
		},
		{
			name: "duplicate customer",
			old:  `"id": "C-2"`, new: `"id": "C-1"`,
			want: []string{`customers[1].id: "C-1" appears more than once (first at customers[0])`},
		},
		{
			name: "duplicate order",
			old:  `"id": "SO-1002"`, new: `"id": "SO-1001"`,
			want: []string{`orders[1].id: "SO-1001" appears more than once (first at orders[0])`},
		},
		{
			name: "a line that is not an object",
			old:  `"lines": [{"sku": "SKU-1"`, new: `"lines": [7, {"sku": "SKU-1"`,
			want: []string{"orders[0].lines[0]: must be an object"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, valid, tc.old)
			_, problems := parse(t, strings.Replace(valid, tc.old, tc.new, 1))
			assert.Equal(t, tc.want, problems)
		})
	}
}

func TestParseListsEveryProblem(t *testing.T) {
	doc := `{
	  "suppliers": [{"id": "SUP-1", "name": "Acme", "email": "nope", "lead_time_days": -4}],
	  "products":  [{"sku": "SKU-1", "name": "Widget", "supplier_id": "SUP-1"}, {"sku": "SKU-1", "name": "Again", "supplier_id": "SUP-1"}],
	  "orders":    [{"id": "SO-1", "customer_id": "C-1", "status": "Backordered", "promised_date": "2026-11-31", "currency": "USD",
	                 "lines": [{"sku": "SKU-1", "quantity": 2.5, "backordered_quantity": 1, "unit_price": "x"},
	                           {"sku": "SKU-1", "quantity": 3, "backordered_quantity": 5, "unit_price": "1.00"}]}]
	}`
	_, err := importer.Parse(strings.NewReader(doc))
	require.Error(t, err)
	want := []string{
		`suppliers[0].email: "nope" is not a valid email address`,
		"suppliers[0].lead_time_days: must be a whole number >= 0 (days), or null to fall back",
		`products[1].sku: "SKU-1" appears more than once (first at products[0])`,
		`orders[0].promised_date: "2026-11-31" is not a date in the form YYYY-MM-DD`,
		"orders[0].lines[0].quantity: must be a whole number >= 0",
		`orders[0].lines[0].unit_price: "x" is not a decimal amount such as "19.99"`,
		"orders[0].lines[1].backordered_quantity: 5 is more than quantity 3",
	}
	var verr *store.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, want, verr.Problems)
	assert.Equal(t, "import rejected: 7 problems (nothing was written)\n  "+strings.Join(want, "\n  "), err.Error())
}

// Ids name workflows (backorder-<ORDER_ID>), ledger keys and CSV cells:
// every id and reference is held to at most 128 characters of
// [A-Za-z0-9._:-]; names, emails and phones have documented limits too.
func TestParseLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name     string
		old, new string
		want     []string
	}{
		{
			name: "an order id of 1,100 characters",
			old:  `"id": "SO-1001"`, new: `"id": "` + long(1100) + `"`,
			want: []string{`orders[0].id: "` + long(40) + `"… is 1100 characters long; an id is at most 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-': give it a shorter id`},
		},
		{
			name: "an id with a space",
			old:  `"id": "C-2"`, new: `"id": "C 2"`,
			want: []string{`customers[1].id: "C 2" has ' ' at position 2; an id holds only A-Z, a-z, 0-9, '.', '_', ':' and '-': give it an id without it`},
		},
		{
			name: "ids and references of every kind",
			old:  `"id": "SUP-1", "name": "Acme Parts"`, new: `"id": "SUP/1", "name": "Acme Parts"`,
			want: []string{`suppliers[0].id: "SUP/1" has '/' at position 4; an id holds only A-Z, a-z, 0-9, '.', '_', ':' and '-': give it an id without it`},
		},
		{
			name: "a reference that breaks the rule",
			old:  `"customer_id": "C-1"`, new: `"customer_id": "C-1'; DROP"`,
			want: []string{`orders[0].customer_id: "C-1'; DROP" has '\'' at position 4; an id holds only A-Z, a-z, 0-9, '.', '_', ':' and '-': give it an id without it`},
		},
		{
			name: "a line's SKU too long",
			old:  `{"sku": "SKU-1", "quantity": 3`, new: `{"sku": "` + long(129) + `", "quantity": 3`,
			want: []string{`orders[0].lines[0].sku: "` + long(40) + `"… is 129 characters long; an id is at most 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-': give it a shorter id`},
		},
		{
			name: "a product SKU that is not ASCII",
			old:  `"sku": "SKU-2", "name"`, new: `"sku": "SKU-é", "name"`,
			want: []string{`products[1].sku: "SKU-é" has 'é' at position 5; an id holds only A-Z, a-z, 0-9, '.', '_', ':' and '-': give it an id without it`},
		},
		{
			name: "a name of 201 characters",
			old:  `"name": "Widget"`, new: `"name": "` + strings.Repeat("é", 201) + `"`,
			want: []string{`products[0].name: "` + strings.Repeat("é", 40) + `"… is 201 characters long; a name is at most 200: shorten it`},
		},
		{
			name: "an email of 255 characters",
			old:  `"jane@example.com"`, new: `"` + long(243) + `@example.com"`,
			want: []string{`customers[0].email: "` + long(40) + `"… is 255 characters long; an email address is at most 254`},
		},
		{
			name: "a phone of 33 characters",
			old:  `"+14155552671"`, new: `"` + strings.Repeat("1", 33) + `"`,
			want: []string{`customers[0].phone: is 33 characters long; a phone number is at most 32 (E.164 such as +14155552671)`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Contains(t, valid, tc.old)
			_, problems := parse(t, strings.Replace(valid, tc.old, tc.new, 1))
			assert.Equal(t, tc.want, problems)
		})
	}

	// At the limits, all is well.
	doc := strings.Replace(valid, `"id": "SO-1001"`, `"id": "`+strings.Repeat("Az09._:-", 16)+`"`, 1)
	doc = strings.Replace(doc, `"name": "Widget"`, `"name": "`+strings.Repeat("é", 200)+`"`, 1)
	d, problems := parse(t, doc)
	require.Empty(t, problems)
	assert.Len(t, d.Orders[0].ID, importer.MaxIDLength)
}

// endless is an endless run of spaces: after a JSON value, valid padding.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestParseRefusesAFileOverTheLimit(t *testing.T) {
	_, problems := parse(t, "")
	require.NotEmpty(t, problems, "an empty file is a problem, not a panic")

	_, err := importer.Parse(io.MultiReader(strings.NewReader(valid), endless{}))
	var verr *store.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []string{"the file is larger than 64 MiB, the most one import reads: split it into several files and import each"}, verr.Problems)

	// Exactly at the limit the file is read (spaces after the object are fine).
	pad := importer.MaxFileBytes - len(valid)
	d, err := importer.Parse(io.MultiReader(strings.NewReader(valid), io.LimitReader(endless{}, int64(pad))))
	require.NoError(t, err)
	assert.Len(t, d.Orders, 2)
}

// Check returns what it could read beside the problems, with the file's
// indexes, so the references can be checked in the same pass.
func TestCheckKeepsTheFileIndexes(t *testing.T) {
	d, problems, err := importer.Check(strings.NewReader(`{"orders": [7,
		{"id": "SO-2", "customer_id": "C-X", "status": "Pending", "promised_date": "2026-01-02", "currency": "usd",
		 "lines": [null, {"sku": "SKU-X", "quantity": 1, "backordered_quantity": 0, "unit_price": "1"}]},
		{"id": "SO-3", "customer_id": "bad id", "status": "Pending", "promised_date": "2026-01-02", "currency": "USD"}]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"orders[0]: must be an object",
		`orders[1].currency: "usd" must be 3 upper-case letters such as USD`,
		"orders[1].lines[0]: must be an object",
		`orders[2].customer_id: "bad id" has ' ' at position 4; an id holds only A-Z, a-z, 0-9, '.', '_', ':' and '-': give it an id without it`,
	}, problems)
	require.Len(t, d.Orders, 3)
	assert.Equal(t, "C-X", d.Orders[1].CustomerID)
	require.Len(t, d.Orders[1].Lines, 2)
	assert.Equal(t, "SKU-X", d.Orders[1].Lines[1].SKU)
	assert.Empty(t, d.Orders[2].CustomerID, "a reference already reported is not looked up")
}
