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
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/address"
	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// Limits of an import file. An order id names its workflow in Temporal
// (backorder-<ORDER_ID>), whose ids are bounded; every id is held to the
// same rule so ids stay safe in workflow ids, ledger keys, visibility
// queries, logs and CSV cells.
const (
	// MaxFileBytes is the largest file an import reads: 64 MiB. Split a
	// larger one; each file is imported in its own transaction.
	MaxFileBytes = 64 << 20
	// MaxIDLength bounds every id and reference (supplier, product SKU,
	// customer, order): at most 128 characters of IDChars.
	MaxIDLength = 128
	// IDChars describes the characters an id may hold.
	IDChars = "A-Z, a-z, 0-9, '.', '_', ':' and '-'"
	// MaxNameLength bounds names, in characters.
	MaxNameLength = 200
	// MaxEmailLength bounds an email field as written (RFC 5321's limit on
	// an address).
	MaxEmailLength = 254
	// MaxPhoneLength bounds a phone number as written.
	MaxPhoneLength = 32
)

// Parse reads and validates an import file. When anything is wrong it
// returns a *store.ValidationError listing every problem with its JSON path.
//
// A reference (product.supplier_id, order.customer_id, line.sku) that the
// file does not define is not a problem here: it may name a stored row, and
// store.Import checks those against the database.
func Parse(r io.Reader) (store.Dataset, error) {
	d, problems, err := Check(r)
	if err != nil {
		return store.Dataset{}, err
	}
	if len(problems) > 0 {
		return store.Dataset{}, &store.ValidationError{Problems: problems}
	}
	return d, nil
}

