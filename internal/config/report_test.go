package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportDefaults(t *testing.T) {
	cfg, err := load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, "0 8 * * 1", cfg.ReportSchedule, "Mondays at 08:00")
	assert.Empty(t, cfg.ReportRecipients, "nobody is emailed unless configured")
}

func TestReportRecipientsTrimmedAndDeduplicated(t *testing.T) {
	cfg, err := load(env(map[string]string{"BACKORDER_REPORT_RECIPIENTS": " a@example.com ,, b@example.com,a@example.com,"}))
	require.NoError(t, err)
	assert.Equal(t, []string{"a@example.com", "b@example.com"}, cfg.ReportRecipients)
}

func TestBadReportSettings(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"BACKORDER_REPORT_RECIPIENTS", "ops@example.com, bob@", `BACKORDER_REPORT_RECIPIENTS: "bob@" is not an email address: list addresses separated by commas`},
		{"BACKORDER_REPORT_RECIPIENTS", "ops@example.com; buyer@example.com", `"ops@example.com; buyer@example.com" is not an email address`},
		{"BACKORDER_REPORT_SCHEDULE", "every monday", `BACKORDER_REPORT_SCHEDULE="every monday" must be a cron expression`},
		{"BACKORDER_REPORT_SCHEDULE", "0 8 * *", `such as "0 8 * * 1"`},
	} {
		_, err := load(env(map[string]string{tc.name: tc.value}))
		require.Error(t, err, tc.value)
		assert.Contains(t, err.Error(), tc.want)
	}
}
