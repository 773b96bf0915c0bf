package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/activities"
)

// a names activities for ExecuteActivity; its methods are never called on
// nil, only referred to.
var a *activities.Activities

// badDataErrors never heal by retrying.
var badDataErrors = []string{activities.ErrTypeOrderNotFound, activities.ErrTypeTaskNotFound, activities.ErrTypeInvalidInput}

// databaseStep: short Postgres reads and writes, run as local activities:
// in the worker, inside the workflow task, with the result recorded as a
// marker. That saves the task-queue round trips that made regular
// activities the bottleneck, and loses nothing: every write is idempotent,
// so re-running one after a crash is harmless. Retries stay within seconds
// of each other, so the process resumes soon after the database returns.
func databaseStep(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		// Unset, the SDK bounds all attempts by StartToCloseTimeout: a
		// database outage longer than 10 s would fail the workflow.
		ScheduleToCloseTimeout: databaseOutageBudget,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        500 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Second,
			NonRetryableErrorTypes: badDataErrors,
		},
	})
}

// databaseOutageBudget is how long database steps keep retrying before the
// workflow gives up on them; bad data fails at once, non-retryable.
const databaseOutageBudget = 24 * time.Hour

// queryStep: long read-only aggregation (the weekly report), a regular
// activity so it does not hold the workflow task open.
func queryStep(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        30 * time.Second,
			NonRetryableErrorTypes: badDataErrors,
		},
	})
}

// notificationStep: messages to people, external side effects, so regular
// activities. The provider call heartbeats, so a worker that dies in it is
// noticed within HeartbeatTimeout rather than the start-to-close timeout;
// the backoff stops near 10 s, so delivery resumes within seconds of a
// provider's recovery (a provider's Retry-After still overrides it, and
// refused credentials wait five minutes: notify.credentialsRetryDelay).
func notificationStep(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		HeartbeatTimeout:    5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        10 * time.Second,
			NonRetryableErrorTypes: badDataErrors,
		},
	})
}

// startStep: the sweep starting a page of per-order workflows through the
// Temporal client; it heartbeats after each chunk (and while it waits for
// the start window) so a retry resumes, and a worker that dies in it is
// noticed in seconds: the rest of the page waits for that.
func startStep(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    5 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}

// clockStep: the local activity that turns dates into instants in the
// business timezone, which workflow code cannot load itself.
func clockStep(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 5 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 5 * time.Second},
	})
}
