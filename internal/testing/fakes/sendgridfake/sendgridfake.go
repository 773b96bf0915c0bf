// Package sendgridfake is a fake SendGrid v3 mail send API on a local
// httptest server. The real sendgrid-go client talks to it (through the
// host argument of sendgrid.GetRequest); it records every request and
// answers as scripted.
package sendgridfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/acme/backorders/internal/testing/fakes"
)

// Path is where SendGrid takes mail.
const Path = "/v3/mail/send"

// Mail is the JSON body of a mail send, as far as the process uses it;
// spelled out from SendGrid's API, not borrowed from the client library.
type Mail struct {
	From             Address           `json:"from"`
	Subject          string            `json:"subject"`
	Personalizations []Personalization `json:"personalizations"`
	Content          []Content         `json:"content"`
	Attachments      []Attachment      `json:"attachments"`
	CustomArgs       map[string]string `json:"custom_args"`
}

// Address is an email address with an optional name.
type Address struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// Personalization is one set of recipients.
type Personalization struct {
	To []Address `json:"to"`
}

// Content is one body part.
type Content struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Attachment is one attached file; Content is base64.
type Attachment struct {
	Content     string `json:"content"`
	Type        string `json:"type"`
	Filename    string `json:"filename"`
	Disposition string `json:"disposition"`
	ContentID   string `json:"content_id"`
}

// Part returns the content of the given type ("text/plain", "text/html").
func (m Mail) Part(contentType string) string {
	for _, c := range m.Content {
		if c.Type == contentType {
			return c.Value
		}
	}
	return ""
}

// Request is one request the fake received and how it answered.
type Request struct {
	Method string
	Path   string
	// Header is without Authorization.
	Header http.Header
	Mail   Mail
	// Accepted: answered with success; MessageID is the X-Message-Id given.
	Accepted  bool
	MessageID string
}

// Server is a running fake. Requests and Accepted list what it received.
type Server struct {
	fakes.Script
	*fakes.Recorder[Request]
	// URL is the base URL to hand the client (SENDGRID_BASE_URL).
	URL    string
	apiKey string
	srv    *httptest.Server
}

// New starts a fake on 127.0.0.1 that accepts apiKey; Close stops it
// (tests: t.Cleanup(fake.Close)).
func New(apiKey string) *Server {
	s := &Server{apiKey: apiKey, Recorder: fakes.NewRecorder(func(r Request) bool { return r.Accepted })}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the fake, waiting for the requests it is answering.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: fakes.WithoutAuth(r.Header)}
	var reply fakes.Reply
	switch {
	case r.Method != http.MethodPost || r.URL.Path != Path:
		reply = fakes.Status(http.StatusNotFound)
	case r.Header.Get("Authorization") != "Bearer "+s.apiKey:
		reply = fakes.Status(http.StatusUnauthorized)
	case json.Unmarshal(raw, &rec.Mail) != nil:
		reply = fakes.Status(http.StatusBadRequest)
	default:
		reply = s.Next()
	}
	rec = s.Record(func(number int) Request {
		rec.Accepted = reply.Success()
		if rec.Accepted {
			rec.MessageID = fmt.Sprintf("sg-msg-%d", number)
		}
		return rec
	})

	if rec.Accepted {
		w.Header().Set("X-Message-Id", rec.MessageID)
		s.Answer(w, r, reply, http.StatusAccepted, "")
		return
	}
	s.Answer(w, r, reply, reply.Status, errorBody(reply.Status))
}

// errorBody is SendGrid's error shape.
func errorBody(status int) string {
	message := http.StatusText(status)
	if status == http.StatusUnauthorized {
		message = "The provided authorization grant is invalid, expired, or revoked"
	}
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"message": message, "field": nil, "help": nil}}})
	return string(b)
}
