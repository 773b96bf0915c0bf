package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/contract"
)

// The option builders: each returns ctx with the options of one kind of
// activity and the summary the Web UI shows for the step (user metadata,
// kept in the history: never an email address or phone number). Workflows
// execute activities by their contract names (contract.Activity...), in a
// context from one of these.

// withDatabaseOptions: short Postgres reads and writes, run as local
// activities: in the worker, inside the workflow task, with the result
// recorded as a marker. That saves the task-queue round trips that made
// regular activities the bottleneck, and loses nothing: every write is
// idempotent, so re-running one after a crash is harmless. Retries stay
// within seconds of each other, so the process resumes soon after the
// database returns.
func withDatabaseOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: 10 * time.Second,
		// Unset, the SDK bounds all attempts by StartToCloseTimeout: a
		// database outage longer than 10 s would fail the workflow.
		ScheduleToCloseTimeout: databaseOutageBudget,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        500 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Second,
			NonRetryableErrorTypes: contract.BadDataErrorTypes,
		},
	})
}

// databaseOutageBudget is how long database steps keep retrying before the
// workflow gives up on them; bad data fails at once, non-retryable.
const databaseOutageBudget = 24 * time.Hour

// withLongDatabaseOptions: long database work (the weekly report's
// aggregation, and storing it), regular activities so they do not hold the
// workflow task open.
func withLongDatabaseOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: contract.BadDataErrorTypes,
		},
	})
}

// withNotificationOptions: messages to people, external side effects, so
// regular activities. The provider call heartbeats, so a worker that dies
// in it is noticed within HeartbeatTimeout rather than the start-to-close
// timeout; the backoff stops near 10 s, so delivery resumes within seconds
// of a provider's recovery (a provider's Retry-After still overrides it,
// and refused credentials wait five minutes: notify.credentialsRetryDelay).
func withNotificationOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: 30 * time.Second,
		HeartbeatTimeout:    5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        10 * time.Second,
			NonRetryableErrorTypes: contract.BadDataErrorTypes,
		},
	})
}

// withStartOptions: the sweep starting a page of per-order workflows
// through the Temporal client; it heartbeats after each chunk (and while
// it waits for the start window) so a retry resumes, and a worker that
// dies in it is noticed in seconds: the rest of the page waits for that.
func withStartOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}

// withClockOptions: the local activities that turn dates into instants in
// the business timezone, which workflow code cannot load itself.
func withClockOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:             summary,
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 5 * time.Second},
	})
}
