package backorder

import (
	"strconv"
	"strings"
	"testing"
)

// The seed corpus lives in testdata/fuzz/<FuzzName>/ as well as in the
// f.Add calls below; `go test` (without -fuzz) runs every seed, so CI
// replays whatever a fuzzing run once found. To fuzz:
//
//	go test -run='^$' -fuzz='^FuzzParseMoney$' -fuzztime=60s ./internal/backorder/
//	go test -run='^$' -fuzz='^FuzzParseDate$' -fuzztime=60s ./internal/backorder/

// FuzzParseMoney: any string either is refused with an error naming it, or
// is a non-negative amount that FormatMoney prints in a form ParseMoney
// reads back as the same amount.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{
		"19.99", "0", "0.00", "-0", "-0.00", "-1.00", "+5", ".5", "5.", "1e3", "1E-3", "1e+2",
		"0.125", "0.500", "15234.5", "0.10000000000000000001", "00012.3400",
		"", " ", "abc", "1e", "1,00", "1.2.3", "0x10", "1_000", "NaN", "Inf", "-Inf",
		"1e10000", "1e-10000", "1e10001", "1e2147483647", "1e-2147483648", "1e99999999999",
		" 1", "1 ", "١٢", "1\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseMoney(s)
		if err != nil {
			if !d.IsZero() {
				t.Errorf("ParseMoney(%q) failed (%v) but returned %s, not zero", s, err, d)
			}
			if msg := err.Error(); !strings.Contains(msg, strconv.Quote(s)) || strings.Contains(msg, "\n") {
				t.Errorf("ParseMoney(%q): error %q is not one line naming the input", s, msg)
			}
			return
		}
		if d.IsNegative() {
			t.Fatalf("ParseMoney(%q) = %s: negative amounts must be refused", s, d)
		}
		printed := FormatMoney(d)
		back, err := ParseMoney(printed)
		if err != nil {
			t.Fatalf("ParseMoney(%q) = %s, printed %q, which does not parse: %v", s, d, printed, err)
		}
		if !back.Equal(d) {
			t.Fatalf("ParseMoney(%q) = %s, printed %q, read back as %s", s, d, printed, back)
		}
		if FormatMoney(back) != printed {
			t.Fatalf("FormatMoney is not stable: %q then %q", printed, FormatMoney(back))
		}
		// At least the cents, and never exponent notation.
		dot := strings.IndexByte(printed, '.')
		if dot < 0 || len(printed)-dot-1 < 2 || strings.ContainsAny(printed, "eE+") {
			t.Fatalf("FormatMoney(%s) = %q: want a plain decimal with at least two decimals", d, printed)
		}
	})
}

// FuzzParseDate: any string either is refused with an error naming it, or
// is a date whose YYYY-MM-DD form is exactly the string read.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"2026-11-27", "2024-02-29", "2026-02-29", "2026-02-30", "2026-13-01", "2026-00-10", "2026-01-00",
		"0000-01-01", "9999-12-31", "2026-1-01", "2026-01-1", "+026-01-01", "-2026-01-01",
		"2026-01-01 ", " 2026-01-01", "2026-01-01x", "2026-01-01T00:00:00Z", "01/11/2026", "",
		"２０２６-01-01", "2026-01-01\x00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !d.IsZero() {
				t.Errorf("ParseDate(%q) failed (%v) but returned %s, not the zero time", s, err, d)
			}
			if msg := err.Error(); !strings.Contains(msg, strconv.Quote(s)) || strings.Contains(msg, "\n") {
				t.Errorf("ParseDate(%q): error %q is not one line naming the input", s, msg)
			}
			return
		}
		if got := d.Format(DateLayout); got != s {
			t.Fatalf("ParseDate(%q) = %s, which formats as %q", s, d, got)
		}
		if h, m, sec := d.Clock(); h != 0 || m != 0 || sec != 0 || d.Nanosecond() != 0 || d.Location().String() != "UTC" {
			t.Fatalf("ParseDate(%q) = %s: want a civil date at midnight UTC", s, d)
		}
	})
}
