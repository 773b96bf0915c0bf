package config

import (
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/backorder"
)

// env is a fake environment.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, "postgres://postgres@127.0.0.1:5432/backorders?sslmode=disable", cfg.DatabaseURL)
	assert.Equal(t, "127.0.0.1:7233", cfg.TemporalAddress)
	assert.Equal(t, "default", cfg.TemporalNamespace)
	assert.Equal(t, "backorders", cfg.TaskQueue)
	require.NotNil(t, cfg.Location)
	assert.Equal(t, "UTC", cfg.Location.String())
	assert.Equal(t, 14, cfg.DefaultLeadTimeDays)
	assert.Equal(t, DefaultSMSThreshold, cfg.SMSThreshold.String())
	for _, currency := range []string{"USD", "EUR", "JPY"} {
		assert.False(t, cfg.SMSThreshold.AlertsWarehouse(decimal.RequireFromString("1000.00"), currency), currency)
		assert.True(t, cfg.SMSThreshold.AlertsWarehouse(decimal.RequireFromString("1000.01"), currency), currency)
	}
	assert.Empty(t, cfg.WarehouseManagerPhone, "no phone by default: alerts are recorded only")
	assert.Equal(t, time.Hour, cfg.SweepInterval)
	assert.Equal(t, 25*time.Second, cfg.WorkerStopTimeout)
	assert.Equal(t, "127.0.0.1:9464", cfg.MetricsAddr)
}

// BACKORDER_METRICS_ADDR set and empty turns the endpoint off; unset is
// the default; a value that is not HOST:PORT is refused.
func TestMetricsAddr(t *testing.T) {
	cfg, err := load(env(map[string]string{"BACKORDER_METRICS_ADDR": ""}))
	require.NoError(t, err)
	assert.Empty(t, cfg.MetricsAddr)
	cfg, err = load(env(map[string]string{"BACKORDER_METRICS_ADDR": "0.0.0.0:9100"}))
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:9100", cfg.MetricsAddr)
	_, err = load(env(map[string]string{"BACKORDER_METRICS_ADDR": "9464"}))
	require.ErrorContains(t, err, `BACKORDER_METRICS_ADDR="9464" must be HOST:PORT`)
}

func TestBlankValuesMeanDefaults(t *testing.T) {
	vars := map[string]string{}
	for _, name := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "BACKORDER_TASK_QUEUE",
		"BACKORDER_TIMEZONE", "BACKORDER_DEFAULT_LEAD_TIME_DAYS", "BACKORDER_SMS_THRESHOLD", "WAREHOUSE_MANAGER_PHONE", "BACKORDER_SWEEP_INTERVAL",
		"BACKORDER_REPORT_SCHEDULE", "BACKORDER_REPORT_RECIPIENTS"} {
		vars[name] = "  "
	}
	cfg, err := load(env(vars))
	require.NoError(t, err)
	want, err := load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, want, cfg)
}

