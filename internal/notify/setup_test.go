package notify_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/notify"
)

func TestNewPicksPerChannelAndSaysWhich(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)

	cfg := config.Config{WarehouseManagerPhone: "+14155550100"}
	n, err := notify.New(cfg, nil, quiet)
	require.NoError(t, err)
	assert.IsType(t, notify.Recorder{}, n.Email)
	assert.IsType(t, notify.Recorder{}, n.SMS)
	assert.Contains(t, cfg.EmailRoute(), "recorded in the notifications ledger, not sent")
	assert.Contains(t, cfg.SMSRoute(), "recorded in the notifications ledger, not sent")

	cfg = config.Config{
		WarehouseManagerPhone: "+14155550100",
		QuietHours:            backorder.QuietHours{Start: 21 * 60, End: 7 * 60},
		SendGrid:              config.SendGrid{APIKey: "SG.secret", From: "backorders@shop.example", BaseURL: "https://user:pw@relay.example/sg"},
		Twilio:                config.Twilio{AccountSID: "AC123", AuthToken: "tok3n", From: "+14155552671"},
	}
	n, err = notify.New(cfg, nil, quiet)
	require.NoError(t, err)
	assert.IsType(t, notify.Delivery{}, n.Email)
	assert.IsType(t, notify.Delivery{}, n.SMS)
	assert.True(t, n.Email.(notify.Delivery).ResendUnknown, "a second email beats none")
	assert.False(t, n.SMS.(notify.Delivery).ResendUnknown, "an SMS whose fate is unknown is not sent again")
	assert.Equal(t, "SendGrid at https://relay.example from backorders@shop.example", cfg.EmailRoute())
	assert.Contains(t, cfg.SMSRoute(), "Twilio at https://api.twilio.com from +14155552671, quiet hours 21:00-07:00")
	for _, route := range []string{cfg.EmailRoute(), cfg.SMSRoute()} {
		for _, secret := range []string{"SG.secret", "tok3n", "AC123", "pw"} {
			assert.NotContains(t, route, secret)
		}
	}

	cfg.WarehouseManagerPhone = ""
	assert.Equal(t, "none: WAREHOUSE_MANAGER_PHONE is not set, alerts are recorded only", cfg.SMSRoute())
}
