// Package importer reads a JSON file of suppliers, products, customers and
// orders, and validates all of it before anything is written, so that one
// run reports every problem in the file rather than the first.
package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/address"
	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/store"
)

// statuses are the order statuses the schema allows.
var statuses = []string{"Pending", "Backordered", "Fulfilled", "Cancelled"}

// Parse reads and validates an import file. When anything is wrong it
// returns a *store.ValidationError listing every problem with its JSON path.
//
// A reference (product.supplier_id, order.customer_id, line.sku) that the
// file does not define is not a problem here: it may name a stored row, and
// store.Import checks those against the database.
func Parse(r io.Reader) (store.Dataset, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return store.Dataset{}, fmt.Errorf("reading import file: %w", err)
	}
	p := &parser{}
	d := p.file(data)
	if len(p.problems) > 0 {
		return store.Dataset{}, &store.ValidationError{Problems: p.problems}
	}
	return d, nil
}

// parser collects problems as it walks the file.
type parser struct {
	problems []string
}

func (p *parser) addf(path, format string, args ...any) {
	p.problems = append(p.problems, path+": "+fmt.Sprintf(format, args...))
}

func (p *parser) file(data []byte) store.Dataset {
	// Objects are read as raw fields rather than into structs so that a
	// wrong type or an unknown field is one problem among many, with its
	// path, instead of the decoder's single error.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			line, col := position(data, syntax.Offset)
			p.problems = append(p.problems, fmt.Sprintf("malformed JSON at line %d, column %d (byte %d): %v", line, col, syntax.Offset, err))
			return store.Dataset{}
		}
		top = nil
	}
	if top == nil {
		p.problems = append(p.problems, "the file must be a JSON object with suppliers, products, customers and orders arrays")
		return store.Dataset{}
	}
	p.unknown("", top, "suppliers", "products", "customers", "orders")
	return store.Dataset{
		Suppliers: p.suppliers(top["suppliers"]),
		Products:  p.products(top["products"]),
		Customers: p.customers(top["customers"]),
		Orders:    p.orders(top["orders"]),
	}
}

// position turns the byte offset of a syntax error into a 1-based line and
// column; the offset counts the offending byte as read.
func position(data []byte, offset int64) (line, col int) {
	at := int(min(max(offset-1, 0), int64(len(data))))
	before := data[:at]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = at - bytes.LastIndexByte(before, '\n')
	return line, col
}

func (p *parser) suppliers(raw json.RawMessage) []store.Supplier {
	items := p.array("suppliers", raw)
	out := make([]store.Supplier, 0, len(items))
	seen := map[string]string{}
	for i, item := range items {
		o, ok := p.object(fmt.Sprintf("suppliers[%d]", i), item, "id", "name", "email", "lead_time_days")
		if !ok {
			continue
		}
		s := store.Supplier{
			ID:           o.id(seen, "id"),
			Name:         o.str("name"),
			Email:        o.email("email"),
			LeadTimeDays: o.leadTime("lead_time_days"),
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) products(raw json.RawMessage) []store.Product {
	items := p.array("products", raw)
	out := make([]store.Product, 0, len(items))
	seen := map[string]string{}
	for i, item := range items {
		o, ok := p.object(fmt.Sprintf("products[%d]", i), item, "sku", "name", "supplier_id", "lead_time_days")
		if !ok {
			continue
		}
		pr := store.Product{
			SKU:          o.id(seen, "sku"),
			Name:         o.str("name"),
			SupplierID:   o.str("supplier_id"),
			LeadTimeDays: o.leadTime("lead_time_days"),
		}
		out = append(out, pr)
	}
	return out
}

func (p *parser) customers(raw json.RawMessage) []store.Customer {
	items := p.array("customers", raw)
	out := make([]store.Customer, 0, len(items))
	seen := map[string]string{}
	for i, item := range items {
		o, ok := p.object(fmt.Sprintf("customers[%d]", i), item, "id", "name", "email", "phone")
		if !ok {
			continue
		}
		c := store.Customer{
			ID:    o.id(seen, "id"),
			Name:  o.str("name"),
			Email: o.email("email"),
			Phone: o.optStr("phone"),
		}
		out = append(out, c)
	}
	return out
}

func (p *parser) orders(raw json.RawMessage) []store.Order {
	items := p.array("orders", raw)
	out := make([]store.Order, 0, len(items))
	seen := map[string]string{}
	for i, item := range items {
		o, ok := p.object(fmt.Sprintf("orders[%d]", i), item, "id", "customer_id", "status", "promised_date", "currency", "lines")
		if !ok {
			continue
		}
		ord := store.Order{
			ID:           o.id(seen, "id"),
			CustomerID:   o.str("customer_id"),
			Status:       o.status("status"),
			PromisedDate: o.date("promised_date"),
			Currency:     o.currency("currency"),
		}
		// Missing or null lines mean an order without lines.
		for j, item := range p.array(o.at("lines"), o.fields["lines"]) {
			l, ok := p.object(fmt.Sprintf("%s[%d]", o.at("lines"), j), item, "sku", "quantity", "backordered_quantity", "unit_price")
			if !ok {
				continue
			}
			ord.Lines = append(ord.Lines, l.line())
		}
		out = append(out, ord)
	}
	return out
}

// array reads a JSON array; missing or null is an empty one.
func (p *parser) array(path string, raw json.RawMessage) []json.RawMessage {
	if isNull(raw) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		p.addf(path, "must be an array")
		return nil
	}
	return items
}

// object reads a JSON object whose keys must all be among known.
func (p *parser) object(path string, raw json.RawMessage, known ...string) (object, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		p.addf(path, "must be an object")
		return object{}, false
	}
	p.unknown(path+".", fields, known...)
	return object{p: p, path: path, fields: fields}, true
}

