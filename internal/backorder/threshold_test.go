package backorder

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSMSThresholds(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		// want is the threshold per currency; "" means none (no SMS).
		want   map[string]string
		string string
	}{
		{"bare amount applies to every currency", "1000.00",
			map[string]string{"USD": "1000.00", "EUR": "1000.00", "JPY": "1000.00"}, "1000.00"},
		{"zero", "0", map[string]string{"USD": "0"}, "0"},
		{"list without default", "USD:1000.00,EUR:2000.00",
			map[string]string{"USD": "1000.00", "EUR": "2000.00", "JPY": "", "GBP": ""}, "EUR:2000.00,USD:1000.00"},
		{"list with default first", "1000.00,JPY:150000",
			map[string]string{"JPY": "150000", "USD": "1000.00", "EUR": "1000.00"}, "1000.00,JPY:150000"},
		{"default anywhere in the list", "JPY:150000,EUR:900.5,750",
			map[string]string{"JPY": "150000", "EUR": "900.5", "USD": "750"}, "750,EUR:900.5,JPY:150000"},
		{"whitespace around entries", " USD:1000.00 ,\tEUR:2000.00\n, 500 ",
			map[string]string{"USD": "1000.00", "EUR": "2000.00", "CHF": "500"}, "500,EUR:2000.00,USD:1000.00"},
		{"sub-cent precision kept", "KWD:300.125", map[string]string{"KWD": "300.125", "USD": ""}, "KWD:300.125"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSMSThresholds(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.string, got.String())
			for currency, want := range tc.want {
				threshold, ok := got.Threshold(currency)
				if want == "" {
					assert.False(t, ok, "%s has no threshold, got %s", currency, threshold)
					continue
				}
				if assert.True(t, ok, "%s has a threshold", currency) {
					assert.True(t, threshold.Equal(decimal.RequireFromString(want)), "%s: want %s, got %s", currency, want, threshold)
				}
			}
		})
	}
}

func TestSMSThresholdsAlertsWarehouse(t *testing.T) {
	for _, tc := range []struct {
		thresholds, value, currency string
		alert                       bool
	}{
		// Bare form: one amount for every currency, strictly above alerts.
		{"1000.00", "1000.00", "USD", false},
		{"1000.00", "1000", "USD", false},
		{"1000.00", "999.99", "USD", false},
		{"1000.00", "1000.01", "USD", true},
		{"1000.00", "1000.001", "EUR", true},
		{"1000.00", "1500", "JPY", true}, // the old behaviour the issue is about
		{"0", "0", "USD", false},
		{"0", "0.01", "USD", true},
		// List form: each currency its own threshold.
		{"USD:1000.00,EUR:2000.00", "1500.00", "USD", true},
		{"USD:1000.00,EUR:2000.00", "1500.00", "EUR", false},
		{"USD:1000.00,EUR:2000.00", "2000.00", "EUR", false},
		{"USD:1000.00,EUR:2000.00", "2000.01", "EUR", true},
		// No entry and no default: never an SMS, however large.
		{"USD:1000.00,EUR:2000.00", "99999999", "GBP", false},
		{"USD:1000.00,EUR:2000.00", "1500", "JPY", false},
		// List with a default: the entry wins, the default covers the rest.
		{"1000.00,JPY:150000", "1500", "JPY", false},
		{"1000.00,JPY:150000", "150000", "JPY", false},
		{"1000.00,JPY:150001", "150001", "JPY", false},
		{"1000.00,JPY:150000", "150001", "JPY", true},
		{"1000.00,JPY:150000", "900", "EUR", false},
		{"1000.00,JPY:150000", "1000.01", "EUR", true},
		{"1000.00,JPY:150000", "1000.01", "GBP", true},
		// A per-currency threshold may be lower than the default.
		{"5000,EUR:500", "600", "EUR", true},
		{"5000,EUR:500", "600", "USD", false},
	} {
		th := MustParseSMSThresholds(tc.thresholds)
		got := th.AlertsWarehouse(decimal.RequireFromString(tc.value), tc.currency)
		assert.Equal(t, tc.alert, got, "%s %s with BACKORDER_SMS_THRESHOLD=%q", tc.value, tc.currency, tc.thresholds)
	}
}

func TestZeroSMSThresholdsNeverAlert(t *testing.T) {
	var th SMSThresholds
	assert.True(t, th.IsZero())
	assert.False(t, th.AlertsWarehouse(decimal.RequireFromString("1000000"), "USD"))
	assert.Equal(t, "", th.String())
	assert.False(t, MustParseSMSThresholds("USD:1").IsZero())
	assert.False(t, MustParseSMSThresholds("1").IsZero())
}

