package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/acme/backorders/internal/store"
)

// Sessions: a random token in an HttpOnly, SameSite=Lax cookie; the
// database keeps only its SHA-256. The cookie is Secure when the server's
// public URL is https (behind a TLS-terminating proxy) or the request came
// over TLS. Over plain http on localhost it cannot be: browsers drop
// Secure cookies sent over http, so sign-in would not work at all.

const (
	sessionCookie = "backorder_session"
	// flashCookie carries one message across the redirect after a form
	// post ("Task T-5 is done ...").
	flashCookie = "backorder_flash"
)

// newToken is 32 random bytes, URL-safe.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// cookie is a cookie of this server with the flags every one gets.
func (s *Server) cookie(r *http.Request, name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureCookies || r.TLS != nil,
	}
}

// startSession signs u in on this browser: a new token every time, so a
// token planted before sign-in is worth nothing after it.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, username string) error {
	token, err := newToken()
	if err != nil {
		return err
	}
	if err := s.db.CreateSession(r.Context(), tokenHash(token), username, s.limits); err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, token, "/", 0))
	return nil
}

// currentUser is the signed-in user of the request; ok is false for a
// visitor (no cookie, or a session that ended).
func (s *Server) currentUser(r *http.Request) (u store.User, ok bool, err error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return u, false, nil
	}
	u, err = s.db.SessionUser(r.Context(), tokenHash(c.Value), s.limits)
	if errors.Is(err, store.ErrNotFound) {
		return u, false, nil
	}
	return u, err == nil, err
}

// signedIn runs h for a signed-in user and sends a visitor to the sign-in
// page, which brings them back here afterwards (for a GET).
func (s *Server) signedIn(h userHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := s.currentUser(r)
		if err != nil {
			s.serverError(w, r, nil, err)
			return
		}
		if !ok {
			target := "/"
			if r.Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		h(w, r, u)
	})
}

// localPath is next if it is a path on this server, else /tasks: a
// sign-in link cannot send anyone to another site.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/tasks"
	}
	return next
}

// flash leaves msg for the next page this browser loads.
func (s *Server) flash(w http.ResponseWriter, r *http.Request, msg string) {
	http.SetCookie(w, s.cookie(r, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(msg)), "/", 60))
}

// takeFlash returns the message left for this page, once.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, s.cookie(r, flashCookie, "", "/", -1))
	msg, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return ""
	}
	return string(msg)
}