// unknown reports, in name order, the fields that are not among known.
func (p *parser) unknown(prefix string, fields map[string]json.RawMessage, known ...string) {
	var extra []string
	for k := range fields {
		if !slices.Contains(known, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		p.addf(prefix+k, "unknown field (expected one of %s)", strings.Join(known, ", "))
	}
}

// object is one JSON object being validated; its accessors report problems
// under the field's path and return the zero value for a bad field.
type object struct {
	p      *parser
	path   string
	fields map[string]json.RawMessage
}

func (o object) at(key string) string { return o.path + "." + key }

// str reads a required, non-blank string.
func (o object) str(key string) string {
	s, present := o.text(key)
	if !present {
		o.p.addf(o.at(key), "is required")
		return ""
	}
	return s
}

// optStr reads an optional string; missing, null or blank is nil.
func (o object) optStr(key string) *string {
	s, present := o.text(key)
	if !present || s == "" {
		return nil
	}
	return &s
}

// text reads a string field. present is false when the field is missing,
// null or blank; a value that is not a string is reported and reads as "".
func (o object) text(key string) (s string, present bool) {
	raw := o.fields[key]
	if isNull(raw) {
		return "", false
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		o.p.addf(o.at(key), "must be a string, not %s", raw)
		return "", true
	}
	if strings.ContainsRune(s, 0) {
		// PostgreSQL text cannot hold it: caught here, with the path,
		// rather than as an error from the database halfway through.
		o.p.addf(o.at(key), "%q contains a NUL character (\\u0000)", s)
		return "", true
	}
	return s, strings.TrimSpace(s) != ""
}

// email reads a required address and keeps only the address part, so
// "Jane Doe <jane@example.com>" is stored as jane@example.com. The part
// kept must itself pass the check every send makes (address.Email): a
// quoted local part such as "a b"@example.com parses, but unquoted it is
// no address, and the customer could never be written to.
func (o object) email(key string) string {
	s := o.str(key)
	if s == "" {
		return ""
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || address.Email(addr.Address) != nil {
		o.p.addf(o.at(key), "%q is not a valid email address", s)
		return ""
	}
	return addr.Address
}

func (o object) status(key string) string {
	s := o.str(key)
	if s != "" && !slices.Contains(statuses, s) {
		o.p.addf(o.at(key), "%q is not one of %s", s, strings.Join(statuses, ", "))
	}
	return s
}

func (o object) currency(key string) string {
	s := o.str(key)
	if s == "" {
		return ""
	}
	if len(s) != 3 || strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		o.p.addf(o.at(key), "%q must be 3 upper-case letters such as USD", s)
	}
	return s
}

func (o object) date(key string) time.Time {
	s := o.str(key)
	if s == "" {
		return time.Time{}
	}
	d, err := backorder.ParseDate(s)
	if err != nil {
		o.p.addf(o.at(key), "%v", err)
	}
	return d
}

// count reads a required whole number that fits the schema's integer.
func (o object) count(key string) (int64, bool) {
	raw := o.fields[key]
	if isNull(raw) {
		o.p.addf(o.at(key), "is required")
		return 0, false
	}
	n, err := wholeNumber(raw)
	if err != nil {
		o.p.addf(o.at(key), "%v", err)
		return 0, false
	}
	return n, true
}

// MaxLeadTimeDays is the longest lead time an import accepts: ten years.
// Far more would put the ETA (as-of plus the lead time) past what a
// YYYY-MM-DD date and PostgreSQL can hold, and fail the order's workflow.
const MaxLeadTimeDays = 3650

// leadTime reads optional days; missing or null is nil (fall back).
func (o object) leadTime(key string) *int {
	raw := o.fields[key]
	if isNull(raw) {
		return nil
	}
	n, err := wholeNumber(raw)
	if err == nil && n > MaxLeadTimeDays {
		err = fmt.Errorf("must be at most %d", MaxLeadTimeDays)
	}
	if err != nil {
		o.p.addf(o.at(key), "%v (days), or null to fall back", err)
		return nil
	}
	days := int(n)
	return &days
}

// money reads an exact amount from a JSON string, or from a JSON number's
// literal text: it never passes through a float.
func (o object) money(key string) decimal.Decimal {
	raw := o.fields[key]
	if isNull(raw) {
		o.p.addf(o.at(key), "is required")
		return decimal.Zero
	}
	s := string(raw)
	if !isNumber(raw) {
		if err := json.Unmarshal(raw, &s); err != nil {
			o.p.addf(o.at(key), "must be a decimal amount such as \"19.99\", not %s", raw)
			return decimal.Zero
		}
	}
	d, err := backorder.ParseMoney(s)
	if err != nil {
		o.p.addf(o.at(key), "%v", err)
	}
	return d
}

// id reads a required key that must be unique within its list; seen maps
// the keys read so far to where they were.
func (o object) id(seen map[string]string, key string) string {
	id := o.str(key)
	if id == "" {
		return ""
	}
	if first, dup := seen[id]; dup {
		o.p.addf(o.at(key), "%q appears more than once (first at %s)", id, first)
	} else {
		seen[id] = o.path
	}
	return id
}

func (o object) line() store.OrderLine {
	l := store.OrderLine{SKU: o.str("sku")}
	qty, qtyOK := o.count("quantity")
	back, backOK := o.count("backordered_quantity")
	if qtyOK && backOK && back > qty {
		o.p.addf(o.at("backordered_quantity"), "%d is more than quantity %d", back, qty)
	}
	l.Quantity, l.BackorderedQuantity = qty, back
	l.UnitPrice = o.money("unit_price")
	return l
}

// wholeNumber accepts a JSON integer literal from 0 to the largest value of
// the schema's integer columns; "3" (a string) and 2.5 are rejected.
func wholeNumber(raw json.RawMessage) (int64, error) {
	if !isNumber(raw) {
		return 0, errWholeNumber
	}
	n, err := strconv.ParseInt(string(raw), 10, 32)
	switch {
	case errors.Is(err, strconv.ErrRange) && n > 0:
		return 0, fmt.Errorf("must be at most %d", n)
	case err != nil || n < 0:
		return 0, errWholeNumber
	}
	return n, nil
}

var errWholeNumber = errors.New("must be a whole number >= 0")

func isNull(raw json.RawMessage) bool {
	return raw == nil || string(raw) == "null"
}

// isNumber reports whether a raw JSON value is a number literal.
func isNumber(raw json.RawMessage) bool {
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}
