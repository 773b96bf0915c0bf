package workflows

import (
	"os"
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
	dir := filepath.Join("testdata", "histories")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	replayed := 0
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			// It would sit here unreplayed, protecting nothing.
			t.Errorf("%s is not replayed: recorded histories are .json files directly in %s", filepath.Join(dir, e.Name()), dir)
			continue
		}
		file := filepath.Join(dir, e.Name())
		t.Run(strings.TrimSuffix(e.Name(), ".json"), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			// The workflows Register puts on the worker; activities are not
			// run on replay, their results come from the history.
			Register(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
		replayed++
	}
	require.NotZero(t, replayed, "no recorded histories in %s: record them (docs/development.md, \"Changing workflows safely\")", dir)
}
