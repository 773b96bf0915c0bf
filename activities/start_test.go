package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// recordingStarter stands in for the Temporal client: it remembers what it
// was asked to start and treats some orders as already running.
type recordingStarter struct {
	mu      sync.Mutex
	running map[string]bool
	failOn  string
	// invalid orders are refused as Temporal refuses a bad workflow id.
	invalid map[string]bool
	started []string
	// attempts counts start requests, lists the RunningBackorders calls.
	attempts, lists int
}

func (r *recordingStarter) RunningBackorders(_ context.Context, ids []string) (map[string]bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lists++
	out := map[string]bool{}
	for _, id := range ids {
		if r.running[id] {
			out[id] = true
		}
	}
	return out, nil
}

func (r *recordingStarter) StartBackorder(_ context.Context, o OverdueOrder, asOf string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if o.OrderID == r.failOn {
		return false, errors.New("frontend unavailable")
	}
	if r.invalid[o.OrderID] {
		return false, fmt.Errorf("starting workflow: %w", serviceerror.NewInvalidArgument("WorkflowId length exceeds limit."))
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
	assert.Equal(t, []int{40, 39, 1}, []int{res.Next, res.Started, res.AlreadyRunning})
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
	assert.Equal(t, []int{40, 38, 2}, []int{res.Next, res.Started, res.AlreadyRunning})
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

// Parked orders (episode open, workflow running) cost no start request:
// one list for the page tells them apart from lost ones, which are started.
func TestStartBackorderWorkflowsSendsNoRequestPerParkedOrder(t *testing.T) {
	page := orders(40)
	running := map[string]bool{}
	for i := range page {
		page[i].OpenEpisode = i != 7 // SO-007's workflow was lost
		if i != 7 {
			running[page[i].OrderID] = true
		}
	}
	page[39].OpenEpisode = false // a new order, never started
	delete(running, page[39].OrderID)
	starter := &recordingStarter{running: running}
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	acts := &Activities{Starter: starter, Store: newStartStore(t)}
	env.RegisterActivity(acts)

	val, err := env.ExecuteActivity(acts.StartBackorderWorkflows, StartBackordersInput{AsOf: "2026-11-27", Orders: page})
	require.NoError(t, err)
	var res StartBackordersResult
	require.NoError(t, val.Get(&res))
	assert.Equal(t, []int{40, 2, 38}, []int{res.Next, res.Started, res.AlreadyRunning})
	assert.Equal(t, 2, starter.attempts, "start requests: only the lost and the new order")
	assert.Equal(t, 1, starter.lists, "one visibility list for the page")
	assert.ElementsMatch(t, []string{"SO-007", "SO-039"}, res.StartedIDs)
}

// The window counts only the orders this page started: a page of parked
// orders that were re-checked (current_status "... (ETA revised)") is not
// held back 15 s a chunk.
func TestStartWindowIgnoresOrdersItDidNotStart(t *testing.T) {
	h := newHarness(t)
	data := fixture()
	data.Orders = nil
	var page []OverdueOrder
	for i := range 64 {
		id := fmt.Sprintf("SO-R%02d", i)
		data.Orders = append(data.Orders, store.Order{ID: id, CustomerID: "C-1", Status: "Backordered",
			PromisedDate: date("2026-11-01"), Currency: "USD",
			Lines: []store.OrderLine{{SKU: "SKU-A", Quantity: 1, BackorderedQuantity: 1, UnitPrice: money("1.00")}}})
		page = append(page, OverdueOrder{OrderID: id, Currency: "USD", BackorderValue: "1.00", OpenEpisode: true})
	}
	_, err := h.s.Import(h.ctx, data)
	require.NoError(t, err)
	running := map[string]bool{}
	for _, o := range page {
		require.NoError(t, h.s.MarkOrderChecked(h.ctx, o.OrderID, "Backorder: awaiting fulfillment (ETA revised)"))
		running[o.OrderID] = true
	}
	// One lost workflow among them is started: the window waits for it
	// alone, never for the parked ones.
	delete(running, "SO-R10")
	starter := &recordingStarter{running: running}
	h.acts.Starter = starter

	start := time.Now()
	var res StartBackordersResult
	h.must(h.acts.StartBackorderWorkflows, StartBackordersInput{AsOf: asOf, Orders: page}, &res)
	assert.Equal(t, []int{1, 63}, []int{res.Started, res.AlreadyRunning})
	assert.Less(t, time.Since(start), 5*time.Second, "a page of parked orders must not wait for the window (15 s a chunk)")
}

// A start Temporal refuses as invalid is that order's problem: it is
// recorded on the order and counted, and the rest of the page is started.
func TestStartBackorderWorkflowsRecordsARefusedStartAndGoesOn(t *testing.T) {
	h := newHarness(t)
	starter := &recordingStarter{running: map[string]bool{}, invalid: map[string]bool{"SO-2": true}}
	h.acts.Starter = starter
	page := []OverdueOrder{
		{OrderID: "SO-1", Currency: "USD", BackorderValue: "39.98"},
		{OrderID: "SO-2", Currency: "USD", BackorderValue: "34.24"},
		{OrderID: "SO-4", Currency: "USD", BackorderValue: "1000.00"},
	}

	var res StartBackordersResult
	h.must(h.acts.StartBackorderWorkflows, StartBackordersInput{AsOf: asOf, Orders: page}, &res)
	assert.Equal(t, []int{3, 2, 0, 1}, []int{res.Next, res.Started, res.AlreadyRunning, res.NotStarted})
	assert.Equal(t, []string{"SO-1", "SO-4"}, res.StartedIDs)

	var status string
	require.NoError(t, h.s.Pool().QueryRow(h.ctx, `SELECT current_status FROM orders WHERE id = 'SO-2'`).Scan(&status))
	assert.Equal(t, "Backorder: not started: Temporal refused its workflow as invalid (WorkflowId length exceeds limit.). "+
		"An order id must be at most 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-': "+
		"import the order under such an id and cancel this one (starter cancel); until then every sweep tries it again", status)
}
