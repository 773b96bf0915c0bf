package bench

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// recorded reads a history recorded from a real run (workflows/testdata).
func recorded(t *testing.T, name string) []*historypb.HistoryEvent {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "workflows", "testdata", "histories", name+".json"))
	require.NoError(t, err)
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	return h.GetEvents()
}

// A run from before lifecycle-2026-11 waited for each notice: its
// activities are awaited, one timer parks it.
func TestShapeOfAwaitedNotices(t *testing.T) {
	sh, err := shapeOf(recorded(t, "legacy_backorder_fulfilled"))
	require.NoError(t, err)
	assert.Equal(t, "local_activity, upsert, local_activity x5, activity, local_activity x2, activity, local_activity x2, upsert"+
		" | park: 1 timers | local_activity, upsert", sh.String())
	assert.Equal(t, 1, sh.Timers)
	for _, s := range sh.Steps {
		if s.Kind == stepActivity {
			assert.Positive(t, s.StartToClose, "the activity's timeout as scheduled")
		}
	}
}

// Since lifecycle-2026-11 notices go beside the other steps; GetVersion's
// own upsert belongs to its version step; the start's summary comes along.
func TestShapeOfNoticesBeside(t *testing.T) {
	for _, history := range []string{"lifecycle2_backorder_cancelled", "backorder_cancelled"} {
		sh, err := shapeOf(recorded(t, history))
		require.NoError(t, err, history)
		assert.Equal(t, stepVersion, sh.Steps[0].Kind, history)
		kinds := map[string]int{}
		for _, s := range sh.Steps {
			kinds[s.Kind]++
		}
		assert.Equal(t, 1, kinds[stepActivityBeside], "%s: the customer email, beside: %s", history, sh)
		assert.Zero(t, kinds[stepActivity], "%s: nothing awaited: %s", history, sh)
		assert.Equal(t, 2, sh.Timers, history)
		assert.Equal(t, []Step{{Kind: stepLocalActivity}, {Kind: stepUpsert}}, sh.Close, history)
	}
	sh, err := shapeOf(recorded(t, "backorder_cancelled"))
	require.NoError(t, err)
	assert.NotEmpty(t, sh.Summary, "the start's summary")
}

// A notice with nothing to wait for after it goes when the workflow waits,
// after its timers: the twin's last step, which goes at the same moment.
func TestShapeOfANoticeAfterTheTimers(t *testing.T) {
	events := recorded(t, "lifecycle2_backorder_cancelled")
	// Move the customer email's schedule after the timers, as a run that
	// tells the customer last records it.
	scheduled, timers := -1, -1
	for i, e := range events {
		switch {
		case e.GetActivityTaskScheduledEventAttributes() != nil:
			scheduled = i
		case e.GetTimerStartedEventAttributes() != nil:
			timers = i
		}
		if timers >= 0 && e.GetTimerStartedEventAttributes() == nil {
			break
		}
	}
	require.Positive(t, scheduled)
	require.Greater(t, timers, scheduled)
	moved := slices.Clone(events[:scheduled])
	moved = append(moved, events[scheduled+1:timers+1]...)
	moved = append(moved, events[scheduled])
	moved = append(moved, events[timers+1:]...)
	sh, err := shapeOf(moved)
	require.NoError(t, err)
	last := sh.Steps[len(sh.Steps)-1]
	assert.Equal(t, stepActivityBeside, last.Kind, "%s", sh)
	assert.Positive(t, last.StartToClose, "its timeout as scheduled")
}

// An update is not a step the twin replays: refused, never skipped.
func TestShapeOfRefusesWhatTheTwinCannotReplay(t *testing.T) {
	_, err := shapeOf(recorded(t, "backorder_task_completed_new_eta"))
	assert.ErrorContains(t, err, "WorkflowExecutionUpdateAccepted is not a step the twin replays")

	events := recorded(t, "backorder_cancelled")
	var unsignalled []*historypb.HistoryEvent
	for _, e := range events {
		if e.GetWorkflowExecutionSignaledEventAttributes() != nil {
			break
		}
		unsignalled = append(unsignalled, e)
	}
	_, err = shapeOf(unsignalled)
	assert.ErrorContains(t, err, "ends before the signal")
}
