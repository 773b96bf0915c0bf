package importer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/importer"
	"github.com/acme/backorders/internal/store"
)

// FuzzParse feeds arbitrary bytes to the import parser. It must never
// panic; it either rejects the file with a *store.ValidationError listing
// at least one problem, or returns a Dataset the database will take as it
// is: every required field present, quantities and prices within the
// schema's checks, lead times within MaxLeadTimeDays, valid statuses,
// currencies and dates, sendable email addresses, unique ids of at most
// MaxIDLength characters of [A-Za-z0-9._:-], names, emails and phones
// within their limits, and no text PostgreSQL cannot store (NUL). A
// dataset also survives being written back out in the import format and
// read again.
//
// The seeds below and in testdata/fuzz/FuzzParse/ run with every `go test`;
// to search for new failures:
//
//	go test -run='^$' -fuzz='^FuzzParse$' -fuzztime=60s ./internal/importer/
//
// and keep any input it reports (it writes it to testdata/fuzz/FuzzParse/)
// once the bug is fixed.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		valid,
		`{}`,
		`{"suppliers": null, "products": [], "customers": null, "orders": []}`,
		`[]`, `null`, `""`, `7`, ``, `{`, `{"orders": [}`, "{}\n{}", "\xff\xfe{}",
		`{"orders": [null, 7, "x", [], {}]}`,
		`{"orders": [{"id": "SO-1", "customer_id": "C-1", "status": "Pending", "promised_date": "2026-01-02", "currency": "USD",
			"lines": [{"sku": "S", "quantity": 2147483647, "backordered_quantity": 2147483647, "unit_price": 1e10000}]}]}`,
		`{"orders": [{"id": "SO-1", "customer_id": "C-1", "status": "Pending", "promised_date": "2026-01-02", "currency": "USD",
			"lines": [{"sku": "S", "quantity": 2147483648, "backordered_quantity": -0, "unit_price": "-0"}]}]}`,
		`{"orders": [{"id": "SO-1", "customer_id": "C-1", "status": "Pending", "promised_date": "0001-01-01", "currency": "USD",
			"lines": [{"sku": "S", "quantity": 1, "backordered_quantity": 1, "unit_price": 1e-10000}]}]}`,
		`{"customers": [{"id": "C\u0000", "name": "N", "email": "a@b.c"}]}`,
		`{"customers": [{"id": "C-1", "name": "N", "email": "\"a b\"@example.com", "phone": " "}]}`,
		`{"customers": [{"id": "C-1", "name": "N", "email": "N <n@example.com>"}, {"id": "C-1", "name": "N", "email": "n@example.com"}]}`,
		`{"suppliers": [{"id": "S", "name": "N", "email": "s@example.com", "lead_time_days": 2147483647}],
		  "products": [{"sku": "P", "name": "N", "supplier_id": "S", "lead_time_days": 1e2}]}`,
		`{"suppliers": [{"id": "S", "name": "N", "email": "s@example.com", "id": "T", "extra": {"deep": [1, 2]}}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := importer.Parse(bytes.NewReader(data))
		if err != nil {
			var verr *store.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("want a *store.ValidationError, got %T: %v", err, err)
			}
			if len(verr.Problems) == 0 {
				t.Fatalf("a rejected file must list at least one problem: %q", err)
			}
			for _, p := range verr.Problems {
				if strings.TrimSpace(p) == "" {
					t.Fatalf("an empty problem line in %q", verr.Problems)
				}
			}
			// The same file is rejected for the same reasons, in the same order.
			_, again := importer.Parse(bytes.NewReader(data))
			var verr2 *store.ValidationError
			if !errors.As(again, &verr2) || !slices.Equal(verr.Problems, verr2.Problems) {
				t.Fatalf("parsing twice gave different problems:\n%q\n%q", verr.Problems, again)
			}
			return
		}
		checkDataset(t, d)

		// Written back out and read again, the dataset is the same.
		out, err := json.Marshal(encode(d))
		if err != nil {
			t.Fatalf("encoding the dataset: %v", err)
		}
		back, err := importer.Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("the dataset written back out is rejected: %v\n%s", err, out)
		}
		if !sameDataset(d, back) {
			t.Fatalf("the dataset changed when written back out and read again:\n%+v\n%+v", d, back)
		}
	})
}

var statuses = []string{"Pending", "Backordered", "Fulfilled", "Cancelled"}

// checkDataset asserts what an accepted dataset promises the database.
func checkDataset(t *testing.T, d store.Dataset) {
	t.Helper()
	text := func(path, s string) {
		t.Helper()
		if strings.TrimSpace(s) == "" {
			t.Fatalf("%s: accepted blank", path)
		}
		if strings.ContainsRune(s, 0) {
			t.Fatalf("%s: accepted %q, which PostgreSQL cannot store (NUL)", path, s)
		}
		if utf8.RuneCountInString(s) > importer.MaxNameLength && !strings.Contains(path, "email") {
			t.Fatalf("%s: accepted %d characters", path, utf8.RuneCountInString(s))
		}
	}
	// id: every id and reference is a workflow-id-safe key.
	id := func(path, s string) {
		t.Helper()
		text(path, s)
		if len(s) > importer.MaxIDLength || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != "" {
			t.Fatalf("%s: accepted id %q", path, s)
		}
	}
	email := func(path, s string) {
		t.Helper()
		text(path, s)
		if utf8.RuneCountInString(s) > importer.MaxEmailLength {
			t.Fatalf("%s: accepted %d characters", path, utf8.RuneCountInString(s))
		}
		addr, err := mail.ParseAddress(s)
		if err != nil || addr.Address != s {
			t.Fatalf("%s: stored %q is not a plain email address (%v)", path, s, err)
		}
	}
	days := func(path string, n *int) {
		t.Helper()
		if n != nil && (*n < 0 || *n > importer.MaxLeadTimeDays) {
			t.Fatalf("%s: accepted %d days", path, *n)
		}
	}
	unique := func(kind string) func(string) {
		seen := map[string]bool{}
		return func(id string) {
			t.Helper()
			if seen[id] {
				t.Fatalf("%s %q accepted twice", kind, id)
			}
			seen[id] = true
		}
	}

	supplier := unique("supplier")
	for _, s := range d.Suppliers {
		id("supplier id", s.ID)
		text("supplier name", s.Name)
		email("supplier email", s.Email)
		days("supplier lead time", s.LeadTimeDays)
		supplier(s.ID)
	}
	product := unique("product")
	for _, p := range d.Products {
		id("sku", p.SKU)
		text("product name", p.Name)
		id("product supplier", p.SupplierID)
		days("product lead time", p.LeadTimeDays)
		product(p.SKU)
	}
	customer := unique("customer")
	for _, c := range d.Customers {
		id("customer id", c.ID)
		text("customer name", c.Name)
		email("customer email", c.Email)
		if c.Phone != nil {
			text("customer phone", *c.Phone)
			if utf8.RuneCountInString(*c.Phone) > importer.MaxPhoneLength {
				t.Fatalf("customer phone: accepted %q", *c.Phone)
			}
		}
		customer(c.ID)
	}
	order := unique("order")
	for _, o := range d.Orders {
		id("order id", o.ID)
		id("order customer", o.CustomerID)
		order(o.ID)
		if !slices.Contains(statuses, string(o.Status)) {
			t.Fatalf("order %q: accepted status %q", o.ID, o.Status)
		}
		if len(o.Currency) != 3 || strings.Trim(o.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Fatalf("order %q: accepted currency %q", o.ID, o.Currency)
		}
		if back, err := backorder.ParseDate(o.PromisedDate.Format(backorder.DateLayout)); err != nil || !back.Equal(o.PromisedDate) {
			t.Fatalf("order %q: promised date %s is not a civil date (%v)", o.ID, o.PromisedDate, err)
		}
		for _, l := range o.Lines {
			id("line sku", l.SKU)
			if l.Quantity < 0 || l.BackorderedQuantity < 0 || l.BackorderedQuantity > l.Quantity || l.Quantity > math.MaxInt32 {
				t.Fatalf("order %q: accepted quantity %d with %d backordered", o.ID, l.Quantity, l.BackorderedQuantity)
			}
			if l.UnitPrice.IsNegative() {
				t.Fatalf("order %q: accepted unit price %s", o.ID, l.UnitPrice)
			}
		}
	}
}

// encode is a dataset in the import file's format.
func encode(d store.Dataset) map[string]any {
	var suppliers, products, customers, orders []map[string]any
	for _, s := range d.Suppliers {
		suppliers = append(suppliers, map[string]any{"id": s.ID, "name": s.Name, "email": s.Email, "lead_time_days": s.LeadTimeDays})
	}
	for _, p := range d.Products {
		products = append(products, map[string]any{"sku": p.SKU, "name": p.Name, "supplier_id": p.SupplierID, "lead_time_days": p.LeadTimeDays})
	}
	for _, c := range d.Customers {
		customers = append(customers, map[string]any{"id": c.ID, "name": c.Name, "email": c.Email, "phone": c.Phone})
	}
	for _, o := range d.Orders {
		var lines []map[string]any
		for _, l := range o.Lines {
			lines = append(lines, map[string]any{
				"sku": l.SKU, "quantity": l.Quantity, "backordered_quantity": l.BackorderedQuantity,
				"unit_price": backorder.FormatMoney(l.UnitPrice),
			})
		}
		orders = append(orders, map[string]any{
			"id": o.ID, "customer_id": o.CustomerID, "status": o.Status,
			"promised_date": o.PromisedDate.Format(backorder.DateLayout), "currency": o.Currency, "lines": lines,
		})
	}
	return map[string]any{"suppliers": suppliers, "products": products, "customers": customers, "orders": orders}
}

// sameDataset compares two datasets, amounts by value (1.5 is 1.50).
func sameDataset(a, b store.Dataset) bool {
	sameDays := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	if !slices.EqualFunc(a.Suppliers, b.Suppliers, func(x, y store.Supplier) bool {
		return x.ID == y.ID && x.Name == y.Name && x.Email == y.Email && sameDays(x.LeadTimeDays, y.LeadTimeDays)
	}) {
		return false
	}
	if !slices.EqualFunc(a.Products, b.Products, func(x, y store.Product) bool {
		return x.SKU == y.SKU && x.Name == y.Name && x.SupplierID == y.SupplierID && sameDays(x.LeadTimeDays, y.LeadTimeDays)
	}) {
		return false
	}
	if !slices.EqualFunc(a.Customers, b.Customers, func(x, y store.Customer) bool {
		return x.ID == y.ID && x.Name == y.Name && x.Email == y.Email &&
			(x.Phone == nil) == (y.Phone == nil) && (x.Phone == nil || *x.Phone == *y.Phone)
	}) {
		return false
	}
	return slices.EqualFunc(a.Orders, b.Orders, func(x, y store.Order) bool {
		return x.ID == y.ID && x.CustomerID == y.CustomerID && x.Status == y.Status && x.PromisedDate.Equal(y.PromisedDate) &&
			x.Currency == y.Currency && slices.EqualFunc(x.Lines, y.Lines, func(l, m store.OrderLine) bool {
			return l.SKU == m.SKU && l.Quantity == m.Quantity && l.BackorderedQuantity == m.BackorderedQuantity && l.UnitPrice.Equal(m.UnitPrice)
		})
	})
}
