package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/acme/backorders/internal/contract"
)

// Dataset is reference and order data to import, in the order the file
// listed it: problem messages name rows by their index in these slices.
type Dataset struct {
	Suppliers []Supplier
	Products  []Product
	Customers []Customer
	Orders    []Order
}

// Supplier ships products. A nil LeadTimeDays falls back to the configured
// default.
type Supplier struct {
	ID, Name, Email string
	LeadTimeDays    *int
}

// Product is a stock-keeping unit. A nil LeadTimeDays falls back to its
// supplier's lead time.
type Product struct {
	SKU, Name, SupplierID string
	LeadTimeDays          *int
}

// Customer places orders; Phone is optional.
type Customer struct {
	ID, Name, Email string
	Phone           *string
}

// Order is a sales order with its lines.
type Order struct {
	ID, CustomerID string
	Status         contract.OrderStatus
	// PromisedDate is a civil date: midnight UTC.
	PromisedDate time.Time
	Currency     string
	Lines        []OrderLine
}

// OrderLine is one SKU on an order; BackorderedQuantity of Quantity is
// still waiting for stock.
type OrderLine struct {
	SKU                           string
	Quantity, BackorderedQuantity int64
	UnitPrice                     decimal.Decimal
}

// ValidationError rejects an import as a whole. Each problem starts with the
// JSON path it concerns, and nothing was written.
type ValidationError struct {
	Problems []string
	// Note, when set, ends the listing: what could not be checked.
	Note string
}

func (e *ValidationError) Error() string {
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "import rejected: %d %s (nothing was written)", len(e.Problems), noun)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	if e.Note != "" {
		b.WriteString("\n")
		b.WriteString(e.Note)
	}
	return b.String()
}

// numeric hands a decimal to pgx exactly, in the binary form COPY needs too;
// pgx has no built-in codec for shopspring decimals.
func numeric(d decimal.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
}
