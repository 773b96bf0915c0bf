package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// fakeTemporal stands in for the Temporal client: it remembers what it was
// asked to start and treats some orders as already running, answering as
// the server would.
type fakeTemporal struct {
	mu      sync.Mutex
	running map[string]bool
	failOn  string
	// invalid orders are refused as Temporal refuses a bad workflow id.
	invalid map[string]bool
	started []string
	// attempts counts start requests; counts and lists the visibility
	// count and list requests.
	attempts, counts, lists int
}

// temporalFor is the seam the activities start workflows through.
func temporalFor(f *fakeTemporal) Temporal { return Temporal{Client: f, TaskQueue: "start-test"} }

// ExecuteWorkflow starts the order's BackorderWorkflow, refusing a start
// of a running one as the server does when asked to.
func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	in, ok := contract.BackorderInput{}, len(args) == 1
	if ok {
		in, ok = args[0].(contract.BackorderInput)
	}
	if !ok || workflow != contract.BackorderWorkflowName || opts.ID != contract.BackorderWorkflowID(in.OrderID) || opts.TaskQueue != "start-test" {
		return nil, fmt.Errorf("unexpected start of %v %v with %+v", workflow, args, opts)
	}
	if in.OrderID == f.failOn {
		return nil, errors.New("frontend unavailable")
	}
	if f.invalid[in.OrderID] {
		return nil, fmt.Errorf("starting workflow: %w", serviceerror.NewInvalidArgument("WorkflowId length exceeds limit."))
	}
	if f.running[in.OrderID] {
		if !opts.WorkflowExecutionErrorWhenAlreadyStarted {
			return nil, nil // the server hands back the running workflow
		}
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "")
	}
	f.running[in.OrderID] = true
	f.started = append(f.started, in.OrderID+"@"+in.AsOf)
	return nil, nil
}

// CountWorkflow answers the start step's first visibility query: how many
// of the workflow ids it lists are running.
func (f *fakeTemporal) CountWorkflow(_ context.Context, req *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts++
	running, err := f.runningAmong(req.GetQuery())
	return &workflowservice.CountWorkflowExecutionsResponse{Count: int64(len(running))}, err
}

// ListWorkflow answers the start step's second visibility query, asked
// only when not all are running: which of the workflow ids it lists are.
func (f *fakeTemporal) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	running, err := f.runningAmong(req.GetQuery())
	resp := &workflowservice.ListWorkflowExecutionsResponse{}
	for _, id := range running {
		resp.Executions = append(resp.Executions, &workflowpb.WorkflowExecutionInfo{Execution: &commonpb.WorkflowExecution{WorkflowId: id}})
	}
	return resp, err
}

// runningAmong reads the workflow ids of the start step's visibility
// query and returns those of running orders.
func (f *fakeTemporal) runningAmong(query string) ([]string, error) {
	prefix := "WorkflowType = '" + contract.BackorderWorkflowName + "' AND ExecutionStatus = 'Running' AND WorkflowId IN ("
	ids, ok := strings.CutPrefix(query, prefix)
	if !ok || !strings.HasSuffix(ids, ")") {
		return nil, fmt.Errorf("unexpected visibility query %q", query)
	}
	var running []string
	for _, quoted := range strings.Split(strings.TrimSuffix(ids, ")"), ",") {
		id := strings.Trim(quoted, "'")
		if orderID, _ := strings.CutPrefix(id, contract.BackorderWorkflowIDPrefix); f.running[orderID] {
			running = append(running, id)
		}
	}
	return running, nil
}

// newStartStore is an empty store: none of the started orders is in it, so
// the start window never holds the page back.
func newStartStore(t *testing.T) *store.Store {
	s, _ := pgtest.NewStore(t)
	return s
}

func orders(n int) []contract.OverdueOrder {
	out := make([]contract.OverdueOrder, n)
	for i := range out {
		out[i] = contract.OverdueOrder{OrderID: fmt.Sprintf("SO-%03d", i), Currency: "USD", BackorderValue: "1.00"}
	}
	return out
}

