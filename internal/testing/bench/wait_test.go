package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func quietRun(stallLimit time.Duration) *run {
	return &run{opts: Options{Progress: io.Discard}, stallLimit: stallLimit}
}

// A count that stops moving ends the wait after the stall limit, naming
// where it stopped, instead of after limitFor's hours.
func TestWaitForReportsAStall(t *testing.T) {
	r := quietRun(time.Second)
	start := time.Now()
	err := r.waitFor(context.Background(), 10, "completed", func() (int, error) { return 3, nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stalled: 3 of 10 orders completed")
	assert.Less(t, time.Since(start), 5*time.Second, "the stall is reported soon after the limit")
}

// A count that keeps moving is not a stall, however slow the whole wait.
func TestWaitForLetsASlowCountFinish(t *testing.T) {
	r := quietRun(time.Second)
	var got atomic.Int64
	err := r.waitFor(context.Background(), 6, "completed", func() (int, error) { return int(got.Add(1)), nil })
	assert.NoError(t, err)
}

// Progress is watched while the signals go out: the wait ends once the
// count is reached, with every signal sent.
func TestSignalUntilWaitsForEveryOrder(t *testing.T) {
	r := quietRun(time.Minute)
	ids := make([]string, 300)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	var closed atomic.Int64
	err := r.signalUntil(context.Background(), ids, func(context.Context, string) error {
		closed.Add(1)
		return nil
	}, len(ids), "closed", func() (int, error) { return int(closed.Load()), nil })
	require.NoError(t, err)
	assert.EqualValues(t, len(ids), closed.Load())
}

// A signal that fails ends the wait with its error at once, not after
// the stall limit.
func TestSignalUntilEndsOnAFailedSignal(t *testing.T) {
	r := quietRun(time.Minute)
	refused := errors.New("workflow not found")
	start := time.Now()
	err := r.signalUntil(context.Background(), []string{"a", "b", "c"}, func(_ context.Context, id string) error {
		if id == "b" {
			return refused
		}
		return nil
	}, 3, "closed", func() (int, error) { return 0, nil })
	assert.ErrorIs(t, err, refused)
	assert.Less(t, time.Since(start), 5*time.Second)
}
