package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The rounds the twin and the real system take turns in cover every
// overdue order once, in order, in whole pages of the sweep but the last,
// about a tenth of the run each; without the twin there is one.
func TestRoundsCoverTheRunInWholePages(t *testing.T) {
	for _, n := range []int{1, 499, 500, 501, 3000, 10_000, 10_250, 100_000} {
		r := &run{opts: Options{Overdue: n}, twin: &twinSide{}}
		rounds := r.rounds()
		next := 0
		for i, rd := range rounds {
			assert.Equal(t, next, rd.first, "n=%d: round %d starts where the one before ended", n, i+1)
			assert.Greater(t, rd.end, rd.first, "n=%d: round %d is not empty", n, i+1)
			if i < len(rounds)-1 {
				assert.Zero(t, (rd.end-rd.first)%twinPageSize, "n=%d: round %d is whole pages", n, i+1)
			}
			next = rd.end
		}
		assert.Equal(t, n, next, "n=%d: the rounds end with the run", n)
		assert.LessOrEqual(t, len(rounds), 2*roundsPerRun, "n=%d", n)
		if n >= roundsPerRun*twinPageSize {
			assert.InDelta(t, roundsPerRun, len(rounds), 3, "n=%d", n)
		}
		alone := &run{opts: Options{Overdue: n}}
		assert.Equal(t, []round{{0, n}}, alone.rounds(), "n=%d: without the twin, one round", n)
	}
}