// startPage runs the start step over page, with temporal standing in for
// the server, resuming from resume's progress when it is given.
func startPage(t *testing.T, temporal *fakeTemporal, page []contract.OverdueOrder, resume *contract.StartBackordersResult) (contract.StartBackordersResult, error) {
	t.Helper()
	env := (&testsuite.WorkflowTestSuite{}).NewTestActivityEnvironment()
	acts := &Activities{Temporal: temporalFor(temporal), Store: newStartStore(t)}
	env.RegisterActivity(acts)
	if resume != nil {
		env.SetHeartbeatDetails(*resume)
	}
	var res contract.StartBackordersResult
	val, err := env.ExecuteActivity(acts.StartBackorderWorkflows, contract.StartBackordersInput{AsOf: "2026-11-27", Orders: page})
	if err == nil {
		err = val.Get(&res)
	}
	return res, err
}

func TestStartBackorderWorkflowsCountsStartedAndRunning(t *testing.T) {
	temporal := &fakeTemporal{running: map[string]bool{"SO-003": true}}
	res, err := startPage(t, temporal, orders(40), nil)
	require.NoError(t, err)
	assert.Equal(t, []int{40, 39, 1}, []int{res.Next, res.Started, res.AlreadyRunning})
	assert.Len(t, temporal.started, 39)
	assert.Contains(t, temporal.started, "SO-000@2026-11-27")
}

func TestStartBackorderWorkflowsResumesFromHeartbeat(t *testing.T) {
	temporal := &fakeTemporal{running: map[string]bool{}}
	res, err := startPage(t, temporal, orders(40), &contract.StartBackordersResult{Next: 32, Started: 30, AlreadyRunning: 2})
	require.NoError(t, err)
	assert.Equal(t, []int{40, 38, 2}, []int{res.Next, res.Started, res.AlreadyRunning})
	assert.Len(t, temporal.started, 8, "only the orders after the heartbeat are started")
}

func TestStartBackorderWorkflowsFailsRetryably(t *testing.T) {
	temporal := &fakeTemporal{running: map[string]bool{}, failOn: "SO-020"}
	_, err := startPage(t, temporal, orders(40), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "frontend unavailable")
}

// Parked orders (episode open, workflow running) cost no start request:
// one count and one list for the page tell them apart from lost ones,
// which are started.
func TestStartBackorderWorkflowsSendsNoRequestPerParkedOrder(t *testing.T) {
	page := orders(40)
	running := map[string]bool{}
	for i := range page {
		page[i].OpenEpisode = true
		if i != 7 { // SO-007's workflow was lost
			running[page[i].OrderID] = true
		}
	}
	page[39].OpenEpisode = false // a new order, never started
	delete(running, page[39].OrderID)
	temporal := &fakeTemporal{running: running}
	res, err := startPage(t, temporal, page, nil)
	require.NoError(t, err)
	assert.Equal(t, []int{40, 2, 38}, []int{res.Next, res.Started, res.AlreadyRunning})
	assert.Equal(t, 2, temporal.attempts, "start requests: only the lost and the new order")
	assert.Equal(t, []int{1, 1}, []int{temporal.counts, temporal.lists}, "one visibility count and one list for the page")
	assert.ElementsMatch(t, []string{"SO-007", "SO-039"}, res.StartedIDs)
}

// A page of parked orders only, a second sweep's usual page, costs one
// visibility count and nothing else: no list, no start request.
func TestStartBackorderWorkflowsCountsAPageOfParkedOrders(t *testing.T) {
	page := orders(40)
	running := map[string]bool{}
	for i := range page {
		page[i].OpenEpisode = true
		running[page[i].OrderID] = true
	}
	temporal := &fakeTemporal{running: running}
	res, err := startPage(t, temporal, page, nil)
	require.NoError(t, err)
	assert.Equal(t, []int{40, 0, 40}, []int{res.Next, res.Started, res.AlreadyRunning})
	assert.Equal(t, []int{1, 0, 0}, []int{temporal.counts, temporal.lists, temporal.attempts}, "visibility counts, lists; start requests")
}

