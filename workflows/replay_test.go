package workflows

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayRecordedHistories replays every history recorded from a real
// run (internal/testing/e2e TestRecordHistories, -record-histories) against the
// workflow code as it is now. A change that would break workflows already
// running fails here with a nondeterminism error: put it behind
// workflow.GetVersion (docs/development.md, "Changing workflows safely").
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata/histories: record them (docs/development.md, \"Changing workflows safely\")")

	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			// The workflows Register puts on the worker; activities are not
			// run on replay, their results come from the history.
			Register(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}
