package main

import (
	"fmt"
	"log/slog"
	"net/url"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/notify"
	"github.com/acme/backorders/internal/store"
)

// newNotifier picks each channel's delivery from the configuration: the
// provider when its credentials are set, else the recording notifier. It
// also says, per channel, what it picked, for the start-up log; never a
// credential.
func newNotifier(cfg config.Config, db *store.Store, logger *slog.Logger) (n notify.Dispatcher, email, sms string, err error) {
	recorder := notify.Recorder{Ledger: db, Log: logger}
	n = notify.Dispatcher{Email: recorder, SMS: recorder}
	email = "recorded in the notifications ledger (set SENDGRID_API_KEY and SENDGRID_FROM to send)"
	if sg := cfg.SendGrid; sg.Enabled() {
		n.Email = notify.Delivery{
			Ledger: db, Log: logger, ResendUnknown: true,
			Provider: notify.NewSendGrid(notify.SendGridOptions{APIKey: sg.APIKey.Reveal(), From: sg.From, BaseURL: sg.BaseURL}),
		}
		email = fmt.Sprintf("SendGrid at %s from %s", host(sg.BaseURL, "https://api.sendgrid.com"), sg.From)
	}

	sms = "recorded in the notifications ledger (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM to send)"
	if tw := cfg.Twilio; tw.Enabled() {
		p, err := notify.NewTwilio(notify.TwilioOptions{
			AccountSID: tw.AccountSID, AuthToken: tw.AuthToken.Reveal(), From: tw.From,
			BaseURL: tw.BaseURL, StatusCallbackURL: tw.StatusCallbackURL,
		})
		if err != nil {
			return n, "", "", err
		}
		n.SMS = notify.Delivery{Ledger: db, Log: logger, Provider: p}
		sms = fmt.Sprintf("Twilio at %s from %s", host(tw.BaseURL, "https://api.twilio.com"), tw.From)
	}
	if cfg.WarehouseManagerPhone == "" {
		sms = "none: WAREHOUSE_MANAGER_PHONE is not set, alerts are recorded only"
	} else if !cfg.QuietHours.IsZero() {
		sms += fmt.Sprintf(", quiet hours %s %s", cfg.QuietHours, cfg.Location)
	}
	return n, email, sms, nil
}

// host names where a base URL points, without any user info it may hold.
func host(baseURL, def string) string {
	u, err := url.Parse(baseURL)
	if baseURL == "" || err != nil {
		return def
	}
	return u.Scheme + "://" + u.Host
}