// The window counts only the orders this page started: a page of parked
// orders that were re-checked (current_status "... (ETA revised)") is not
// held back 15 s a chunk.
func TestStartWindowIgnoresOrdersItDidNotStart(t *testing.T) {
	h := newHarness(t)
	data := fixture()
	data.Orders = nil
	var page []contract.OverdueOrder
	for i := range 64 {
		id := fmt.Sprintf("SO-R%02d", i)
		data.Orders = append(data.Orders, store.Order{ID: id, CustomerID: "C-1", Status: "Backordered",
			PromisedDate: date("2026-11-01"), Currency: "USD",
			Lines: []store.OrderLine{{SKU: "SKU-A", Quantity: 1, BackorderedQuantity: 1, UnitPrice: money("1.00")}}})
		page = append(page, contract.OverdueOrder{OrderID: id, Currency: "USD", BackorderValue: "1.00", OpenEpisode: true})
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
	temporal := &fakeTemporal{running: running}
	h.acts.Temporal = temporalFor(temporal)

	start := time.Now()
	var res contract.StartBackordersResult
	h.must(h.acts.StartBackorderWorkflows, contract.StartBackordersInput{AsOf: asOf, Orders: page}, &res)
	assert.Equal(t, []int{1, 63}, []int{res.Started, res.AlreadyRunning})
	assert.Less(t, time.Since(start), 5*time.Second, "a page of parked orders must not wait for the window (15 s a chunk)")
}

// A start Temporal refuses as invalid is that order's problem: it is
// recorded on the order and counted, and the rest of the page is started.
func TestStartBackorderWorkflowsRecordsARefusedStartAndGoesOn(t *testing.T) {
	h := newHarness(t)
	temporal := &fakeTemporal{running: map[string]bool{}, invalid: map[string]bool{"SO-2": true}}
	h.acts.Temporal = temporalFor(temporal)
	page := []contract.OverdueOrder{
		{OrderID: "SO-1", Currency: "USD", BackorderValue: "39.98"},
		{OrderID: "SO-2", Currency: "USD", BackorderValue: "34.24"},
		{OrderID: "SO-4", Currency: "USD", BackorderValue: "1000.00"},
	}

	var res contract.StartBackordersResult
	h.must(h.acts.StartBackorderWorkflows, contract.StartBackordersInput{AsOf: asOf, Orders: page}, &res)
	assert.Equal(t, []int{3, 2, 0, 1}, []int{res.Next, res.Started, res.AlreadyRunning, res.NotStarted})
	assert.Equal(t, []string{"SO-1", "SO-4"}, res.StartedIDs)

	var status string
	require.NoError(t, h.s.Pool().QueryRow(h.ctx, `SELECT current_status FROM orders WHERE id = 'SO-2'`).Scan(&status))
	assert.Equal(t, "Backorder: not started: Temporal refused its workflow as invalid (WorkflowId length exceeds limit.). "+
		"An order id must be at most 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-': "+
		"import the order under such an id and cancel this one (starter cancel); until then every sweep tries it again", status)
}

// An order fulfilled after its page was read is not started: its workflow
// may have completed already, and a start would begin a second, empty run
// (an attempt held up by a locked table did that in the lookup-hang
// drill). The others of the page are.
func TestStartBackorderWorkflowsSkipsAnOrderClosedSinceThePageWasRead(t *testing.T) {
	h := newHarness(t)
	data := fixture()
	data.Orders = nil
	var page []contract.OverdueOrder
	for _, id := range []string{"SO-OPEN", "SO-DONE"} {
		data.Orders = append(data.Orders, store.Order{ID: id, CustomerID: "C-1", Status: "Backordered",
			PromisedDate: date("2026-11-01"), Currency: "USD",
			Lines: []store.OrderLine{{SKU: "SKU-A", Quantity: 1, BackorderedQuantity: 1, UnitPrice: money("1.00")}}})
		page = append(page, contract.OverdueOrder{OrderID: id, Currency: "USD", BackorderValue: "1.00"})
	}
	_, err := h.s.Import(h.ctx, data)
	require.NoError(t, err)
	require.NoError(t, h.s.SetOrderStatus(h.ctx, "SO-DONE", contract.OrderFulfilled))
	temporal := &fakeTemporal{running: map[string]bool{}}
	h.acts.Temporal = temporalFor(temporal)

	var res contract.StartBackordersResult
	h.must(h.acts.StartBackorderWorkflows, contract.StartBackordersInput{AsOf: asOf, Orders: page}, &res)
	assert.Equal(t, []int{2, 1, 0}, []int{res.Next, res.Started, res.AlreadyRunning})
	assert.Equal(t, []string{"SO-OPEN@" + asOf}, temporal.started)
}
