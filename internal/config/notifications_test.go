package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNotificationDefaults(t *testing.T) {
	cfg, err := load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, DefaultSupportEmail, cfg.SupportEmail)
	assert.True(t, cfg.QuietHours.IsZero())
	assert.False(t, cfg.SendGrid.Enabled(), "no credentials: email is recorded only")
	assert.False(t, cfg.Twilio.Enabled(), "no credentials: SMS is recorded only")
}

func TestNotificationSettingsRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{name: "SendGrid key without sender", vars: map[string]string{"SENDGRID_API_KEY": "SG.key"},
			want: "SENDGRID_FROM missing while SENDGRID_API_KEY set: set SENDGRID_FROM too to send email through SendGrid, or unset SENDGRID_API_KEY to record email only"},
		{name: "SendGrid sender without key", vars: map[string]string{"SENDGRID_FROM": "a@example.com"}, want: "SENDGRID_API_KEY missing while SENDGRID_FROM set"},
		{name: "SendGrid base URL alone", vars: map[string]string{"SENDGRID_BASE_URL": "https://relay.example.com"},
			want: "SENDGRID_API_KEY and SENDGRID_FROM missing while SENDGRID_BASE_URL set"},
		{name: "SendGrid over plain HTTP", vars: map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_FROM": "a@example.com", "SENDGRID_BASE_URL": "http://relay.example.com"},
			want: `SENDGRID_BASE_URL="http://relay.example.com" sends credentials in clear: use https://`},
		{name: "Twilio over plain HTTP", vars: map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+14155552671", "TWILIO_BASE_URL": "http://10.0.0.7:8080"},
			want: `TWILIO_BASE_URL="http://10.0.0.7:8080" sends credentials in clear`},
		{name: "SendGrid sender not an address", vars: map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_FROM": "backorders"}, want: `SENDGRID_FROM="backorders"`},
		{name: "SendGrid base URL", vars: map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_FROM": "a@example.com", "SENDGRID_BASE_URL": "api.sendgrid.com"}, want: `SENDGRID_BASE_URL="api.sendgrid.com" must be an http:// or https:// URL`},
		{name: "Twilio partly set", vars: map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_FROM": "+14155552671"}, want: "TWILIO_AUTH_TOKEN missing while TWILIO_ACCOUNT_SID, TWILIO_FROM set"},
		{name: "Twilio sender not E.164", vars: map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "415 555 2671"}, want: `TWILIO_FROM="415 555 2671" must be a phone number in E.164 form`},
		{name: "Twilio account SID", vars: map[string]string{"TWILIO_ACCOUNT_SID": "AC-1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+14155552671"}, want: "TWILIO_ACCOUNT_SID must be letters and digits"},
		{name: "Twilio base URL", vars: map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+14155552671", "TWILIO_BASE_URL": "ftp://x"}, want: `TWILIO_BASE_URL="ftp://x"`},
		{name: "status callback URL", vars: map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+14155552671", "TWILIO_STATUS_CALLBACK_URL": "/twilio"}, want: `TWILIO_STATUS_CALLBACK_URL="/twilio"`},
		{name: "quiet hours", vars: map[string]string{"WAREHOUSE_SMS_QUIET_HOURS": "night"}, want: `WAREHOUSE_SMS_QUIET_HOURS: "night" is not a window of the form HH:MM-HH:MM`},
		{name: "support email", vars: map[string]string{"BACKORDER_SUPPORT_EMAIL": "support"}, want: `BACKORDER_SUPPORT_EMAIL="support"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(env(tc.vars))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Len(t, strings.Split(err.Error(), "\n"), 1, "one problem: %v", err)
		})
	}
}

// Plain HTTP is for a relay or fake on this machine only.
func TestProviderURLOverPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:8025", "http://localhost:9000/relay", "http://[::1]:80", "https://relay.example.com"} {
		_, err := load(env(map[string]string{"SENDGRID_API_KEY": "SG.key", "SENDGRID_FROM": "a@example.com", "SENDGRID_BASE_URL": base}))
		assert.NoError(t, err, base)
	}
}

func TestSecretsNeverShow(t *testing.T) {
	const apiKey, token = "SG.very-secret-key", "verysecrettoken"
	cfg, err := load(env(map[string]string{
		"SENDGRID_API_KEY": apiKey, "SENDGRID_FROM": "backorders@example.com",
		"TWILIO_ACCOUNT_SID": "AC0123", "TWILIO_AUTH_TOKEN": token, "TWILIO_FROM": "+14155552671",
	}))
	require.NoError(t, err)
	assert.Equal(t, apiKey, cfg.SendGrid.APIKey.Reveal())
	assert.Equal(t, token, cfg.Twilio.AuthToken.Reveal())

	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "sendgrid", cfg.SendGrid, "token", cfg.Twilio.AuthToken)
	for _, shown := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), logs.String()} {
		assert.NotContains(t, shown, apiKey)
		assert.NotContains(t, shown, token)
	}

	// A bad token is named, not shown.
	_, err = load(env(map[string]string{"TWILIO_ACCOUNT_SID": "AC0123", "TWILIO_AUTH_TOKEN": "bad/" + token, "TWILIO_FROM": "+14155552671"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TWILIO_AUTH_TOKEN")
	assert.NotContains(t, err.Error(), token)
}
