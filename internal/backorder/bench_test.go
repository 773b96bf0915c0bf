package backorder

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
)

func BenchmarkValue(b *testing.B) {
	lines := make([]Line, 3)
	for i := range lines {
		lines[i] = Line{BackorderedQuantity: int64(i + 1), UnitPrice: decimal.RequireFromString("19.99")}
	}
	for b.Loop() {
		_ = FormatMoney(Value(lines))
	}
}

func BenchmarkMitigationPlan(b *testing.B) {
	lines := make([]LineLeadTime, 3)
	for i := range lines {
		lines[i] = LineLeadTime{SKU: fmt.Sprintf("SKU-%05d", i), SupplierID: "SUP-001", Days: 10 + i, Source: LeadTimeFromSupplier}
	}
	eta, _ := ParseDate("2026-12-11")
	for b.Loop() {
		_ = MitigationPlan(lines, eta)
	}
}
