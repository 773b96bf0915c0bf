package web

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"time"

	"github.com/acme/backorders/internal/store"
)

// Sign-in with a local account, its throttle, and sign-out.

// signInPage is the sign-in form.
type signInPage struct {
	Username string
	Next     string
	Error    string
	// SSO: single sign-on is offered too.
	SSO bool
}

// home is the sign-in page for a visitor; a signed-in user goes to their
// tasks.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	_, ok, err := s.currentUser(r)
	if err != nil {
		s.serverError(w, r, nil, err)
		return
	}
	if ok {
		http.Redirect(w, r, "/tasks", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signin", nil, "Sign in", signInPage{Next: r.URL.Query().Get("next"), SSO: s.sso != nil})
}

// throttleKeys are what wrong passwords are counted against: the username
// tried, and the client's address (with a proxy in front, the proxy's).
func throttleKeys(r *http.Request, username string) []string {
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	return []string{"user:" + username, "client:" + client}
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	username, password, next := r.PostFormValue("username"), r.PostFormValue("password"), r.PostFormValue("next")
	page := signInPage{Username: username, Next: next, SSO: s.sso != nil}
	refuse := func(status int, msg string) {
		page.Error = msg
		s.render(w, r, status, "signin", nil, "Sign in", page)
	}
	if username == "" || password == "" {
		refuse(http.StatusUnprocessableEntity, "Enter your username and your password.")
		return
	}
	ctx := r.Context()
	var u store.User
	attempt, err := s.db.AttemptSignIn(ctx, s.throttle, throttleKeys(r, username), func() (bool, error) {
		var err error
		u, err = s.db.UserByName(ctx, username)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		// No such user, or one who signs in through single sign-on only:
		// the decoy takes the time a real check takes and matches nothing,
		// so a wrong name reads as a wrong password.
		hash := u.PasswordHash
		if hash == "" {
			hash = decoyHash()
		}
		return PasswordMatches(hash, password) && u.PasswordHash != "", nil
	})
	switch {
	case err != nil:
		s.serverError(w, r, nil, err)
		return
	case attempt.Busy:
		refuse(http.StatusTooManyRequests, "Another sign-in for this username or from this address is being checked: try again in a moment.")
		return
	case !attempt.OK && !attempt.LockedUntil.IsZero():
		msg := s.pausedMessage(attempt.LockedUntil)
		if attempt.Checked {
			msg = "Wrong username or password. " + msg
		}
		refuse(http.StatusTooManyRequests, msg)
		return
	case !attempt.OK:
		refuse(http.StatusUnauthorized, "Wrong username or password.")
		return
	}
	if err := s.startSession(w, r, u.Username); err != nil {
		s.serverError(w, r, nil, err)
		return
	}
	s.log.Info("signed in", "user", u.Username, "role", u.Role)
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
}

// pausedMessage says sign-in is refused until until, and for how long.
func (s *Server) pausedMessage(until time.Time) string {
	minutes := int(math.Ceil(time.Until(until).Minutes()))
	return fmt.Sprintf("Too many wrong passwords in a row: sign-in for this username or from this address is paused until %s (about %d min). "+
		"Ask an admin to reset your password if you have lost it.", until.In(s.cfg.Location).Format("15:04 MST"), max(minutes, 1))
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.db.EndSession(r.Context(), tokenHash(c.Value)); err != nil {
			s.serverError(w, r, nil, err)
			return
		}
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, "", "/", -1))
	s.flash(w, r, "You are signed out.")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
