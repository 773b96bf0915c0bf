// Package twiliofake is a fake Twilio Messages API on a local httptest
// server. The real twilio-go client talks to it once its HTTP transport
// sends api.twilio.com requests here; it records every request and answers
// as scripted.
package twiliofake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/acme/backorders/internal/testing/fakes"
)

// Twilio error codes the process reacts to.
const (
	CodeUnsubscribed  = 21610 // the recipient replied STOP
	CodeInvalidNumber = 21211
)

// Message is the form a message create sends, as far as the process uses it.
type Message struct {
	To             string
	From           string
	Body           string
	ValidityPeriod string
	StatusCallback string
}

// Request is one request the fake received and how it answered.
type Request struct {
	Method string
	Path   string
	// Header is without Authorization.
	Header  http.Header
	Form    url.Values
	Message Message
	// Accepted: answered 201; SID is the message SID given.
	Accepted bool
	SID      string
}

// Server is a running fake. Requests and Accepted list what it received.
type Server struct {
	fakes.Script
	*fakes.Recorder[Request]
	// URL is the base URL to hand the client (TWILIO_BASE_URL).
	URL                   string
	accountSID, authToken string
	srv                   *httptest.Server
}

// New starts a fake on 127.0.0.1 for one account; Close stops it (tests:
// t.Cleanup(fake.Close)).
func New(accountSID, authToken string) *Server {
	s := &Server{accountSID: accountSID, authToken: authToken,
		Recorder: fakes.NewRecorder(func(r Request) bool { return r.Accepted })}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the fake, waiting for the requests it is answering.
func (s *Server) Close() { s.srv.Close() }

// Error answers with an HTTP status and a Twilio error code.
func Error(status, code int) fakes.Reply {
	return fakes.Reply{Status: status, Body: errorBody(status, code)}
}

// Unsubscribed answers as Twilio does for a recipient who replied STOP.
func Unsubscribed() fakes.Reply { return Error(http.StatusBadRequest, CodeUnsubscribed) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: fakes.WithoutAuth(r.Header)}
	var reply fakes.Reply
	sid, token, _ := r.BasicAuth()
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+s.accountSID+"/Messages.json":
		reply = fakes.Status(http.StatusNotFound)
	case sid != s.accountSID || token != s.authToken:
		reply = Error(http.StatusUnauthorized, 20003)
	case r.ParseForm() != nil:
		reply = fakes.Status(http.StatusBadRequest)
	default:
		reply = s.Next()
	}
	rec.Form = r.PostForm
	rec.Message = Message{
		To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Body: r.PostForm.Get("Body"),
		ValidityPeriod: r.PostForm.Get("ValidityPeriod"), StatusCallback: r.PostForm.Get("StatusCallback"),
	}
	rec = s.Record(func(int) Request {
		rec.Accepted = reply.Success()
		if rec.Accepted {
			rec.SID = newSID()
		}
		return rec
	})

	if rec.Accepted {
		body, _ := json.Marshal(map[string]any{
			"sid": rec.SID, "account_sid": s.accountSID, "status": "queued",
			"to": rec.Message.To, "from": rec.Message.From, "body": rec.Message.Body, "num_segments": "1",
		})
		s.Answer(w, r, reply, http.StatusCreated, string(body))
		return
	}
	s.Answer(w, r, reply, reply.Status, errorBody(reply.Status, 20000+reply.Status))
}

// errorBody is Twilio's error shape.
func errorBody(status, code int) string {
	message := http.StatusText(status)
	switch code {
	case CodeUnsubscribed:
		message = "Attempt to send to unsubscribed recipient"
	case CodeInvalidNumber:
		message = "The 'To' number is not a valid phone number."
	case 20003:
		message = "Authenticate"
	}
	b, _ := json.Marshal(map[string]any{
		"code": code, "message": message, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
	return string(b)
}

func newSID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "SM" + hex.EncodeToString(b)
}
