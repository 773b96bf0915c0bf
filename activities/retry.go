package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// ErrTypeDatabaseUnavailable is the retryable error type of a notification
// step that failed on the database (loading the order, the ledger) rather
// than on the provider.
const ErrTypeDatabaseUnavailable = "DatabaseUnavailable"

// retrySoon gives a notification step's error that is not the provider's
// the database steps' retry schedule (0.5 s doubling to 5 s) instead of the
// notification policy's backoff to a minute: without it, a message held up
// by a 30 s database outage waited another 30 s after the database was back
// (found by the db-outage fault drill, internal/chaos). Provider errors
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
	return temporal.NewApplicationErrorWithOptions(err.Error(), ErrTypeDatabaseUnavailable,
		temporal.ApplicationErrorOptions{NextRetryDelay: delay})
}
