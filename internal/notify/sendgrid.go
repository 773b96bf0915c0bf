package notify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	"github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/acme/backorders/internal/address"
)

// SendGrid delivers email through SendGrid's v3 mail send API with the
// sendgrid-go library. It builds a request per send: the library's shared
// Client holds the body of the send in flight, so sends from several
// activities at once would race on it.
type SendGrid struct {
	apiKey string
	from   *mail.Email
	// host replaces https://api.sendgrid.com when set.
	host    string
	timeout time.Duration
}

// SendGridOptions configures a SendGrid provider.
type SendGridOptions struct {
	APIKey string
	From   string
	// BaseURL is the API host (a regional relay, a fake); empty is
	// SendGrid's own.
	BaseURL string
	// Timeout bounds one call; zero is DefaultTimeout.
	Timeout time.Duration
}

// NewSendGrid makes a SendGrid provider.
func NewSendGrid(o SendGridOptions) *SendGrid {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return &SendGrid{apiKey: o.APIKey, from: mail.NewEmail("", o.From), host: strings.TrimSuffix(o.BaseURL, "/"), timeout: o.Timeout}
}

// Name implements Provider.
func (*SendGrid) Name() string { return "SendGrid" }

// CheckRecipient implements Provider.
func (*SendGrid) CheckRecipient(recipient string) error { return address.Email(recipient) }

// Deliver implements Provider: one POST /v3/mail/send, not retried here
// (the library's retry helper sleeps inside the activity and gives up with
// a bare error; Temporal retries instead, at the provider's pace).
func (s *SendGrid) Deliver(ctx context.Context, n Message) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	x := &exchange{ctx: ctx, timeout: s.timeout}
	req := sendgrid.GetRequest(s.apiKey, "/v3/mail/send", s.host)
	req.Method = rest.Post
	req.Body = mail.GetRequestBody(s.message(n))
	resp, err := (&rest.Client{HTTPClient: x.client()}).SendWithContext(ctx, req)
	switch {
	case resp != nil && resp.StatusCode/100 == 2:
		// Accepted, even if reading the rest of the answer failed.
		return http.Header(resp.Headers).Get("X-Message-Id"), nil
	case err != nil:
		return "", transportFailure(s.Name(), x.requestWritten(), err).redacted(s.apiKey, n.Recipient)
	}
	// SendGrid, or a proxy, may echo the key or the address it was sent.
	return "", httpFailure(s.Name(), resp.StatusCode, resp.Headers, redact(sendGridErrors(resp.Body), s.apiKey, n.Recipient)).redacted(s.apiKey, n.Recipient)
}

// message is the mail: both parts, attachments, and the ledger key in
// custom_args, which SendGrid hands back with every delivery event.
func (s *SendGrid) message(n Message) *mail.SGMailV3 {
	m := mail.NewV3Mail()
	m.SetFrom(s.from)
	m.Subject = n.Subject
	p := mail.NewPersonalization()
	p.AddTos(mail.NewEmail("", n.Recipient))
	m.AddPersonalizations(p)
	// SendGrid wants text/plain before text/html.
	m.AddContent(mail.NewContent("text/plain", n.Body))
	if n.HTMLBody != "" {
		m.AddContent(mail.NewContent("text/html", n.HTMLBody))
	}
	for _, a := range n.Attachments {
		att := mail.NewAttachment().
			SetContent(base64.StdEncoding.EncodeToString(a.Content)).
			SetType(a.ContentType).
			SetFilename(a.Filename).
			SetDisposition("attachment")
		if a.Inline {
			att.SetDisposition("inline").SetContentID(a.ContentID)
		}
		m.AddAttachment(att)
	}
	m.SetCustomArg("ledger_key", n.Key)
	return m
}

// sendGridErrors joins the messages of SendGrid's error body, or returns
// the body as it is when it is not one.
func sendGridErrors(body string) string {
	var e struct {
		Errors []struct {
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || len(e.Errors) == 0 {
		return body
	}
	msgs := make([]string, len(e.Errors))
	for i, m := range e.Errors {
		msgs[i] = m.Message
		if m.Field != "" {
			msgs[i] = m.Field + ": " + m.Message
		}
	}
	return strings.Join(msgs, "; ")
}
