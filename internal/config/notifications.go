package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"

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

// EmailRoute says where email goes, for the worker's start-up line and
// `starter notifications`; never a credential.
func (cfg Config) EmailRoute() string {
	sg := cfg.SendGrid
	if !sg.Enabled() {
		return "recorded in the notifications ledger, not sent (set SENDGRID_API_KEY and SENDGRID_FROM to send)"
	}
	return fmt.Sprintf("SendGrid at %s from %s", host(sg.BaseURL, "https://api.sendgrid.com"), sg.From)
}

// SMSRoute says where the warehouse SMS goes; never a credential.
func (cfg Config) SMSRoute() string {
	if cfg.WarehouseManagerPhone == "" {
		return "none: WAREHOUSE_MANAGER_PHONE is not set, alerts are recorded only"
	}
	tw := cfg.Twilio
	route := "recorded in the notifications ledger, not sent (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM to send)"
	if tw.Enabled() {
		route = fmt.Sprintf("Twilio at %s from %s", host(tw.BaseURL, "https://api.twilio.com"), tw.From)
	}
	if !cfg.QuietHours.IsZero() {
		route += fmt.Sprintf(", quiet hours %s %s", cfg.QuietHours, cfg.Location)
	}
	return route
}

// host names where a base URL points, without any user info it may hold.
func host(baseURL, def string) string {
	u, err := url.Parse(baseURL)
	if baseURL == "" || err != nil {
		return def
	}
	return u.Scheme + "://" + u.Host
}

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
	errs = append(errs, allOrNone("email", "SendGrid",
		[]channelVar{{"SENDGRID_API_KEY", sg.APIKey.Reveal(), true}, {"SENDGRID_FROM", sg.From, true}, {"SENDGRID_BASE_URL", sg.BaseURL, false}})...)
	if sg.From != "" && address.Email(sg.From) != nil {
		fail("SENDGRID_FROM=%q must be an email address such as backorders@example.com", sg.From)
	}
	errs = append(errs, checkProviderURL("SENDGRID_BASE_URL", sg.BaseURL)...)

	tw := &cfg.Twilio
	tw.AccountSID, tw.AuthToken, tw.From = get("TWILIO_ACCOUNT_SID", ""), Secret(get("TWILIO_AUTH_TOKEN", "")), get("TWILIO_FROM", "")
	tw.BaseURL, tw.StatusCallbackURL = get("TWILIO_BASE_URL", ""), get("TWILIO_STATUS_CALLBACK_URL", "")
	errs = append(errs, allOrNone("SMS", "Twilio", []channelVar{
		{"TWILIO_ACCOUNT_SID", tw.AccountSID, true}, {"TWILIO_AUTH_TOKEN", tw.AuthToken.Reveal(), true}, {"TWILIO_FROM", tw.From, true},
		{"TWILIO_BASE_URL", tw.BaseURL, false}, {"TWILIO_STATUS_CALLBACK_URL", tw.StatusCallbackURL, false},
	})...)
	if tw.AccountSID != "" && !alphanumeric.MatchString(tw.AccountSID) {
		fail("TWILIO_ACCOUNT_SID must be letters and digits only, such as AC followed by 32 hex digits")
	}
	if tw.AuthToken.IsSet() && !alphanumeric.MatchString(tw.AuthToken.Reveal()) {
		fail("TWILIO_AUTH_TOKEN must be letters and digits only: copy it again from the Twilio console")
	}
	if tw.From != "" && address.Phone(tw.From) != nil {
		fail("TWILIO_FROM=%q must be a phone number in E.164 form, such as +14155552671", tw.From)
	}
	errs = append(errs, checkProviderURL("TWILIO_BASE_URL", tw.BaseURL)...)
	errs = append(errs, checkURL("TWILIO_STATUS_CALLBACK_URL", tw.StatusCallbackURL)...)
	return errs
}

// channelVar is one variable of a notification channel's provider.
type channelVar struct {
	name, value string
	required    bool
}

// allOrNone checks a channel's provider variables are set together: with
// some but not all of them, the worker would quietly record messages
// instead of sending them. None set means the recorder.
func allOrNone(channel, provider string, vars []channelVar) []error {
	var set, missing []string
	for _, v := range vars {
		switch {
		case v.value != "":
			set = append(set, v.name)
		case v.required:
			missing = append(missing, v.name)
		}
	}
	if len(set) == 0 || len(missing) == 0 {
		return nil
	}
	return []error{fmt.Errorf("%s missing while %s set: set %s too to send %s through %s, or unset %s to record %s only",
		strings.Join(missing, " and "), strings.Join(set, ", "), strings.Join(missing, " and "), channel, provider,
		strings.Join(set, ", "), channel)}
}

// checkProviderURL accepts an empty value, an https URL, or an http URL
// to this machine (a local relay or fake): credentials go with every
// request and must not cross a network in clear.
func checkProviderURL(name, v string) []error {
	if errs := checkURL(name, v); errs != nil || v == "" {
		return errs
	}
	u, _ := url.Parse(v)
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return []error{fmt.Errorf("%s=%q sends credentials in clear: use https://, or http:// only to localhost or 127.0.0.1", name, v)}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
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
