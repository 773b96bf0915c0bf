package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Defaults of `starter serve`, the web app and JSON API.
const (
	// DefaultHTTPAddr: this machine only, until someone decides otherwise.
	DefaultHTTPAddr = "127.0.0.1:8080"
	// DefaultSessionIdleTimeout ends a web session nobody used for that
	// long.
	DefaultSessionIdleTimeout = 30 * time.Minute
)

// Web configures `starter serve`.
type Web struct {
	// HTTPAddr is where it listens (BACKORDER_HTTP_ADDR; --addr overrides).
	HTTPAddr string
	// PublicURL is the address people's browsers use
	// (BACKORDER_PUBLIC_URL, default http://HTTPAddr): the OpenID Connect
	// redirect is built on it, and an https one marks the session cookie
	// Secure (a TLS-terminating proxy in front of the server).
	PublicURL *url.URL
	// publicURLSet: PublicURL came from BACKORDER_PUBLIC_URL, not from
	// HTTPAddr.
	publicURLSet bool
	// SessionIdleTimeout (BACKORDER_SESSION_IDLE_TIMEOUT) ends idle
	// sessions.
	SessionIdleTimeout time.Duration
	// OIDC is single sign-on; off when Issuer is empty.
	OIDC OIDC
}

// OIDC configures sign-in through an OpenID Connect provider.
type OIDC struct {
	// Issuer (BACKORDER_OIDC_ISSUER) is the provider's issuer URL, whose
	// /.well-known/openid-configuration is read.
	Issuer       string
	ClientID     string // BACKORDER_OIDC_CLIENT_ID
	ClientSecret Secret // BACKORDER_OIDC_CLIENT_SECRET; empty for a public client (PKCE only)
}

// Enabled reports whether single sign-on is offered.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// loadWeb reads the web server's settings.
func (cfg *Config) loadWeb(get func(name, def string) string) []error {
	var errs []error
	w := &cfg.Web
	w.HTTPAddr = get("BACKORDER_HTTP_ADDR", DefaultHTTPAddr)
	if err := CheckHTTPAddr(w.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("BACKORDER_HTTP_ADDR=%q %w", w.HTTPAddr, err))
	}
	public := get("BACKORDER_PUBLIC_URL", "")
	w.publicURLSet = public != ""
	if !w.publicURLSet {
		public = "http://" + w.HTTPAddr
	}
	var err error
	if w.PublicURL, err = parsePublicURL(public); err != nil {
		errs = append(errs, fmt.Errorf("BACKORDER_PUBLIC_URL=%q %w", public, err))
	}
	idle := get("BACKORDER_SESSION_IDLE_TIMEOUT", DefaultSessionIdleTimeout.String())
	w.SessionIdleTimeout, err = time.ParseDuration(idle)
	if err != nil || w.SessionIdleTimeout < time.Minute {
		errs = append(errs, fmt.Errorf("BACKORDER_SESSION_IDLE_TIMEOUT=%q must be a duration of at least 1m, such as 30m or 8h", idle))
	}
	w.OIDC = OIDC{
		Issuer:       get("BACKORDER_OIDC_ISSUER", ""),
		ClientID:     get("BACKORDER_OIDC_CLIENT_ID", ""),
		ClientSecret: Secret(get("BACKORDER_OIDC_CLIENT_SECRET", "")),
	}
	if w.OIDC.Enabled() {
		// The client secret and the tokens travel to the issuer.
		errs = append(errs, checkProviderURL("BACKORDER_OIDC_ISSUER", w.OIDC.Issuer)...)
		if w.OIDC.ClientID == "" {
			errs = append(errs, fmt.Errorf("BACKORDER_OIDC_ISSUER is set but BACKORDER_OIDC_CLIENT_ID is not: set the client id registered at the provider"))
		}
	}
	return errs
}

// WithAddr is w listening on addr instead (`starter serve --addr`); the
// public URL follows unless BACKORDER_PUBLIC_URL set it.
func (w Web) WithAddr(addr string) (Web, error) {
	if err := CheckHTTPAddr(addr); err != nil {
		return w, err
	}
	w.HTTPAddr = addr
	if !w.publicURLSet {
		u, err := parsePublicURL("http://" + addr)
		if err != nil {
			return w, err
		}
		w.PublicURL = u
	}
	return w, nil
}

func parsePublicURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("must be the http:// or https:// address browsers reach the server at, such as https://backorders.example.com")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// CheckHTTPAddr says what is wrong with a listen address, nil when it is
// HOST:PORT.
func CheckHTTPAddr(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("must be HOST:PORT, such as 127.0.0.1:8080 or 0.0.0.0:8080")
	}
	return nil
}
