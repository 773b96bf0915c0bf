package bench

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Kinds of step in a workflow's shape.
const (
	stepActivity      = "activity"
	stepLocalActivity = "local_activity"
	stepUpsert        = "upsert"
)

// CalibrationInput is the shape of the real per-order workflow up to
// awaiting_fulfillment, read from a recorded history: its activities, local
// activities and search-attribute upserts, in order.
type CalibrationInput struct {
	Steps []string `json:"steps"`
}

// CalibrationWorkflow replays that shape with no-op steps: the most Temporal
// on this machine can do for it, the ceiling the real thing is held to.
func CalibrationWorkflow(ctx workflow.Context, in CalibrationInput) error {
	retry := &temporal.RetryPolicy{InitialInterval: 500 * time.Millisecond, MaximumInterval: 5 * time.Second}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second, RetryPolicy: retry})
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second, RetryPolicy: retry})
	stage := temporal.NewSearchAttributeKeyKeyword("BackorderStage")
	for _, step := range in.Steps {
		var err error
		switch step {
		case stepActivity:
			err = workflow.ExecuteActivity(actx, Noop).Get(ctx, nil)
		case stepLocalActivity:
			err = workflow.ExecuteLocalActivity(lctx, Noop).Get(ctx, nil)
		case stepUpsert:
			err = workflow.UpsertTypedSearchAttributes(ctx, stage.ValueSet("calibration"))
		default:
			err = temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown step %q", step), "InvalidInput", nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Noop is the calibration's activity and local activity.
func Noop(context.Context) error { return nil }
