package notify

import (
	"log/slog"

	"github.com/acme/backorders/internal/config"
)

// LedgerStore keeps the ledger for every notifier: the recorder's and the
// deliveries' (internal/store implements it).
type LedgerStore interface {
	Ledger
	DeliveryLedger
}

// New picks each channel's delivery from the configuration: the provider
// when its variables are set (config checks they are all set or none),
// else the recording notifier. cfg.EmailRoute and cfg.SMSRoute say which,
// for people.
func New(cfg config.Config, db LedgerStore, logger *slog.Logger) (Dispatcher, error) {
	recorder := Recorder{Ledger: db, Log: logger}
	d := Dispatcher{Email: recorder, SMS: recorder}
	if sg := cfg.SendGrid; sg.Enabled() {
		d.Email = Delivery{
			Ledger: db, Log: logger, ResendUnknown: true,
			Provider: NewSendGrid(SendGridOptions{APIKey: sg.APIKey.Reveal(), From: sg.From, BaseURL: sg.BaseURL}),
		}
	}
	if tw := cfg.Twilio; tw.Enabled() {
		p, err := NewTwilio(TwilioOptions{
			AccountSID: tw.AccountSID, AuthToken: tw.AuthToken.Reveal(), From: tw.From,
			BaseURL: tw.BaseURL, StatusCallbackURL: tw.StatusCallbackURL,
		})
		if err != nil {
			return d, err
		}
		d.SMS = Delivery{Ledger: db, Log: logger, Provider: p}
	}
	return d, nil
}
