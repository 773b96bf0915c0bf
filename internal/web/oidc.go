package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/store"
)

// Single sign-on through an OpenID Connect provider (BACKORDER_OIDC_ISSUER):
// the authorization code flow with PKCE, a state and a nonce. The provider
// says who the person is; what they may do comes from their local account
// (`starter users add NAME --role ROLE --sso-only`), found by the ID
// token's preferred_username, else its verified email. Nobody without a
// local account gets in.

const (
	// oidcCookie holds the state, nonce and PKCE verifier of one sign-in
	// between the redirect to the provider and its answer.
	oidcCookie     = "backorder_oidc"
	oidcCookiePath = "/auth/oidc/"
	// oidcFlowTime is how long a person has at the provider.
	oidcFlowTime = 10 * time.Minute
	// oidcHTTPTimeout bounds each call to the provider.
	oidcHTTPTimeout = 10 * time.Second
)

// sso is the provider, discovered on first use: a provider that is down
// when the server starts must not keep local accounts from signing in.
type sso struct {
	cfg         config.OIDC
	redirectURL string

	mu       sync.Mutex
	provider *oidc.Provider
}

func newSSO(cfg config.OIDC, public *url.URL) *sso {
	return &sso{cfg: cfg, redirectURL: public.String() + "/auth/oidc/callback"}
}

// httpContext carries the HTTP client the provider is called with. It is
// not a request's context: the provider keeps it to fetch new signing
// keys later.
func (p *sso) httpContext() context.Context {
	return oidc.ClientContext(context.Background(), &http.Client{Timeout: oidcHTTPTimeout})
}

// client discovers the provider once, and again after a failure.
func (p *sso) client() (*oidc.Provider, *oauth2.Config, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider == nil {
		provider, err := oidc.NewProvider(p.httpContext(), p.cfg.Issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the single sign-on provider at BACKORDER_OIDC_ISSUER=%s: %w", p.cfg.Issuer, err)
		}
		p.provider = provider
	}
	return p.provider, &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret.Reveal(),
		Endpoint: p.provider.Endpoint(), RedirectURL: p.redirectURL,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
	}, nil
}

// oidcLogin sends the browser to the provider.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	if s.sso == nil {
		http.NotFound(w, r)
		return
	}
	_, oauth, err := s.sso.client()
	if err != nil {
		s.log.Error("single sign-on unavailable", "err", err)
		s.ssoFailed(w, r, http.StatusBadGateway, "Single sign-on is unavailable just now: its provider did not answer. Try again in a moment, or sign in with a password.")
		return
	}
	state, err1 := newToken()
	nonce, err2 := newToken()
	if err := errors.Join(err1, err2); err != nil {
		s.serverError(w, r, nil, err)
		return
	}
	verifier := oauth2.GenerateVerifier()
	next := base64.RawURLEncoding.EncodeToString([]byte(localPath(r.URL.Query().Get("next"))))
	http.SetCookie(w, s.cookie(r, oidcCookie, strings.Join([]string{state, nonce, verifier, next}, "."), oidcCookiePath, int(oidcFlowTime.Seconds())))
	http.Redirect(w, r, oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// oidcCallback takes the provider's answer: checks the state, exchanges
// the code, verifies the ID token and its nonce, and signs the local
// account in.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.sso == nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	c, err := r.Cookie(oidcCookie)
	http.SetCookie(w, s.cookie(r, oidcCookie, "", oidcCookiePath, -1))
	parts := []string{}
	if err == nil {
		parts = strings.Split(c.Value, ".")
	}
	if len(parts) != 4 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q.Get("state"))) != 1 {
		s.ssoFailed(w, r, http.StatusBadRequest, "This sign-in did not start here, or took longer than 10 minutes. Start again.")
		return
	}
	nonce, verifier := parts[1], parts[2]
	next, _ := base64.RawURLEncoding.DecodeString(parts[3])
	if e := q.Get("error"); e != "" {
		s.ssoFailed(w, r, http.StatusUnauthorized, fmt.Sprintf("The single sign-on provider refused: %s %s", e, q.Get("error_description")))
		return
	}
	provider, oauth, err := s.sso.client()
	if err != nil {
		s.log.Error("single sign-on unavailable", "err", err)
		s.ssoFailed(w, r, http.StatusBadGateway, "Single sign-on is unavailable just now: its provider did not answer. Try again in a moment.")
		return
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), &http.Client{Timeout: oidcHTTPTimeout}), oidcHTTPTimeout)
	defer cancel()
	token, err := oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		s.log.Warn("single sign-on: code exchange failed", "err", err)
		s.ssoFailed(w, r, http.StatusUnauthorized, "The single sign-on provider did not confirm this sign-in. Start again.")
		return
	}
	raw, _ := token.Extra("id_token").(string)
	idToken, err := provider.Verifier(&oidc.Config{ClientID: s.sso.cfg.ClientID}).Verify(ctx, raw)
	if err != nil || subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		s.log.Warn("single sign-on: ID token refused", "err", err)
		s.ssoFailed(w, r, http.StatusUnauthorized, "The single sign-on provider's answer could not be verified. Start again.")
		return
	}
	var claims struct {
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
		EmailVerified     *bool  `json:"email_verified"`
	}
	if err := idToken.Claims(&claims); err != nil {
		s.ssoFailed(w, r, http.StatusUnauthorized, "The single sign-on provider's answer could not be read. Start again.")
		return
	}
	username := claims.PreferredUsername
	if username == "" && (claims.EmailVerified == nil || *claims.EmailVerified) {
		username = claims.Email
	}
	u, err := s.db.UserByName(r.Context(), username)
	if errors.Is(err, store.ErrNotFound) || username == "" {
		s.ssoFailed(w, r, http.StatusForbidden, fmt.Sprintf(
			"You are signed in at the provider as %q, but this app has no account of that name. Ask an admin to add one: starter users add NAME --role ROLE --sso-only.", username))
		return
	}
	if err != nil {
		s.serverError(w, r, nil, err)
		return
	}
	if err := s.startSession(w, r, u.Username); err != nil {
		s.serverError(w, r, nil, err)
		return
	}
	s.log.Info("signed in through single sign-on", "user", u.Username, "role", u.Role)
	http.Redirect(w, r, localPath(string(next)), http.StatusSeeOther)
}

// ssoFailed shows the sign-in page with what went wrong.
func (s *Server) ssoFailed(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "signin", nil, "Sign in", signInPage{Error: msg, SSO: true})
}
