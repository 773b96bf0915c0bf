package api

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
)

// Scope is what a token lets its caller do; every route needs one.
type Scope string

// The scopes a token can carry (starter tokens create --scope).
const (
	ScopeOrdersRead     Scope = "orders:read"
	ScopeOrdersWrite    Scope = "orders:write"
	ScopeTasksRead      Scope = "tasks:read"
	ScopeTasksWrite     Scope = "tasks:write"
	ScopeBackordersRead Scope = "backorders:read"
)

// Scopes are all of them, in the order the help lists them.
var Scopes = []Scope{ScopeOrdersRead, ScopeOrdersWrite, ScopeTasksRead, ScopeTasksWrite, ScopeBackordersRead}

// Allows says what the scope lets a caller do.
func (s Scope) Allows() string {
	switch s {
	case ScopeOrdersRead:
		return "read an order and its lines"
	case ScopeOrdersWrite:
		return "create and update orders with their lines; mark them Fulfilled or Cancelled"
	case ScopeTasksRead:
		return "list human tasks"
	case ScopeTasksWrite:
		return "complete human tasks"
	case ScopeBackordersRead:
		return "list open backorders; read an order's backorder workflow state"
	}
	return ""
}

// ParseScopes reads a comma-separated list of scopes, each at most once.
func ParseScopes(list string) ([]Scope, error) {
	var out []Scope
	for part := range strings.SplitSeq(list, ",") {
		s := Scope(strings.TrimSpace(part))
		if s == "" {
			continue
		}
		if !slices.Contains(Scopes, s) {
			return nil, fmt.Errorf("%q is not a scope: use %s", s, scopeNames())
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no scope given: use one or more of %s, separated by commas", scopeNames())
	}
	return out, nil
}

// ScopeNames are the scopes as strings, as a token stores them.
func ScopeNames(scopes []Scope) []string {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	return names
}

func scopeNames() string { return strings.Join(ScopeNames(Scopes), ", ") }

// tokenPrefix marks the API's tokens, so a secret scanner (or a person)
// can tell one in a leaked file.
const tokenPrefix = "bko_"

// NewToken makes a token: 256 random bits, and the hash that is stored in
// its place.
func NewToken() (token string, hash []byte) {
	token = tokenPrefix + rand.Text() + rand.Text()
	return token, HashToken(token)
}

// HashToken is what is stored for a token, and looked up for a bearer.
// A plain SHA-256 suffices: the token is random, not a password to guess.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