func TestParseSMSThresholdsRejects(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		// want are all in the error.
		want []string
	}{
		{"not a decimal", "abc", []string{`entry "abc"`, "not a decimal amount such as 1000.00"}},
		{"not a decimal in a list", "USD:1000,EUR:abc", []string{`entry "EUR:abc"`, `"abc"`, "not a decimal amount"}},
		{"negative", "-0.01", []string{`entry "-0.01"`, "negative"}},
		{"negative in a list", "USD:-5", []string{`entry "USD:-5"`, "negative"}},
		{"exponent", "1e3", []string{`entry "1e3"`, "not a decimal amount"}},
		{"missing amount", "USD:", []string{`entry "USD:"`, "not a decimal amount"}},
		{"space inside entry", "USD: 1000", []string{`entry "USD: 1000"`, "not a decimal amount"}},
		{"two colons", "USD:1:2", []string{`entry "USD:1:2"`, "not a decimal amount"}},
		{"thousands separator", "1,000.00", []string{`entry "000.00"`, "second bare default"}},
		{"lower-case currency", "usd:1000", []string{`entry "usd:1000"`, "three upper-case letters"}},
		{"two-letter currency", "US:1000", []string{`entry "US:1000"`, "three upper-case letters"}},
		{"four-letter currency", "USDT:1000", []string{`entry "USDT:1000"`, "three upper-case letters"}},
		{"digits as currency", "123:1000", []string{`entry "123:1000"`, "three upper-case letters"}},
		{"no currency", ":1000", []string{`entry ":1000"`, "three upper-case letters"}},
		{"currency twice", "USD:1000,EUR:2000,USD:3000", []string{`entry "USD:3000"`, "USD is listed twice"}},
		{"currency twice, same amount", "USD:1000, USD:1000", []string{`entry "USD:1000"`, "listed twice"}},
		{"two defaults", "1000,JPY:150000,2000", []string{`entry "2000"`, "second bare default", "1000 is already"}},
		{"empty value", "", []string{"entry 1 of 1 is empty"}},
		{"blank value", "  ", []string{"entry 1 of 1 is empty"}},
		{"empty entry in the middle", "USD:1000,,EUR:2000", []string{"entry 2 of 3 is empty"}},
		{"trailing comma", "USD:1000,", []string{"entry 2 of 2 is empty"}},
		{"blank entry", "USD:1000, ,EUR:2000", []string{"entry 2 of 3 is empty"}},
		{"every problem named", "usd:1,EUR:x", []string{`entry "usd:1"`, `entry "EUR:x"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSMSThresholds(tc.in)
			require.Error(t, err, "%q parsed as %q", tc.in, got)
			assert.True(t, got.IsZero(), "nothing half-parsed on error")
			assert.NotContains(t, err.Error(), "\n", "one line")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestMustParseSMSThresholdsPanicsOnBadValue(t *testing.T) {
	assert.PanicsWithValue(t, `backorder.MustParseSMSThresholds("EUR:abc"): entry "EUR:abc": amount "abc" is not a decimal amount such as 1000.00`,
		func() { MustParseSMSThresholds("EUR:abc") })
	assert.NotPanics(t, func() { MustParseSMSThresholds("1000.00") })
}

func TestSMSThresholdsStringParsesBack(t *testing.T) {
	for _, in := range []string{"1000.00", "0", "1000.00,JPY:150000", "JPY:150000, 1000.00", "USD:1000.00,EUR:2000.00,GBP:800", "KWD:300.125"} {
		th := MustParseSMSThresholds(in)
		again, err := ParseSMSThresholds(th.String())
		require.NoError(t, err, in)
		assert.Equal(t, th, again, in)
		assert.Equal(t, th.String(), again.String(), in)
	}
	// Stable whatever order the entries were written in.
	a := MustParseSMSThresholds("USD:1,EUR:2,JPY:3,100")
	b := MustParseSMSThresholds("100,JPY:3,USD:1,EUR:2")
	assert.Equal(t, "100,EUR:2,JPY:3,USD:1", a.String())
	assert.Equal(t, a.String(), b.String())
}

func TestSMSThresholdsJSONRoundTrip(t *testing.T) {
	type settings struct {
		SMSThreshold SMSThresholds `json:"sms_threshold"`
	}
	for _, in := range []string{"1000.00", "1000.00,JPY:150000", "USD:1000.00,EUR:2000.00"} {
		data, err := json.Marshal(settings{MustParseSMSThresholds(in)})
		require.NoError(t, err)
		assert.JSONEq(t, `{"sms_threshold":`+quote(MustParseSMSThresholds(in).String())+`}`, string(data))
		var back settings
		require.NoError(t, json.Unmarshal(data, &back), string(data))
		assert.Equal(t, MustParseSMSThresholds(in), back.SMSThreshold, in)
	}

	var zero settings
	data, err := json.Marshal(zero)
	require.NoError(t, err)
	assert.JSONEq(t, `{"sms_threshold":""}`, string(data))
	back := settings{MustParseSMSThresholds("1")}
	require.NoError(t, json.Unmarshal(data, &back))
	assert.True(t, back.SMSThreshold.IsZero())

	err = json.Unmarshal([]byte(`{"sms_threshold":"EUR:abc"}`), &back)
	assert.ErrorContains(t, err, `entry "EUR:abc"`)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestSMSThresholdsStringKeepsWrittenDecimals(t *testing.T) {
	th := MustParseSMSThresholds("1000.00,JPY:150000,EUR:2000.5,GBP:007")
	assert.Equal(t, "1000.00,EUR:2000.5,GBP:7,JPY:150000", th.String())
}
