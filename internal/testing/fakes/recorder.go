package fakes

import "sync"

// Recorder keeps the requests a fake received, in order; it is safe for
// the fake's handlers to record while a test reads.
type Recorder[R any] struct {
	accepted func(R) bool

	mu       sync.Mutex
	requests []R
}

// NewRecorder records requests of type R; accepted says whether the
// provider took a request's message.
func NewRecorder[R any](accepted func(R) bool) *Recorder[R] {
	return &Recorder[R]{accepted: accepted}
}

// Record appends the request build returns. build runs under the
// recorder's lock and gets the request's number (1 for the first), so
// what it derives from the number follows the order of arrival.
func (r *Recorder[R]) Record(build func(number int) R) R {
	r.mu.Lock()
	defer r.mu.Unlock()
	req := build(len(r.requests) + 1)
	r.requests = append(r.requests, req)
	return req
}

// Requests returns every request received, in order.
func (r *Recorder[R]) Requests() []R {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]R(nil), r.requests...)
}

// Accepted returns the requests whose message was accepted.
func (r *Recorder[R]) Accepted() []R {
	var out []R
	for _, req := range r.Requests() {
		if r.accepted(req) {
			out = append(out, req)
		}
	}
	return out
}