// Check reads and validates an import file like Parse, but returns the
// problems it finds along with what it could read, so that the references
// of a file with problems can still be checked against the database
// (store.UnresolvedReferences) and every problem listed in one pass. Each
// list of the dataset keeps the file's indexes: an entry that is not an
// object, or a field that is wrong, is a zero value, and a reference that is
// wrong is "". The error is for a file that cannot be read.
func Check(r io.Reader) (store.Dataset, []string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return store.Dataset{}, nil, fmt.Errorf("reading import file: %w", err)
	}
	if len(data) > MaxFileBytes {
		return store.Dataset{}, []string{fmt.Sprintf("the file is larger than %d MiB, the most one import reads: split it into several files and import each", MaxFileBytes>>20)}, nil
	}
	p := &parser{}
	d := p.file(data)
	return d, p.problems, nil
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
			out = append(out, store.Supplier{})
			continue
		}
		s := store.Supplier{
			ID:           o.id(seen, "id"),
			Name:         o.name("name"),
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
			out = append(out, store.Product{})
			continue
		}
		pr := store.Product{
			SKU:          o.id(seen, "sku"),
			Name:         o.name("name"),
			SupplierID:   o.ref("supplier_id"),
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
			out = append(out, store.Customer{})
			continue
		}
		c := store.Customer{
			ID:    o.id(seen, "id"),
			Name:  o.name("name"),
			Email: o.email("email"),
			Phone: o.phone("phone"),
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
			out = append(out, store.Order{})
			continue
		}
		ord := store.Order{
			ID:           o.id(seen, "id"),
			CustomerID:   o.ref("customer_id"),
			Status:       o.status("status"),
			PromisedDate: o.date("promised_date"),
			Currency:     o.currency("currency"),
		}
		// Missing or null lines mean an order without lines.
		for j, item := range p.array(o.at("lines"), o.fields["lines"]) {
			l, ok := p.object(fmt.Sprintf("%s[%d]", o.at("lines"), j), item, "sku", "quantity", "backordered_quantity", "unit_price")
			if !ok {
				ord.Lines = append(ord.Lines, store.OrderLine{})
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
		if utf8.RuneCountInString(k) > 40 {
			k = string([]rune(k)[:40]) + "…"
		}
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

// phone reads an optional phone number; missing, null or blank is nil.
// Whether it is a number Twilio takes is checked when an SMS is sent.
func (o object) phone(key string) *string {
	s, present := o.text(key)
	if !present || s == "" {
		return nil
	}
	if n := utf8.RuneCountInString(s); n > MaxPhoneLength {
		o.p.addf(o.at(key), "is %d characters long; a phone number is at most %d (E.164 such as +14155552671)", n, MaxPhoneLength)
		return nil
	}
	return &s
}

// name reads a required name of at most MaxNameLength characters.
func (o object) name(key string) string {
	s := o.str(key)
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		o.p.addf(o.at(key), "%s is %d characters long; a name is at most %d: shorten it", clip(s), n, MaxNameLength)
		return ""
	}
	return s
}

// ref reads a required reference to another row's id; an id that breaks
// the id rule (see id) is reported and reads as "", so it is not also
// looked for in the database.
func (o object) ref(key string) string {
	s := o.str(key)
	if s != "" && !o.validID(key, s) {
		return ""
	}
	return s
}

// validID checks the id rule, reporting a break under key: at most
// MaxIDLength characters, each one of IDChars.
func (o object) validID(key, id string) bool {
	if n := utf8.RuneCountInString(id); n > MaxIDLength {
		o.p.addf(o.at(key), "%s is %d characters long; an id is at most %d characters of %s: give it a shorter id",
			clip(id), n, MaxIDLength, IDChars)
		return false
	}
	for i, r := range id {
		if !idChar(r) {
			o.p.addf(o.at(key), "%q has %q at position %d; an id holds only %s: give it an id without it",
				id, r, utf8.RuneCountInString(id[:i])+1, IDChars)
			return false
		}
	}
	return true
}

func idChar(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-'
}

// clip quotes s, cut to its first 40 characters when longer, so a problem
// with an over-long value stays one readable line.
func clip(s string) string {
	const keep = 40
	if utf8.RuneCountInString(s) <= keep {
		return strconv.Quote(s)
	}
	runes := []rune(s)
	return strconv.Quote(string(runes[:keep])) + "…"
}

// text reads a string field. present is false when the field is missing,
// null or blank; a value that is not a string is reported and reads as "".
func (o object) text(key string) (s string, present bool) {
	raw := o.fields[key]
	if isNull(raw) {
		return "", false
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		o.p.addf(o.at(key), "must be a string, not %s", clipRaw(raw))
		return "", true
	}
	if strings.ContainsRune(s, 0) {
		// PostgreSQL text cannot hold it: caught here, with the path,
		// rather than as an error from the database halfway through.
		o.p.addf(o.at(key), "%s contains a NUL character (\\u0000)", clip(s))
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
	if n := utf8.RuneCountInString(s); n > MaxEmailLength {
		o.p.addf(o.at(key), "%s is %d characters long; an email address is at most %d", clip(s), n, MaxEmailLength)
		return ""
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || address.Email(addr.Address) != nil {
		o.p.addf(o.at(key), "%q is not a valid email address", s)
		return ""
	}
	return addr.Address
}

func (o object) status(key string) contract.OrderStatus {
	s := contract.OrderStatus(o.str(key))
	if s != "" && !slices.Contains(contract.OrderStatuses, s) {
		o.p.addf(o.at(key), "%s is not one of %s", clip(string(s)), statusNames())
	}
	return s
}

// statusNames lists the order statuses the schema allows.
func statusNames() string {
	names := make([]string, len(contract.OrderStatuses))
	for i, s := range contract.OrderStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func (o object) currency(key string) string {
	s := o.str(key)
	if s == "" {
		return ""
	}
	if len(s) != 3 || strings.IndexFunc(s, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		o.p.addf(o.at(key), "%s must be 3 upper-case letters such as USD", clip(s))
	}
	return s
}

func (o object) date(key string) time.Time {
	s := o.str(key)
	if s == "" {
		return time.Time{}
	}
	if len(s) > len(backorder.DateLayout) {
		o.p.addf(o.at(key), "%s is not a date in the form YYYY-MM-DD", clip(s))
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
			o.p.addf(o.at(key), "must be a decimal amount such as \"19.99\", not %s", clipRaw(raw))
			return decimal.Zero
		}
	}
	d, err := backorder.ParseMoney(s)
	if err != nil {
		o.p.addf(o.at(key), "%v", err)
	}
	return d
}

// id reads a required key that must be unique within its list and keep
// the id rule (validID); seen maps the keys read so far to where they were.
func (o object) id(seen map[string]string, key string) string {
	id := o.str(key)
	if id == "" || !o.validID(key, id) {
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
	l := store.OrderLine{SKU: o.ref("sku")}
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

// clipRaw is a raw JSON value for a problem line, cut like clip.
func clipRaw(raw json.RawMessage) string {
	const keep = 40
	if utf8.RuneCount(raw) <= keep {
		return string(raw)
	}
	return string([]rune(string(raw))[:keep]) + "…"
}
