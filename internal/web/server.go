// Package web is the web app that `starter serve` runs for the people in
// the loop: procurement managers and inventory clerks work their tasks,
// the warehouse manager closes orders, everyone reads the backorders and
// the weekly report. Pages are rendered on the server from html/template
// and post plain forms, so everything works with JavaScript off. The JSON
// API for systems (internal/api) is mounted beside it at /api/v1/.
//
// Security, in one place: local accounts with argon2id password hashes
// (password.go), sessions in PostgreSQL found by the SHA-256 of an
// HttpOnly, SameSite=Lax cookie (session.go), a sign-in throttle per
// username and per client address (signin.go), optional OpenID Connect
// sign-in (oidc.go), http.CrossOriginProtection against cross-site form
// posts, and every role rule checked on the server (roles.go).
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/acme/backorders/internal/api"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// Deps is what the server works with.
type Deps struct {
	Ops    *operations.Service
	Store  *store.Store
	Config config.Config
	// Log gets a line for each request that failed on the server's side;
	// nil discards them.
	Log *slog.Logger
	// Throttle is the sign-in throttle; zero: DefaultThrottle.
	Throttle store.SignInThrottle
}

// DefaultThrottle: five wrong passwords in a row for a username, or from
// a client address, and that one is refused for five minutes, and again
// after each further wrong one; a right password starts the count over.
var DefaultThrottle = store.SignInThrottle{Limit: 5, Lockout: 5 * time.Minute, Forget: 24 * time.Hour}

// sessionLifetime ends a session however busy it is: someone signs in at
// least once a working day.
const sessionLifetime = 12 * time.Hour

// Server is the web app and the API behind one handler.
type Server struct {
	ops      *operations.Service
	db       *store.Store
	cfg      config.Config
	log      *slog.Logger
	throttle store.SignInThrottle
	limits   store.SessionLimits
	// secureCookies: browsers reach the server over https (its public URL),
	// so cookies are marked Secure.
	secureCookies bool
	sso           *sso // nil when single sign-on is off
	pages         pages
	handler       http.Handler
}

// New builds the server.
func New(d Deps) (*Server, error) {
	if d.Ops == nil || d.Store == nil || d.Config.Location == nil || d.Config.Web.PublicURL == nil {
		return nil, errors.New("web: Ops, Store and a loaded Config are required")
	}
	s := &Server{
		ops: d.Ops, db: d.Store, cfg: d.Config, log: d.Log, throttle: d.Throttle,
		limits:        store.SessionLimits{Idle: d.Config.Web.SessionIdleTimeout, Lifetime: sessionLifetime},
		secureCookies: d.Config.Web.PublicURL.Scheme == "https",
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.throttle == (store.SignInThrottle{}) {
		s.throttle = DefaultThrottle
	}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if d.Config.Web.OIDC.Enabled() {
		s.sso = newSSO(d.Config.Web.OIDC, d.Config.Web.PublicURL)
	}

	// Cross-site form posts are refused before any handler runs: a page on
	// another site cannot make a signed-in browser act here.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(s.crossOriginRefused))
	root := http.NewServeMux()
	root.Handle(api.Prefix+"/", api.NewHandler(api.Deps{Ops: d.Ops, Store: d.Store, Config: d.Config}))
	root.Handle("/", securityHeaders(csrf.Handler(s.routes())))
	s.handler = root
	return s, nil
}

// ServeHTTP serves the web app and the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Run serves on ln until ctx ends, then lets requests in flight finish
// for up to 10 s.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// An Update waits up to 30 s for the workflow's answer.
		WriteTimeout:   60 * time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("stopping the web server: %w", err)
	}
	return nil
}

// securityHeaders are on every page: no framing by other sites, no
// scripts at all (the pages have none), no MIME sniffing, no referrer to
// other sites, and no caching of pages that show business data.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "SAMEORIGIN")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
