package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/acme/backorders/internal/store"
)

// authenticate finds the token of the request's "Authorization: Bearer"
// header. Only its hash is looked up, so the comparison with the stored
// tokens leaks nothing of them through timing.
func (a *api) authenticate(r *http.Request) (store.APIToken, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return store.APIToken{}, &Error{Status: http.StatusUnauthorized, Code: codeNoToken,
			Message: "this route needs a bearer token: send \"Authorization: Bearer TOKEN\" with a token from `starter tokens create`"}
	}
	caller, err := a.db.APITokenByHash(r.Context(), HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return caller, &Error{Status: http.StatusUnauthorized, Code: codeBadToken,
			Message: "the bearer token is not valid (mistyped, or revoked): ask for one made with `starter tokens create`"}
	}
	return caller, err
}

// authorize refuses a caller whose token lacks scope.
func authorize(caller store.APIToken, scope Scope) error {
	if slices.Contains(caller.Scopes, string(scope)) {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Code: codeForbidden,
		Message: fmt.Sprintf("token %s lacks the scope %s that this route needs (it has %s): make a token with --scope %s",
			caller.Name, scope, strings.Join(caller.Scopes, ", "), scope)}
}
