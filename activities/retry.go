package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/contract"
)

// retrySoon gives a notification step's error that is not the provider's
// the database steps' retry schedule (0.5 s doubling to 5 s) instead of the
// notification policy's backoff to a minute: without it, a message held up
// by a 30 s database outage waited another 30 s after the database was back
// (found by the db-outage fault drill, internal/testing/chaos). Provider errors
// (ProviderUnavailable, with the provider's Retry-After) and bad data are
// application errors and pass unchanged, as does anything outside an
// activity.
func retrySoon(ctx context.Context, err error) error {
	var appErr *temporal.ApplicationError
	if err == nil || errors.As(err, &appErr) || !activity.IsActivity(ctx) {
		return err
	}
	attempt := max(activity.GetInfo(ctx).Attempt, 1)
	delay := min(500*time.Millisecond<<min(attempt-1, 4), 5*time.Second)
	return temporal.NewApplicationErrorWithOptions(err.Error(), contract.ErrTypeDatabaseUnavailable,
		temporal.ApplicationErrorOptions{NextRetryDelay: delay})
}

// wrapKeepingClass prefixes err's message with what was being done. When
// err is or wraps a *temporal.ApplicationError (a provider's
// ProviderUnavailable with its Retry-After, a non-retryable failure), the
// result is an ApplicationError of the same type, retryability, category
// and next retry delay carrying the longer message: the SDK reads an
// activity error's class from the top of the chain only (a type switch in
// the failure converter, a type assertion for the retry delay of local
// activities), so fmt.Errorf("...: %w", err) would hand Temporal a
// retryable "wrapError" with no delay. Other errors are wrapped with %w.
func wrapKeepingClass(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	prefix := fmt.Sprintf(format, args...)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	cause := appErr.Unwrap()
	if appErr.HasDetails() {
		// Details cannot be copied without decoding them: keep the original
		// error as the cause, where errors.As and Details still find them.
		cause = appErr
	}
	return temporal.NewApplicationErrorWithOptions(prefix+": "+appErr.Message(), appErr.Type(), temporal.ApplicationErrorOptions{
		NonRetryable:   appErr.NonRetryable(),
		Cause:          cause,
		NextRetryDelay: appErr.NextRetryDelay(),
		Category:       appErr.Category(),
	})
}
