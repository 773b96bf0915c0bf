// Package fakes holds what the provider fakes (sendgridfake, twiliofake)
// share: a scripted queue of replies, the HTTP mechanics of answering
// badly on purpose (slowly, or not at all), and the record of the
// requests received.
package fakes

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Reply is how a fake answers one request.
type Reply struct {
	// Status is the HTTP status; 0 is the provider's success.
	Status int
	// Header is added to the answer, e.g. Retry-After.
	Header http.Header
	// Body replaces the provider-shaped body the fake writes otherwise.
	Body string
	// Delay holds the answer back. A delayed success still counts as
	// accepted, as a slow provider would have taken the message.
	Delay time.Duration
	// Drop closes the connection after reading the request, without an
	// answer. The message is not accepted.
	Drop bool
}

// Success reports whether the reply accepts the message.
func (r Reply) Success() bool { return !r.Drop && (r.Status == 0 || r.Status/100 == 2) }

// Status answers with an HTTP status and the provider's error body.
func Status(code int) Reply { return Reply{Status: code} }

// RateLimited answers 429 with a Retry-After of whole seconds.
func RateLimited(retryAfter time.Duration) Reply {
	return Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {strconv.Itoa(int(retryAfter.Seconds()))}}}
}

// Slow accepts the message but answers only after d.
func Slow(d time.Duration) Reply { return Reply{Delay: d} }

// Dropped closes the connection without answering.
func Dropped() Reply { return Reply{Drop: true} }

// Script is a queue of replies, one per request, in order; when it runs
// out, requests succeed.
type Script struct {
	mu      sync.Mutex
	replies []Reply
	// answering counts the answers being waited on or written.
	answering atomic.Int64
}

// InFlight is how many requests are being answered right now: a slow
// reply counts until it is written or the client gives up.
func (s *Script) InFlight() int { return int(s.answering.Load()) }

// Push queues replies for the next requests.
func (s *Script) Push(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
}

// Next takes the reply for the request at hand.
func (s *Script) Next() Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.replies) == 0 {
		return Reply{}
	}
	r := s.replies[0]
	s.replies = s.replies[1:]
	return r
}

// Answer writes reply, with status and body standing in for its zero
// Status and empty Body. It waits out Delay (or the client giving up) and
// drops the connection when asked to.
func (s *Script) Answer(w http.ResponseWriter, r *http.Request, reply Reply, status int, body string) {
	s.answering.Add(1)
	defer s.answering.Add(-1)
	if reply.Drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if reply.Status != 0 {
		status = reply.Status
	}
	if reply.Body != "" {
		body = reply.Body
	}
	for name, values := range reply.Header {
		w.Header()[name] = values
	}
	if body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// WithoutAuth copies h without its credentials, for recording.
func WithoutAuth(h http.Header) http.Header {
	out := h.Clone()
	out.Del("Authorization")
	return out
}
