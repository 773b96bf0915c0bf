package operations

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// A validator's wrapped Go error reaches the client as an ApplicationError
// whose Error() adds the SDK's "(type: ..., retryable: ...)" and the cause
// again; the user reads the workflow's message only.
func TestClassifyUpdateErrors(t *testing.T) {
	fc := temporal.GetDefaultFailureConverter()
	errDone := errors.New("already completed")
	validatorRefusal := fc.FailureToError(fc.ErrorToFailure(fmt.Errorf("task T-9: %w", errDone)))
	assert.Contains(t, validatorRefusal.Error(), "retryable", "the SDK decorates the message; this test relies on it")

	for _, tc := range []struct {
		name   string
		err    error
		want   updateOutcome
		reason string
	}{
		{"no error", nil, updateDone, ""},
		{"validator refusal", validatorRefusal, updateRefused, "task T-9: already completed"},
		{"wrapped refusal", fmt.Errorf("update: %w", temporal.NewApplicationError("ETA 2026-11-20 is not after today", "Refused")), updateRefused, "ETA 2026-11-20 is not after today"},
		{"workflow not running", serviceerror.NewNotFound("workflow execution already completed"), updateNoWorkflow, "workflow execution already completed"},
		{"server unavailable", serviceerror.NewUnavailable("connection refused"), updateUnreachable, "connection refused"},
		{"no worker answered", client.NewWorkflowUpdateServiceTimeoutOrCanceledError(serviceerror.NewDeadlineExceeded("context deadline exceeded")), updateTimedOut, "Timeout"},
		{"own deadline", fmt.Errorf("polling: %w", context.DeadlineExceeded), updateTimedOut, "deadline exceeded"},
		{"anything else", serviceerror.NewPermissionDenied("not allowed", ""), updateFailed, "not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := classifyUpdate(tc.err)
			assert.Equal(t, tc.want, got)
			assert.Contains(t, reason, tc.reason)
			if tc.want == updateRefused {
				assert.Equal(t, tc.reason, reason, "the workflow's message, undecorated")
			}
		})
	}
}
