package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/pgtest"
	"github.com/acme/backorders/internal/store"
)

// recordingStarter stands in for the Temporal client: it remembers what it
// was asked to start and treats some orders as already running.
type recordingStarter struct {
	mu      sync.Mutex
	running map[string]bool
	failOn  string
	started []string
}

func (r *recordingStarter) StartBackorder(_ context.Context, o OverdueOrder, asOf string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o.OrderID == r.failOn {
		return false, errors.New("frontend unavailable")
	}
	if r.running[o.OrderID] {
		return false, nil
	}
	r.running[o.OrderID] = true
	r.started = append(r.started, o.OrderID+"@"+asOf)
	return true, nil
}

// newStartStore is an empty store: none of the started orders is in it, so
// the start window never holds the page back.
func newStartStore(t *testing.T) *store.Store {
	s, _ := pgtest.NewStore(t)
	return s
}

func orders(n int) []OverdueOrder {
	out := make([]OverdueOrder, n)
	for i := range out {
		out[i] = OverdueOrder{OrderID: fmt.Sprintf("SO-%03d", i), Currency: "USD", BackorderValue: "1.00"}
	}
	return out
}

func TestStartBackorderWorkflowsCountsStartedAndRunning(t *testing.T) {
	starter := &recordingStarter{running: map[string]bool{"SO-003": true}}
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	acts := &Activities{Starter: starter, Store: newStartStore(t)}
	env.RegisterActivity(acts)

	val, err := env.ExecuteActivity(acts.StartBackorderWorkflows, StartBackordersInput{AsOf: "2026-11-27", Orders: orders(40)})
	require.NoError(t, err)
	var res StartBackordersResult
	require.NoError(t, val.Get(&res))
	assert.Equal(t, StartBackordersResult{Next: 40, Started: 39, AlreadyRunning: 1}, res)
	assert.Len(t, starter.started, 39)
	assert.Contains(t, starter.started, "SO-000@2026-11-27")
}

func TestStartBackorderWorkflowsResumesFromHeartbeat(t *testing.T) {
	starter := &recordingStarter{running: map[string]bool{}}
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	acts := &Activities{Starter: starter, Store: newStartStore(t)}
	env.RegisterActivity(acts)
	env.SetHeartbeatDetails(StartBackordersResult{Next: 32, Started: 30, AlreadyRunning: 2})

	val, err := env.ExecuteActivity(acts.StartBackorderWorkflows, StartBackordersInput{AsOf: "2026-11-27", Orders: orders(40)})
	require.NoError(t, err)
	var res StartBackordersResult
	require.NoError(t, val.Get(&res))
	assert.Equal(t, StartBackordersResult{Next: 40, Started: 38, AlreadyRunning: 2}, res)
	assert.Len(t, starter.started, 8, "only the orders after the heartbeat are started")
}

func TestStartBackorderWorkflowsFailsRetryably(t *testing.T) {
	starter := &recordingStarter{running: map[string]bool{}, failOn: "SO-020"}
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	acts := &Activities{Starter: starter, Store: newStartStore(t)}
	env.RegisterActivity(acts)

	_, err := env.ExecuteActivity(acts.StartBackorderWorkflows, StartBackordersInput{AsOf: "2026-11-27", Orders: orders(40)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "frontend unavailable")
}
