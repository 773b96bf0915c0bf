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

// databaseStep: short Postgres reads and writes. Retries stay within seconds
// of each other, so the process resumes soon after the database returns.
func databaseStep(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        500 * time.Millisecond,
			BackoffCoefficient:     2,
			MaximumInterval:        5 * time.Second,
			NonRetryableErrorTypes: badDataErrors,
		},
	})
}

// notificationStep: messages to people; slower and rate limited, so they
// back off further.
func notificationStep(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        2 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: badDataErrors,
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
