// Package api is the JSON API for systems under /api/v1/: orders, tasks and
// backorders, behind bearer tokens with scopes (starter tokens create). It
// is described by openapi.json, served at /api/v1/openapi.json; a test
// holds the document and the routes below to each other. The actions go
// through internal/operations and the import's own validation, so the API
// keeps the same rules as the CLI and the web app.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// Deps is what the API needs from the server that mounts it.
type Deps struct {
	Ops    *operations.Service
	Store  *store.Store
	Config config.Config
}

// Prefix is where the API is mounted; the OpenAPI document's server URL.
const Prefix = "/api/v1"

// route is one operation: the OpenAPI document has it under the same
// method and path, with the same scope (x-scope) and, for a write that
// takes an Idempotency-Key, that header.
type route struct {
	method string
	path   string // below Prefix, in the document's {param} form (ServeMux's too)
	scope  Scope
	// idempotent: an Idempotency-Key header makes a retry safe.
	idempotent bool
	handle     handlerFunc
}

// handlerFunc answers a request of the token's caller with a status and a
// body to encode as JSON, or an error (see errorOf).
type handlerFunc func(r *http.Request, caller store.APIToken) (int, any, error)

// routes are every operation of the API.
func (a *api) routes() []route {
	return []route{
		{http.MethodPost, "/orders", ScopeOrdersWrite, true, a.upsertOrders},
		{http.MethodGet, "/orders/{order_id}", ScopeOrdersRead, false, a.getOrder},
		{http.MethodPost, "/orders/{order_id}/status", ScopeOrdersWrite, true, a.changeOrderStatus},
		{http.MethodGet, "/tasks", ScopeTasksRead, false, a.listTasks},
		{http.MethodPost, "/tasks/{task_id}/complete", ScopeTasksWrite, true, a.completeTask},
		{http.MethodGet, "/backorders", ScopeBackordersRead, false, a.listBackorders},
		{http.MethodGet, "/backorders/{order_id}", ScopeBackordersRead, false, a.getBackorder},
	}
}

type api struct {
	ops *operations.Service
	db  *store.Store
	cfg config.Config
}

// NewHandler serves the API under /api/v1/. The OpenAPI document is public;
// every other request needs a bearer token, checked before anything else,
// so a caller without one learns nothing, not even which routes exist.
func NewHandler(d Deps) http.Handler {
	a := &api{ops: d.Ops, db: d.Store, cfg: d.Config}
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+Prefix+rt.path, a.serve(rt))
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for path, methods := range allowed {
		mux.Handle(Prefix+path, methodNotAllowed(methods))
	}
	mux.Handle(Prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Code: codeNotFound,
			Message: fmt.Sprintf("no such route: %s %s (the routes are in %s/openapi.json)", r.Method, r.URL.Path, Prefix)})
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Prefix+"/openapi.json" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			serveDocument(w, r)
			return
		}
		caller, err := a.authenticate(r)
		if err != nil {
			writeError(w, err)
			return
		}
		mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller)))
	})
}

type callerKey struct{}

// serve runs one route for the authenticated caller: the scope, then the
// Idempotency-Key, then the handler.
func (a *api) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := r.Context().Value(callerKey{}).(store.APIToken)
		if err := authorize(caller, rt.scope); err != nil {
			writeError(w, err)
			return
		}
		if !rt.idempotent || r.Header.Get(IdempotencyKeyHeader) == "" {
			status, body := respond(rt.handle(r, caller))
			writeJSON(w, status, body)
			return
		}
		a.serveIdempotent(w, r, caller, rt.handle)
	})
}

// respond turns a handler's answer into the status and body to send.
func respond(status int, body any, err error) (int, []byte) {
	if err != nil {
		e := errorOf(err)
		if e.Status >= 500 {
			slog.Error("api: request failed", "status", e.Status, "err", err)
		}
		status, body = e.Status, errorBody{e}
	}
	out, err := json.Marshal(body)
	if err != nil {
		// Only the API's own types are encoded: a bug, not input.
		panic(fmt.Sprintf("api: encoding a response: %v", err))
	}
	return status, append(out, '\n')
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, err error) {
	e := errorOf(err)
	if e.Status == http.StatusUnauthorized {
		challenge := `Bearer realm="backorders"`
		if e.Code == codeBadToken {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	status, body := respond(0, nil, e)
	writeJSON(w, status, body)
}

// methodNotAllowed answers a known path asked with a method it does not
// take.
func methodNotAllowed(methods []string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
			Message: fmt.Sprintf("%s does not take %s: use %s", r.URL.Path, r.Method, allow)})
	})
}

// maxSmallBody bounds the body of a request other than an orders import,
// whose bound is the import's own.
const maxSmallBody = 64 << 10

// decodeBody reads a small JSON object into v, refusing unknown fields; an
// empty body is an empty object.
func decodeBody(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxSmallBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &Error{Status: http.StatusBadRequest, Code: codeInvalid,
			Message: fmt.Sprintf("the request body is larger than %d KiB", maxSmallBody>>10)}
	}
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: codeInvalid, Message: "reading the request body: " + err.Error()}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &Error{Status: http.StatusBadRequest, Code: codeInvalid,
			Message: "the request body is not the JSON object this route takes (see openapi.json): " + err.Error()}
	}
	if dec.More() {
		return &Error{Status: http.StatusBadRequest, Code: codeInvalid, Message: "the request body holds more than one JSON value"}
	}
	return nil
}
