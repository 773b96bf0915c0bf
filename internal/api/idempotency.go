package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/acme/backorders/internal/importer"
	"github.com/acme/backorders/internal/store"
)

// IdempotencyKeyHeader names the header that makes a write safe to retry:
// the same key with the same request gets the first answer again, without
// acting twice; the same key with another request is refused.
const IdempotencyKeyHeader = "Idempotency-Key"

// maxIdempotencyKey bounds a key's length (a UUID is 36).
const maxIdempotencyKey = 255

// ReplayedHeader is set on an answer repeated for a retry.
const ReplayedHeader = "Idempotent-Replayed"

// serveIdempotent runs a write under its Idempotency-Key: it claims the
// key for this request (method, path and body), runs the handler and saves
// its answer; a retry gets the saved answer. A failure of PostgreSQL or
// Temporal (5xx) is not saved, so a retry runs the request again.
func (a *api) serveIdempotent(w http.ResponseWriter, r *http.Request, caller store.APIToken, handle handlerFunc) {
	key := r.Header.Get(IdempotencyKeyHeader)
	if len(key) > maxIdempotencyKey || !printableASCII(key) {
		writeError(w, &Error{Status: http.StatusBadRequest, Code: codeInvalid, Field: IdempotencyKeyHeader,
			Message: fmt.Sprintf("%s must be 1 to %d printable ASCII characters (a UUID will do)", IdempotencyKeyHeader, maxIdempotencyKey)})
		return
	}
	// The orders import is the largest body a route takes; the importer
	// itself reports one over its limit.
	body, err := io.ReadAll(io.LimitReader(r.Body, importer.MaxFileBytes+1))
	if err != nil {
		writeError(w, &Error{Status: http.StatusBadRequest, Code: codeInvalid, Message: "reading the request body: " + err.Error()})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	hash := sha256.New()
	fmt.Fprintf(hash, "%s %s\n", r.Method, r.URL.Path)
	hash.Write(body)

	claim, err := a.db.ClaimIdempotencyKey(r.Context(), caller.Name, key, hash.Sum(nil))
	if err != nil {
		writeError(w, err)
		return
	}
	switch claim.Outcome {
	case store.KeyAnswered:
		w.Header().Set(ReplayedHeader, "true")
		writeJSON(w, claim.Status, claim.Body)
		return
	case store.KeyInProgress:
		writeError(w, &Error{Status: http.StatusConflict, Code: codeKeyInProgress, Field: IdempotencyKeyHeader,
			Message: fmt.Sprintf("a request with %s %q is still running: retry in a few seconds", IdempotencyKeyHeader, key)})
		return
	case store.KeyReused:
		writeError(w, &Error{Status: http.StatusUnprocessableEntity, Code: codeKeyReused, Field: IdempotencyKeyHeader,
			Message: fmt.Sprintf("%s %q was used for a different request (another route or body): use a new key for each request, and the same key only to retry it", IdempotencyKeyHeader, key)})
		return
	}

	status, answer := respond(handle(r, caller))
	// The answer is kept, or the key let go, even when the caller has
	// hung up: a retry must find one or the other.
	ctx := context.WithoutCancel(r.Context())
	if status >= 500 {
		err = a.db.ReleaseIdempotencyKey(ctx, caller.Name, key)
	} else {
		err = a.db.SaveIdempotentAnswer(ctx, caller.Name, key, status, answer)
	}
	if err != nil {
		// The request was carried out; a retry within the claim's lease is
		// told it is in progress, and after it runs again.
		slog.Error("api: recording the answer to an idempotency key", "err", err)
	}
	writeJSON(w, status, answer)
}

func printableASCII(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