func TestEveryVariableOverridden(t *testing.T) {
	cfg, err := load(env(map[string]string{
		"DATABASE_URL":                     "postgres://app:secret@db.internal:5433/orders?sslmode=require",
		"TEMPORAL_ADDRESS":                 "temporal.internal:7233",
		"TEMPORAL_NAMESPACE":               "backorders-prod",
		"BACKORDER_TASK_QUEUE":             "backorders-eu",
		"BACKORDER_TIMEZONE":               "America/New_York",
		"BACKORDER_DEFAULT_LEAD_TIME_DAYS": " 21 ",
		"BACKORDER_SMS_THRESHOLD":          " JPY:300000 , 2500.50 ",
		"WAREHOUSE_MANAGER_PHONE":          "+15555550100",
		"BACKORDER_SWEEP_INTERVAL":         "30m",
		"BACKORDER_WORKER_STOP_TIMEOUT":    "40s",
		"BACKORDER_METRICS_ADDR":           "0.0.0.0:9464",
		"BACKORDER_LOG_FORMAT":             "json",
		"BACKORDER_LOG_LEVEL":              "debug",
		"BACKORDER_MAX_CUSTOMER_NOTICES":   "5",
		"BACKORDER_SUPPORT_EMAIL":          "help@shop.example",
		"WAREHOUSE_SMS_QUIET_HOURS":        "21:00-07:00",
		"SENDGRID_API_KEY":                 "SG.key",
		"SENDGRID_FROM":                    "backorders@shop.example",
		"SENDGRID_BASE_URL":                "https://api.eu.sendgrid.com",
		"TWILIO_ACCOUNT_SID":               "AC0123456789abcdef0123456789abcdef",
		"TWILIO_AUTH_TOKEN":                "token123",
		"TWILIO_FROM":                      "+14155552671",
		"TWILIO_BASE_URL":                  "http://127.0.0.1:9999",
		"TWILIO_STATUS_CALLBACK_URL":       "https://hooks.shop.example/twilio",
		"BACKORDER_REPORT_SCHEDULE":        "30 7 * * MON",
		"BACKORDER_REPORT_RECIPIENTS":      "ops@shop.example, Buyer <buyer@shop.example>",
		"BACKORDER_HTTP_ADDR":              "0.0.0.0:8443",
		"BACKORDER_PUBLIC_URL":             "https://backorders.shop.example/",
		"BACKORDER_SESSION_IDLE_TIMEOUT":   "2h",
		"BACKORDER_OIDC_ISSUER":            "https://login.shop.example/realms/staff",
		"BACKORDER_OIDC_CLIENT_ID":         "backorders",
		"BACKORDER_OIDC_CLIENT_SECRET":     "oidc-secret",
	}))
	require.NoError(t, err)
	assert.Equal(t, Config{
		DatabaseURL:           "postgres://app:secret@db.internal:5433/orders?sslmode=require",
		TemporalAddress:       "temporal.internal:7233",
		TemporalNamespace:     "backorders-prod",
		TaskQueue:             "backorders-eu",
		Location:              cfg.Location,
		DefaultLeadTimeDays:   21,
		SMSThreshold:          backorder.MustParseSMSThresholds("2500.50,JPY:300000"),
		WarehouseManagerPhone: "+15555550100",
		SweepInterval:         30 * time.Minute,
		WorkerStopTimeout:     40 * time.Second,
		MetricsAddr:           "0.0.0.0:9464",
		Log:                   Log{Format: LogFormatJSON, Level: slog.LevelDebug},
		MaxCustomerNotices:    5,
		SupportEmail:          "help@shop.example",
		QuietHours:            backorder.QuietHours{Start: 21 * 60, End: 7 * 60},
		SendGrid:              SendGrid{APIKey: "SG.key", From: "backorders@shop.example", BaseURL: "https://api.eu.sendgrid.com"},
		Twilio: Twilio{
			AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "token123", From: "+14155552671",
			BaseURL: "http://127.0.0.1:9999", StatusCallbackURL: "https://hooks.shop.example/twilio",
		},
		ReportSchedule:   "30 7 * * MON",
		ReportRecipients: []string{"ops@shop.example", "buyer@shop.example"},
		Web: Web{
			HTTPAddr: "0.0.0.0:8443", PublicURL: &url.URL{Scheme: "https", Host: "backorders.shop.example"}, publicURLSet: true,
			SessionIdleTimeout: 2 * time.Hour,
			OIDC:               OIDC{Issuer: "https://login.shop.example/realms/staff", ClientID: "backorders", ClientSecret: "oidc-secret"},
		},
	}, cfg)
	require.NotNil(t, cfg.Location)
	assert.Equal(t, "America/New_York", cfg.Location.String())
	assert.Equal(t, "2500.50,JPY:300000", cfg.SMSThreshold.String())
}

func TestBoundaryValuesAccepted(t *testing.T) {
	cfg, err := load(env(map[string]string{
		"BACKORDER_DEFAULT_LEAD_TIME_DAYS": "0",
		"BACKORDER_SMS_THRESHOLD":          "0",
		"BACKORDER_SWEEP_INTERVAL":         "1m",
	}))
	require.NoError(t, err)
	assert.Equal(t, 0, cfg.DefaultLeadTimeDays)
	assert.Equal(t, "0", cfg.SMSThreshold.String())
	assert.False(t, cfg.SMSThreshold.AlertsWarehouse(decimal.Zero, "USD"))
	assert.True(t, cfg.SMSThreshold.AlertsWarehouse(decimal.RequireFromString("0.01"), "USD"))
	assert.Equal(t, time.Minute, cfg.SweepInterval)
}

func TestBadValuesReportedTogether(t *testing.T) {
	_, err := load(env(map[string]string{
		"BACKORDER_TIMEZONE":               "Mars/Olympus_Mons",
		"BACKORDER_DEFAULT_LEAD_TIME_DAYS": "-3",
		"BACKORDER_SMS_THRESHOLD":          "abc",
		"BACKORDER_SWEEP_INTERVAL":         "5s",
	}))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`BACKORDER_TIMEZONE="Mars/Olympus_Mons"`,
		`BACKORDER_DEFAULT_LEAD_TIME_DAYS="-3"`,
		`BACKORDER_SMS_THRESHOLD="abc"`,
		`BACKORDER_SWEEP_INTERVAL="5s"`,
	} {
		assert.Contains(t, msg, want)
	}
	assert.Len(t, strings.Split(msg, "\n"), 4, "one line per problem:\n%s", msg)
	// Each says what to set instead.
	assert.Contains(t, msg, "such as UTC or Europe/Berlin")
	assert.Contains(t, msg, "0 or more")
	assert.Contains(t, msg, "such as 1000.00")
	assert.Contains(t, msg, "at least 1m")
}

