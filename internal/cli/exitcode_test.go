package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/api/serviceerror"

	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// The errors the commands meet, sorted into the documented exit codes.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"anything else", errors.New("boom"), exitFailed},
		{"a bad flag value", badValue("--status %q: use open, done or obsolete", "maybe"), exitUsage},
		{"an operation's bad input", fmt.Errorf("x: %w", &operations.InvalidError{Field: "eta", Reason: "not a date"}), exitUsage},
		{"an unknown order", &operations.NotFoundError{What: "order", ID: "SO-1", Hint: "check"}, exitNotFound},
		{"a stored row not found", fmt.Errorf("no notification has key %q: %w", "K", store.ErrNotFound), exitNotFound},
		{"Temporal's not found", fmt.Errorf("query: %w", serviceerror.NewNotFound("workflow not found")), exitNotFound},
		{"a namespace not found while dialling", &unreachableError{err: fmt.Errorf("cannot reach Temporal: %w", serviceerror.NewNotFound("namespace x not found"))}, exitFailed},
		{"a rule", &operations.RefusedError{Reason: "already Fulfilled"}, exitRefused},
		{"a status guard in the store", &store.StatusRefusedError{OrderID: "SO-1", Status: "Cancelled"}, exitRefused},
		{"a rejected import", &store.ValidationError{Problems: []string{"orders[0].id: missing"}}, exitRefused},
		{"not resendable", fmt.Errorf("resending: %w", store.ErrNotResendable), exitRefused},
	} {
		assert.Equal(t, tc.want, exitCode(tc.err), tc.name)
	}
}
