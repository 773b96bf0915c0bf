package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"

	"github.com/acme/backorders/internal/address"
	"github.com/acme/backorders/internal/backorder"
)

// DefaultSupportEmail is where customers are told to write when
// BACKORDER_SUPPORT_EMAIL is not set.
const DefaultSupportEmail = "support@example.com"

// Secret is a credential. It prints as [redacted] through fmt and slog, so
// a logged or formatted Config never shows it.
type Secret string

func (Secret) String() string       { return "[redacted]" }
func (Secret) GoString() string     { return `"[redacted]"` }
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }
func (s Secret) Reveal() string     { return string(s) }
func (s Secret) IsSet() bool        { return s != "" }

// SendGrid configures email delivery through SendGrid's v3 mail send API.
type SendGrid struct {
	APIKey Secret
	From   string
	// BaseURL replaces https://api.sendgrid.com (a regional relay, a fake).
	BaseURL string
}

// Enabled reports whether email goes through SendGrid.
func (s SendGrid) Enabled() bool { return s.APIKey.IsSet() }

// Twilio configures SMS delivery through Twilio's Messages API.
type Twilio struct {
	AccountSID string
	AuthToken  Secret
	From       string
	// BaseURL replaces https://api.twilio.com.
	BaseURL string
	// StatusCallbackURL, when set, is where Twilio reports delivery; each
	// message adds ?key=<ledger key> to it.
	StatusCallbackURL string
}

// Enabled reports whether SMS goes through Twilio.
func (t Twilio) Enabled() bool { return t.AuthToken.IsSet() }

// twilio-go refuses credentials with anything but letters and digits.
var alphanumeric = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// loadNotifications reads the delivery settings. Error messages name a
// secret's variable, never its value.
func (cfg *Config) loadNotifications(get func(name, def string) string) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	cfg.SupportEmail = get("BACKORDER_SUPPORT_EMAIL", DefaultSupportEmail)
	if address.Email(cfg.SupportEmail) != nil {
		fail("BACKORDER_SUPPORT_EMAIL=%q must be an email address such as %s", cfg.SupportEmail, DefaultSupportEmail)
	}
	quiet := get("WAREHOUSE_SMS_QUIET_HOURS", "")
	var err error
	if cfg.QuietHours, err = backorder.ParseQuietHours(quiet); err != nil {
		fail("WAREHOUSE_SMS_QUIET_HOURS: %v; leave it empty for none", err)
	}

	sg := &cfg.SendGrid
	sg.APIKey, sg.From, sg.BaseURL = Secret(get("SENDGRID_API_KEY", "")), get("SENDGRID_FROM", ""), get("SENDGRID_BASE_URL", "")
	if sg.APIKey.IsSet() != (sg.From != "") {
		fail("SENDGRID_API_KEY and SENDGRID_FROM go together: set both to send email through SendGrid, or neither to record it only")
	}
	if sg.From != "" && address.Email(sg.From) != nil {
		fail("SENDGRID_FROM=%q must be an email address such as backorders@example.com", sg.From)
	}
	errs = append(errs, checkURL("SENDGRID_BASE_URL", sg.BaseURL)...)

	tw := &cfg.Twilio
	tw.AccountSID, tw.AuthToken, tw.From = get("TWILIO_ACCOUNT_SID", ""), Secret(get("TWILIO_AUTH_TOKEN", "")), get("TWILIO_FROM", "")
	tw.BaseURL, tw.StatusCallbackURL = get("TWILIO_BASE_URL", ""), get("TWILIO_STATUS_CALLBACK_URL", "")
	set := 0
	for _, v := range []string{tw.AccountSID, tw.AuthToken.Reveal(), tw.From} {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != 3 {
		fail("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM go together: set all three to send SMS through Twilio, or none to record it only")
	}
	if tw.AccountSID != "" && !alphanumeric.MatchString(tw.AccountSID) {
		fail("TWILIO_ACCOUNT_SID must be letters and digits only, such as AC followed by 32 hex digits")
	}
	if tw.AuthToken.IsSet() && !alphanumeric.MatchString(tw.AuthToken.Reveal()) {
		fail("TWILIO_AUTH_TOKEN must be letters and digits only: copy it again from the Twilio console")
	}
	if tw.From != "" && address.Phone(tw.From) != nil {
		fail("TWILIO_FROM=%q must be a phone number in E.164 form, such as +14155552671", tw.From)
	}
	errs = append(errs, checkURL("TWILIO_BASE_URL", tw.BaseURL)...)
	errs = append(errs, checkURL("TWILIO_STATUS_CALLBACK_URL", tw.StatusCallbackURL)...)
	return errs
}

// checkURL accepts an empty value or an absolute http(s) URL.
func checkURL(name, v string) []error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []error{fmt.Errorf("%s=%q must be an http:// or https:// URL, such as https://relay.example.com", name, v)}
	}
	return nil
}