func TestEachBadValue(t *testing.T) {
	for name, bad := range map[string][]string{
		"BACKORDER_TIMEZONE":               {"Nowhere", "utc/"},
		"BACKORDER_DEFAULT_LEAD_TIME_DAYS": {"-1", "two weeks", "14.5"},
		"BACKORDER_SMS_THRESHOLD":          {"abc", "-0.01", "1,000.00", "EUR:abc", "usd:1000", "USD:1,USD:2", "1,2", "USD:1,,EUR:2"},
		"BACKORDER_SWEEP_INTERVAL":         {"5s", "59s", "hourly", "60"},
		"BACKORDER_WORKER_STOP_TIMEOUT":    {"-1s", "soon", "25"},
	} {
		for _, v := range bad {
			_, err := load(env(map[string]string{name: v}))
			if assert.Error(t, err, "%s=%q", name, v) {
				assert.Contains(t, err.Error(), name+"=")
				assert.Len(t, strings.Split(err.Error(), "\n"), 1, "only %s is wrong: %v", name, err)
			}
		}
	}
}

func TestSMSThresholdPerCurrency(t *testing.T) {
	for _, tc := range []struct {
		value, amount, currency string
		alert                   bool
	}{
		{"USD:1000.00,EUR:2000.00", "1500", "USD", true},
		{"USD:1000.00,EUR:2000.00", "1500", "EUR", false},
		{"USD:1000.00,EUR:2000.00", "1500000", "JPY", false}, // no entry, no default: no SMS
		{"1000.00,JPY:150000", "1500", "JPY", false},
		{"1000.00,JPY:150000", "150000.01", "JPY", true},
		{"1000.00,JPY:150000", "1000.01", "GBP", true},
		{"1000.00,JPY:150000", "1000.00", "GBP", false},
	} {
		cfg, err := load(env(map[string]string{"BACKORDER_SMS_THRESHOLD": tc.value}))
		require.NoError(t, err, tc.value)
		assert.Equal(t, tc.alert, cfg.SMSThreshold.AlertsWarehouse(decimal.RequireFromString(tc.amount), tc.currency),
			"%s %s with %s", tc.amount, tc.currency, tc.value)
	}
}

func TestBadSMSThresholdNamesTheEntry(t *testing.T) {
	for _, tc := range []struct{ value, entry string }{
		{"USD:1000.00,EUR:abc", `entry "EUR:abc"`},
		{"USD:1000.00,EUR:-1", `entry "EUR:-1"`},
		{"-5", `entry "-5"`},
		{"usd:1000", `entry "usd:1000"`},
		{"EURO:1000", `entry "EURO:1000"`},
		{"USD:1000,EUR:5,USD:2000", `entry "USD:2000"`},
		{"1000,JPY:150000,2000", `entry "2000"`},
		{"USD:1000,,EUR:5", "entry 2 of 3 is empty"},
		{"USD:1000,", "entry 2 of 2 is empty"},
	} {
		_, err := load(env(map[string]string{"BACKORDER_SMS_THRESHOLD": tc.value}))
		if assert.Error(t, err, tc.value) {
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, `BACKORDER_SMS_THRESHOLD="`+tc.value+`": `), "names the variable and value: %s", msg)
			assert.Contains(t, msg, tc.entry)
			assert.Contains(t, msg, "set it to an amount for every currency such as 1000.00", "says what to set")
			assert.Contains(t, msg, "USD:1000.00,EUR:2000.00", "shows the list syntax")
			assert.Len(t, strings.Split(msg, "\n"), 1, "one line: %s", msg)
		}
	}
}

func TestLoadReadsTheEnvironment(t *testing.T) {
	t.Setenv("BACKORDER_TASK_QUEUE", "from-env")
	t.Setenv("BACKORDER_SWEEP_INTERVAL", "2h")
	t.Setenv("BACKORDER_TIMEZONE", "")
	cfg, err := Load()
	require.NoError(t, err)
	assert.Equal(t, "from-env", cfg.TaskQueue)
	assert.Equal(t, 2*time.Hour, cfg.SweepInterval)
}

func TestMaxCustomerNotices(t *testing.T) {
	cfg, err := load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, 3, cfg.MaxCustomerNotices, "default: the first notice and two revisions")
	for _, bad := range []string{"0", "-1", "three", "2.5"} {
		_, err := load(env(map[string]string{"BACKORDER_MAX_CUSTOMER_NOTICES": bad}))
		assert.ErrorContains(t, err, `BACKORDER_MAX_CUSTOMER_NOTICES="`+bad+`"`)
	}
}
