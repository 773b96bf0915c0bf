package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// Error is the API's answer to a request it did not carry out, sent as
// {"error": {...}}: a code a program can switch on, a message for a
// person that says what to do, the request field it is about ("" for the
// whole request), and, for a rejected orders import, every problem.
type Error struct {
	Status   int       `json:"-"`
	Code     string    `json:"code"`
	Message  string    `json:"message"`
	Field    string    `json:"field"`
	Problems []Problem `json:"problems,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Problem is one thing wrong with an orders import, with the JSON path of
// the field it is about ("" when it is about the whole body).
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type errorBody struct {
	Error *Error `json:"error"`
}

// The error codes (documented in openapi.json and docs/api.md).
const (
	codeInvalid          = "invalid"       // 400: the request does not parse or breaks a rule of its form
	codeNoToken          = "unauthorized"  // 401: no bearer token
	codeBadToken         = "invalid_token" // 401: a token that is not (or no longer) valid
	codeForbidden        = "forbidden"     // 403: the token lacks the route's scope
	codeNotFound         = "not_found"     // 404
	codeRefused          = "refused"       // 409 or 422: a rule of the process said no; nothing was changed
	codeKeyReused        = "idempotency_key_reused"
	codeKeyInProgress    = "idempotency_key_in_progress"
	codeUnavailable      = "unavailable" // 503: PostgreSQL or Temporal failed; retry
	codeMethodNotAllowed = "method_not_allowed"
)

// errorOf maps a handler's error to its answer: the API's own *Error as
// it is; the import's problems as 400; the operations' not found, refused
// and invalid as 404, 409 (422 when about a field) and 400; anything else,
// a failure of PostgreSQL or Temporal, as 503 with its message, which
// says what was and was not changed.
func errorOf(err error) *Error {
	var (
		own      *Error
		rejected *store.ValidationError
		notFound *operations.NotFoundError
		refused  *operations.RefusedError
		invalid  *operations.InvalidError
	)
	switch {
	case errors.As(err, &own):
		return own
	case errors.As(err, &rejected):
		// The first line counts the problems; each is in Problems.
		summary, _, _ := strings.Cut(rejected.Error(), "\n")
		if rejected.Note != "" {
			summary += "; " + rejected.Note
		}
		e := &Error{Status: http.StatusBadRequest, Code: codeInvalid, Message: summary, Problems: problems(rejected.Problems)}
		if len(e.Problems) == 1 {
			e.Field = e.Problems[0].Field
		}
		return e
	case errors.As(err, &notFound):
		return &Error{Status: http.StatusNotFound, Code: codeNotFound, Message: notFound.Error()}
	case errors.As(err, &refused):
		status := http.StatusConflict
		if refused.Field != "" {
			status = http.StatusUnprocessableEntity
		}
		return &Error{Status: status, Code: codeRefused, Message: refused.Reason, Field: refused.Field}
	case errors.As(err, &invalid):
		return &Error{Status: http.StatusBadRequest, Code: codeInvalid, Message: invalid.Reason, Field: invalid.Field}
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: codeUnavailable, Message: oneLine(err.Error())}
}

// problems splits the import's "path: message" lines; a line about the
// whole body ("malformed JSON at line 1, ...") has no path.
func problems(lines []string) []Problem {
	out := make([]Problem, len(lines))
	for i, line := range lines {
		out[i] = Problem{Message: line}
		if path, msg, ok := strings.Cut(line, ": "); ok && !strings.ContainsAny(path, " \t") {
			out[i] = Problem{Field: path, Message: msg}
		}
	}
	return out
}

// oneLine joins a multi-line message (an import's listing) into one.
func oneLine(s string) string {
	var parts []string
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}
