package notify

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// failureClass says what a failed provider call means for the message.
type failureClass int

const (
	// retryable: the provider took nothing (429, 5xx, no connection).
	retryable failureClass = iota
	// uncertain: the request went out and no answer came back (timeout,
	// dropped connection); the provider may have accepted it.
	uncertain
	// permanent: it will never be sent (other 4xx, bad recipient).
	permanent
	// unsubscribed: permanent, and the recipient must not be messaged
	// again (Twilio 21610).
	unsubscribed
	// refusedCredentials: 401/403. The provider took nothing; a key being
	// rotated, or a configuration to fix. Retried, slowly, and logged as an
	// error.
	refusedCredentials
)

// credentialsRetryDelay is how long a message waits after the provider
// refused the credentials: long enough not to hammer it, short enough
// that a rotated key lets the backlog through within minutes.
const credentialsRetryDelay = 5 * time.Minute

// maxRetryAfter caps a provider's Retry-After, so a bogus header cannot
// park a message for days.
const maxRetryAfter = 15 * time.Minute

// failure is a failed delivery. Its message ends up in the ledger, logs
// and Temporal history, so it never carries a credential.
type failure struct {
	class      failureClass
	msg        string
	retryAfter time.Duration
	// suppressed: the recipient is on the suppression list.
	suppressed bool
}

func (f *failure) Error() string { return f.msg }

// asFailure reads a provider's error; nil stays nil.
func asFailure(err error) *failure {
	var f *failure
	if err == nil || errors.As(err, &f) {
		return f
	}
	return &failure{class: retryable, msg: err.Error()}
}

// redacted removes secrets from the message: a provider or proxy may echo
// what it was sent.
func (f *failure) redacted(secrets ...string) *failure {
	f.msg = redact(f.msg, secrets...)
	return f
}

// redact removes each secret from s. A provider's own explanation goes
// through it before httpFailure shortens it: once cut, the end of a long
// message could hold the beginning of a secret that no longer matches.
func redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// httpFailure classifies an HTTP error answer; detail is the provider's
// own explanation.
func httpFailure(provider string, status int, header http.Header, detail string) *failure {
	msg := fmt.Sprintf("%s answered HTTP %d", provider, status)
	if detail != "" {
		msg += ": " + truncate(detail, 300)
	}
	switch {
	case status == http.StatusTooManyRequests:
		return &failure{class: retryable, msg: msg, retryAfter: retryAfter(header, time.Now())}
	case status >= 500:
		return &failure{class: retryable, msg: msg}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &failure{class: refusedCredentials, msg: msg + " (check the " + provider + " credentials)", retryAfter: credentialsRetryDelay}
	}
	return &failure{class: permanent, msg: msg}
}

// transportFailure classifies a call that got no answer: once the request
// was written, the provider may have the message.
func transportFailure(provider string, wrote bool, err error) *failure {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the URL names the account; the cause is what matters
	}
	if wrote {
		return &failure{class: uncertain, msg: fmt.Sprintf("no answer from %s after sending (%v); it may have accepted the message", provider, err)}
	}
	return &failure{class: retryable, msg: fmt.Sprintf("could not reach %s: %v", provider, err)}
}

// retryAfter reads how long a rate-limited client should wait: Retry-After
// (seconds or an HTTP date), else X-RateLimit-Reset (a Unix time); zero
// when neither says, leaving it to the retry policy.
func retryAfter(h http.Header, now time.Time) time.Duration {
	var d time.Duration
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil {
			d = time.Duration(secs) * time.Second
		} else if at, err := http.ParseTime(v); err == nil {
			d = at.Sub(now)
		}
	} else if v := h.Get("X-RateLimit-Reset"); v != "" {
		if unix, err := strconv.ParseInt(v, 10, 64); err == nil {
			d = time.Unix(unix, 0).Sub(now)
		}
	}
	return min(max(d, 0), maxRetryAfter)
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	// Cut between characters: half a UTF-8 sequence is not text PostgreSQL
	// stores.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
