package activities

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/contract"
)

// A notification step that fails on the database retries on the database
// schedule; a provider's error keeps its own type and delay.
func TestRetrySoonSchedulesDatabaseErrorsLikeDatabaseSteps(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	providerErr := temporal.NewApplicationErrorWithOptions("429", "ProviderUnavailable", temporal.ApplicationErrorOptions{NextRetryDelay: 7 * time.Second})
	env.RegisterActivityWithOptions(func(ctx context.Context, which string) error {
		if which == "provider" {
			return retrySoon(ctx, providerErr)
		}
		return retrySoon(ctx, errors.New("loading order SO-1: connection refused"))
	}, activity.RegisterOptions{Name: "Step"})

	_, err := env.ExecuteActivity("Step", "database")
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, contract.ErrTypeDatabaseUnavailable, appErr.Type())
	assert.Equal(t, 500*time.Millisecond, appErr.NextRetryDelay())
	assert.Contains(t, appErr.Error(), "connection refused")
	assert.False(t, appErr.NonRetryable())

	_, err = env.ExecuteActivity("Step", "provider")
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, "ProviderUnavailable", appErr.Type())
	assert.Equal(t, 7*time.Second, appErr.NextRetryDelay())

	assert.NoError(t, retrySoon(context.Background(), nil))
	plain := errors.New("outside an activity")
	assert.Same(t, plain, retrySoon(context.Background(), plain))
}

// wrapKeepingClass adds context without hiding an ApplicationError's class
// from the SDK, which reads it from the top of the chain only.
func TestWrapKeepingClass(t *testing.T) {
	plain := errors.New("connection refused")
	wrapped := wrapKeepingClass(plain, "emailing report %s", "2025-W10")
	assert.ErrorIs(t, wrapped, plain)
	assert.Equal(t, "emailing report 2025-W10: connection refused", wrapped.Error())

	provider := temporal.NewApplicationErrorWithOptions("SendGrid answered HTTP 429", "ProviderUnavailable",
		temporal.ApplicationErrorOptions{NextRetryDelay: 9 * time.Second})
	for _, err := range []error{provider, fmt.Errorf("deeper: %w", provider)} {
		got, ok := wrapKeepingClass(err, "emailing report %s", "2025-W10").(*temporal.ApplicationError)
		require.True(t, ok, "an ApplicationError at the top")
		assert.Equal(t, "ProviderUnavailable", got.Type())
		assert.Equal(t, 9*time.Second, got.NextRetryDelay())
		assert.False(t, got.NonRetryable())
		assert.Equal(t, "emailing report 2025-W10: SendGrid answered HTTP 429", got.Message())
	}
	final := temporal.NewNonRetryableApplicationError("bad address", "InvalidInput", nil)
	got, ok := wrapKeepingClass(final, "x").(*temporal.ApplicationError)
	require.True(t, ok)
	assert.True(t, got.NonRetryable())
	assert.Nil(t, wrapKeepingClass(nil, "x"))
}
