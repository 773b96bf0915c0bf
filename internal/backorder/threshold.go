package backorder

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// SMSThresholds is BACKORDER_SMS_THRESHOLD: the backorder value, per
// currency, above which the warehouse manager is texted. It is written as
// a bare amount for every currency ("1000.00") or a comma-separated list of
// CUR:amount entries with at most one bare default among them
// ("1000.00,JPY:150000"). Build it with ParseSMSThresholds.
//
// The zero value has no entries and no default: nothing alerts.
// It marshals (JSON, text) as the String form and unmarshals by parsing it.
type SMSThresholds struct {
	// defaultAmount applies to currencies without an entry; nil: none.
	defaultAmount *decimal.Decimal
	// byCurrency maps an ISO 4217 code to its threshold.
	byCurrency map[string]decimal.Decimal
}

var (
	currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)
	// plainAmount is a plain decimal: no sign, exponent or digit grouping.
	plainAmount = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
)

// ParseSMSThresholds reads the BACKORDER_SMS_THRESHOLD syntax. Whitespace
// around entries is ignored. Every bad entry is reported, each named, on
// one line.
func ParseSMSThresholds(s string) (SMSThresholds, error) {
	var t SMSThresholds
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	entries := strings.Split(s, ",")
	for i, raw := range entries {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			fail("entry %d of %d is empty: remove the extra comma", i+1, len(entries))
			continue
		}
		code, amountText, hasCode := strings.Cut(entry, ":")
		if !hasCode {
			amountText = entry
		}
		if hasCode && !currencyCode.MatchString(code) {
			fail("entry %q: currency %q is not three upper-case letters such as USD", entry, code)
			continue
		}
		amount, err := parseThresholdAmount(amountText)
		if err != nil {
			fail("entry %q: %v", entry, err)
			continue
		}
		switch {
		case !hasCode && t.defaultAmount != nil:
			fail("entry %q: a second bare default (%s is already the default for every other currency)",
				entry, formatThreshold(*t.defaultAmount))
		case !hasCode:
			t.defaultAmount = &amount
		default:
			if _, dup := t.byCurrency[code]; dup {
				fail("entry %q: %s is listed twice", entry, code)
				continue
			}
			if t.byCurrency == nil {
				t.byCurrency = map[string]decimal.Decimal{}
			}
			t.byCurrency[code] = amount
		}
	}
	if len(problems) > 0 {
		return SMSThresholds{}, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return t, nil
}

func parseThresholdAmount(s string) (decimal.Decimal, error) {
	if !plainAmount.MatchString(s) {
		if d, err := decimal.NewFromString(s); err == nil && d.IsNegative() {
			return decimal.Zero, fmt.Errorf("amount %q is negative: thresholds must be 0 or more", s)
		}
		return decimal.Zero, fmt.Errorf("amount %q is not a decimal amount such as 1000.00", s)
	}
	return decimal.RequireFromString(s), nil
}

// MustParseSMSThresholds is ParseSMSThresholds for constants and tests: it
// panics on a bad value.
func MustParseSMSThresholds(s string) SMSThresholds {
	t, err := ParseSMSThresholds(s)
	if err != nil {
		panic(fmt.Sprintf("backorder.MustParseSMSThresholds(%q): %v", s, err))
	}
	return t
}

// Threshold is the amount a backorder in currency must exceed to alert, and
// false when that currency has neither an entry nor a default.
func (t SMSThresholds) Threshold(currency string) (decimal.Decimal, bool) {
	if d, ok := t.byCurrency[currency]; ok {
		return d, true
	}
	if t.defaultAmount != nil {
		return *t.defaultAmount, true
	}
	return decimal.Zero, false
}

// AlertsWarehouse reports whether a backorder is valuable enough to text
// the warehouse manager: strictly above its currency's threshold (or the
// default). A currency with neither never alerts.
func (t SMSThresholds) AlertsWarehouse(value decimal.Decimal, currency string) bool {
	threshold, ok := t.Threshold(currency)
	return ok && value.GreaterThan(threshold)
}

// IsZero reports whether there are no thresholds at all: nothing alerts.
func (t SMSThresholds) IsZero() bool { return t.defaultAmount == nil && len(t.byCurrency) == 0 }

// String is the value in the BACKORDER_SMS_THRESHOLD syntax, the default
// first, then currencies in alphabetical order: "1000.00,EUR:2000.00,JPY:150000".
// Amounts keep the decimals they were written with. The zero value is "".
func (t SMSThresholds) String() string {
	var parts []string
	if t.defaultAmount != nil {
		parts = append(parts, formatThreshold(*t.defaultAmount))
	}
	codes := make([]string, 0, len(t.byCurrency))
	for code := range t.byCurrency {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		parts = append(parts, code+":"+formatThreshold(t.byCurrency[code]))
	}
	return strings.Join(parts, ",")
}

// formatThreshold prints an amount as written: 1000.00 stays "1000.00",
// 150000 stays "150000".
func formatThreshold(d decimal.Decimal) string {
	if d.Exponent() < 0 {
		return d.StringFixed(-d.Exponent())
	}
	return d.String()
}

// MarshalText writes the String form, so JSON carries "1000.00,JPY:150000".
func (t SMSThresholds) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses the String form; "" is the zero value.
func (t *SMSThresholds) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*t = SMSThresholds{}
		return nil
	}
	parsed, err := ParseSMSThresholds(string(text))
	if err != nil {
		return err
	}
	*t = parsed
	return nil
}
