package notify

import (
	"context"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"
)

// sharedTransport pools provider connections across sends; each send wraps
// it in its own exchange.
var sharedTransport http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()

// exchange is the HTTP transport of one provider call. It
//   - ties requests to the call's context (twilio-go makes its requests
//     without one), on top of the http.Client's own timeout;
//   - sends them to another host when one is configured (twilio-go has no
//     base-URL option);
//   - notes whether the request was written, after which a lost answer
//     means the provider may have the message, and the answer's status and
//     headers, which twilio-go drops from its errors.
type exchange struct {
	ctx     context.Context
	timeout time.Duration
	target  *url.URL // nil: wherever the SDK sends

	mu     sync.Mutex
	wrote  bool
	status int
	header http.Header
}

// client is an http.Client for one call through the exchange.
func (x *exchange) client() *http.Client {
	return &http.Client{
		Transport: x,
		Timeout:   x.timeout,
		// An API that redirects is misconfigured; following could resend.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (x *exchange) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	// Released when the call's context ends, after the body has been read.
	context.AfterFunc(x.ctx, func() { cancel(context.Cause(x.ctx)) })
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				x.mu.Lock()
				x.wrote = true
				x.mu.Unlock()
			}
		},
	})
	out := req.Clone(ctx)
	if x.target != nil {
		out.URL.Scheme, out.URL.Host = x.target.Scheme, x.target.Host
		out.URL.Path = strings.TrimSuffix(x.target.Path, "/") + out.URL.Path
		out.Host = ""
	}
	resp, err := sharedTransport.RoundTrip(out)
	if resp != nil {
		x.mu.Lock()
		x.status, x.header = resp.StatusCode, resp.Header
		x.mu.Unlock()
	}
	return resp, err
}

// answer is the status and headers of the last answer; status 0 when none
// came.
func (x *exchange) answer() (status int, header http.Header) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.status, x.header
}

func (x *exchange) requestWritten() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.wrote
}
