package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/contract"
)

const testSweepID = "backorder-sweep-test"

type SweepWorkflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
}

func TestSweepWorkflow(t *testing.T) {
	suite.Run(t, new(SweepWorkflowSuite))
}

// sweepHarness runs SweepWorkflow against mocked activities and child
// workflows that record what they were asked.
type sweepHarness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	// overduePages and closedPages answer the page queries in order; past
	// the end the answer is an empty page.
	overduePages [][]contract.OverdueOrder
	closedPages  [][]contract.ClosedOrder
	// unreachable lists workflow ids whose signal fails (workflow gone).
	unreachable map[string]bool
	// running lists workflow ids already running before the sweep.
	running map[string]bool
	// refused lists order ids whose start Temporal refuses as invalid.
	refused map[string]bool

	mu           sync.Mutex
	begins       []contract.BeginSweepInput
	overdueCalls []contract.FindOverdueInput
	closedCalls  []contract.FindClosedInput
	records      []contract.RecordSweepInput
	children     map[string]contract.BackorderInput // by workflow id
	signals      []sentSignal
	// completionPages answer FindUnacknowledgedCompletions in turn.
	completionPages [][]contract.UnacknowledgedCompletion
	// closes are the episodes the sweep closed itself (workflow gone).
	closes []contract.CloseBackorderInput
}

type sentSignal struct {
	WorkflowID string
	Name       string
	Arg        any
}

func (s *SweepWorkflowSuite) newHarness() *sweepHarness {
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: testSweepID})
	env.RegisterActivity(&activities.Activities{})

	h := &sweepHarness{t: s.T(), env: env, unreachable: map[string]bool{}, running: map[string]bool{}, children: map[string]contract.BackorderInput{}}
	env.OnActivity(a.BeginSweep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.BeginSweepInput) (string, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.begins = append(h.begins, in)
			if in.AsOf != "" {
				return in.AsOf, nil
			}
			return testAsOf, nil // "today"
		})
	env.OnActivity(a.FindOverdueBackorders, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.FindOverdueInput) ([]contract.OverdueOrder, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			n := len(h.overdueCalls)
			h.overdueCalls = append(h.overdueCalls, in)
			if n < len(h.overduePages) {
				return h.overduePages[n], nil
			}
			return nil, nil
		})
	env.OnActivity(a.FindClosedOrdersWithOpenIncidents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.FindClosedInput) ([]contract.ClosedOrder, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			n := len(h.closedCalls)
			h.closedCalls = append(h.closedCalls, in)
			if n < len(h.closedPages) {
				return h.closedPages[n], nil
			}
			return nil, nil
		})
	env.OnActivity(a.FindUnacknowledgedCompletions, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.FindClosedInput) ([]contract.UnacknowledgedCompletion, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.completionPages) == 0 {
				return nil, nil
			}
			page := h.completionPages[0]
			h.completionPages = h.completionPages[1:]
			return page, nil
		})
	env.OnActivity(a.FindOpenEpisode, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.FindOpenEpisodeInput) (*contract.OpenEpisode, error) {
			return &contract.OpenEpisode{IncidentID: "INC-" + in.OrderID, EpisodeKey: "ep-" + in.OrderID}, nil
		})
	env.OnActivity(a.CloseBackorder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.CloseBackorderInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.closes = append(h.closes, in)
			return nil
		})
	env.OnActivity(a.RecordSweep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.RecordSweepInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			in.TotalBackorderValue = copyTotals(in.TotalBackorderValue)
			h.records = append(h.records, in)
			return nil
		})
	env.OnActivity(a.StartBackorderWorkflows, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.StartBackordersInput) (contract.StartBackordersResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			var res contract.StartBackordersResult
			for _, o := range in.Orders {
				id := contract.BackorderWorkflowID(o.OrderID)
				if h.refused[o.OrderID] {
					res.NotStarted++
				} else if h.running[id] {
					res.AlreadyRunning++
				} else {
					h.children[id] = contract.BackorderInput{OrderID: o.OrderID, AsOf: in.AsOf}
					res.Started++
				}
				res.Next++
			}
			return res, nil
		})
	return h
}

// recordSignals lets every signal to a backorder workflow through and
// records it; those in unreachable fail as if the workflow were gone.
func (h *sweepHarness) recordSignals() {
	h.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, "", mock.Anything, mock.Anything).Return(
		func(_, workflowID, _, signalName string, arg any) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.signals = append(h.signals, sentSignal{WorkflowID: workflowID, Name: signalName, Arg: arg})
			if h.unreachable[workflowID] {
				return errors.New("workflow not found")
			}
			return nil
		})
}

func copyTotals(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (h *sweepHarness) run(in contract.SweepInput) {
	h.env.ExecuteWorkflow(SweepWorkflow, in)
	require.True(h.t, h.env.IsWorkflowCompleted(), "workflow completed")
}

func (h *sweepHarness) result() contract.SweepResult {
	require.NoError(h.t, h.env.GetWorkflowError())
	var r contract.SweepResult
	require.NoError(h.t, h.env.GetWorkflowResult(&r))
	return r
}

func overdue(id, currency, value string) contract.OverdueOrder {
	return contract.OverdueOrder{OrderID: id, Currency: currency, BackorderValue: value, DelayDays: 3}
}

// fullPage is sweepPageSize orders SO-<first>... worth 1.00 USD each.
func fullPage(first int) []contract.OverdueOrder {
	page := make([]contract.OverdueOrder, sweepPageSize)
	for i := range page {
		page[i] = overdue(fmt.Sprintf("SO-%05d", first+i), "USD", "1.00")
	}
	return page
}

func (s *SweepWorkflowSuite) TestSweepStartsAndTotals() {
	h := s.newHarness()
	h.overduePages = [][]contract.OverdueOrder{{
		overdue("SO-1", "USD", "19.99"),
		overdue("SO-2", "EUR", "250.5"),
		overdue("SO-3", "USD", "0.01"),
	}}

	h.run(contract.SweepInput{})

	s.Equal(contract.SweepResult{
		SweepID: testSweepID, AsOf: testAsOf,
		SweepTally: contract.SweepTally{
			OrdersFound: 3, TotalBackorderValue: map[string]string{"USD": "20.00", "EUR": "250.50"}, WorkflowsStarted: 3,
		},
		Done: true,
	}, h.result())
	s.Equal([]contract.BeginSweepInput{{SweepID: testSweepID, AsOf: ""}}, h.begins)
	s.Equal([]contract.FindOverdueInput{{AsOf: testAsOf, AfterID: "", Limit: sweepPageSize}}, h.overdueCalls,
		"the pages use the as-of date BeginSweep resolved")
	s.Equal(map[string]contract.BackorderInput{
		"backorder-SO-1": {OrderID: "SO-1", AsOf: testAsOf},
		"backorder-SO-2": {OrderID: "SO-2", AsOf: testAsOf},
		"backorder-SO-3": {OrderID: "SO-3", AsOf: testAsOf},
	}, h.children)

	s.Require().Len(h.records, 3, "one record per page: overdue orders, closed orders, task completions")
	s.False(h.records[0].Finished)
	s.Equal(contract.RecordSweepInput{
		SweepID: testSweepID, AsOf: testAsOf,
		SweepTally: contract.SweepTally{
			OrdersFound: 3, TotalBackorderValue: map[string]string{"USD": "20.00", "EUR": "250.50"}, WorkflowsStarted: 3,
		},
		Finished: true,
	}, h.records[2])

	v, err := h.env.QueryWorkflow(contract.QueryStatus)
	s.Require().NoError(err)
	var status contract.SweepResult
	s.Require().NoError(v.Get(&status))
	s.True(status.Done)
	s.Equal(3, status.OrdersFound)
}

func (s *SweepWorkflowSuite) TestSweepWithGivenAsOf() {
	h := s.newHarness()

	h.run(contract.SweepInput{AsOf: "2025-02-28"})

	r := h.result()
	s.Equal("2025-02-28", r.AsOf)
	s.Equal(0, r.OrdersFound)
	s.Equal(map[string]string{}, r.TotalBackorderValue)
	s.True(r.Done)
	s.Equal([]contract.FindOverdueInput{{AsOf: "2025-02-28", Limit: sweepPageSize}}, h.overdueCalls)
}

// fullPages is n full pages of orders numbered from 1.
func fullPages(n int) [][]contract.OverdueOrder {
	pages := make([][]contract.OverdueOrder, n)
	for i := range pages {
		pages[i] = fullPage(1 + i*sweepPageSize)
	}
	return pages
}

func (s *SweepWorkflowSuite) TestPagingContinuesAsNew() {
	h := s.newHarness()
	full := (sweepPagesPerRun - 1) * sweepPageSize
	h.overduePages = append(fullPages(sweepPagesPerRun-1), []contract.OverdueOrder{
		overdue(fmt.Sprintf("SO-%05d", full+1), "USD", "0.50"), overdue(fmt.Sprintf("SO-%05d", full+2), "EUR", "2.25"),
	})

	h.run(contract.SweepInput{})

	s.Require().Len(h.overdueCalls, sweepPagesPerRun)
	s.Equal("", h.overdueCalls[0].AfterID)
	s.Equal("SO-00500", h.overdueCalls[1].AfterID, "the next page starts after the last id of the first")
	s.Len(h.children, full+2)
	s.Empty(h.closedCalls, "reconciling is the next run's first page")

	next := continuedWith[contract.SweepInput](s.T(), h.env.GetWorkflowError(), contract.SweepWorkflowName)
	s.Equal(testAsOf, next.AsOf)
	s.Require().NotNil(next.Resume)
	s.Equal(contract.SweepProgress{
		Result: contract.SweepResult{
			SweepID: testSweepID, AsOf: testAsOf,
			SweepTally: contract.SweepTally{
				OrdersFound:         full + 2,
				TotalBackorderValue: map[string]string{"USD": fmt.Sprintf("%d.50", full), "EUR": "2.25"},
				WorkflowsStarted:    full + 2,
			},
		},
		Cursor:      fmt.Sprintf("SO-%05d", full+2),
		Reconciling: true,
	}, *next.Resume)
	s.Require().Len(h.records, sweepPagesPerRun)
	s.False(h.records[sweepPagesPerRun-1].Finished)
	s.Equal(full+2, h.records[sweepPagesPerRun-1].OrdersFound)
}

func (s *SweepWorkflowSuite) TestFullPagesContinueWithCursor() {
	h := s.newHarness()
	h.overduePages = fullPages(sweepPagesPerRun)
	total := sweepPagesPerRun * sweepPageSize

	h.run(contract.SweepInput{})

	next := continuedWith[contract.SweepInput](s.T(), h.env.GetWorkflowError(), contract.SweepWorkflowName)
	s.Require().NotNil(next.Resume)
	s.Equal(fmt.Sprintf("SO-%05d", total), next.Resume.Cursor)
	s.False(next.Resume.Reconciling, "a full page may have more after it")
	s.Equal(total, next.Resume.Result.OrdersFound)
	s.Equal(map[string]string{"USD": fmt.Sprintf("%d.00", total)}, next.Resume.Result.TotalBackorderValue)
}

func (s *SweepWorkflowSuite) TestAlreadyRunningAreCounted() {
	h := s.newHarness()
	h.overduePages = [][]contract.OverdueOrder{{overdue("SO-1", "USD", "1.00"), overdue("SO-2", "USD", "2.00")}}
	h.running[contract.BackorderWorkflowID("SO-2")] = true

	h.run(contract.SweepInput{})

	r := h.result()
	s.Equal(2, r.OrdersFound)
	s.Equal(1, r.WorkflowsStarted)
	s.Equal(1, r.AlreadyRunning)
	s.Equal(map[string]string{"USD": "3.00"}, r.TotalBackorderValue)
}

// Orders whose start Temporal refused are counted apart, and the sweep
// goes on past them.
func (s *SweepWorkflowSuite) TestRefusedStartsAreCounted() {
	h := s.newHarness()
	h.overduePages = [][]contract.OverdueOrder{{overdue("SO-1", "USD", "1.00"), overdue("SO-2", "USD", "2.00"), overdue("SO-3", "USD", "3.00")}}
	h.refused = map[string]bool{"SO-2": true}

	h.run(contract.SweepInput{})

	r := h.result()
	s.Equal([]int{3, 2, 0, 1}, []int{r.OrdersFound, r.WorkflowsStarted, r.AlreadyRunning, r.NotStarted})
	s.True(r.Done)
}

func (s *SweepWorkflowSuite) TestResumedSweepPicksUp() {
	h := s.newHarness()
	h.overduePages = [][]contract.OverdueOrder{{overdue("SO-01001", "USD", "0.99")}}
	progress := contract.SweepProgress{
		Result: contract.SweepResult{
			SweepID: testSweepID, AsOf: testAsOf,
			SweepTally: contract.SweepTally{OrdersFound: 1000, TotalBackorderValue: map[string]string{"USD": "1000.00"}, WorkflowsStarted: 1000},
		},
		Cursor: "SO-01000",
	}

	h.run(contract.SweepInput{AsOf: testAsOf, Resume: &progress})

	s.Empty(h.begins, "a continued sweep does not begin again")
	s.Equal([]contract.FindOverdueInput{{AsOf: testAsOf, AfterID: "SO-01000", Limit: sweepPageSize}}, h.overdueCalls)
	s.Equal([]contract.FindClosedInput{{AfterID: "", Limit: sweepPageSize}}, h.closedCalls)
	s.Equal(contract.SweepResult{
		SweepID: testSweepID, AsOf: testAsOf,
		SweepTally: contract.SweepTally{OrdersFound: 1001, TotalBackorderValue: map[string]string{"USD": "1000.99"}, WorkflowsStarted: 1001},
		Done:       true,
	}, h.result())
	s.True(h.records[len(h.records)-1].Finished)
}

func (s *SweepWorkflowSuite) TestReconcileSignalsClosedOrders() {
	h := s.newHarness()
	h.closedPages = [][]contract.ClosedOrder{{
		{OrderID: "SO-10", Status: "Cancelled"},
		{OrderID: "SO-11", Status: "Fulfilled"},
		{OrderID: "SO-9", Status: "Fulfilled"},
	}}
	h.unreachable["backorder-SO-11"] = true // its workflow failed long ago
	h.recordSignals()

	h.run(contract.SweepInput{})

	s.ElementsMatch([]sentSignal{
		{WorkflowID: "backorder-SO-10", Name: contract.SignalOrderCancelled, Arg: contract.OrderCancelledSignal{Reason: "reconciled by sweep"}},
		{WorkflowID: "backorder-SO-11", Name: contract.SignalOrderFulfilled, Arg: contract.OrderFulfilledSignal{Note: "reconciled by sweep"}},
		{WorkflowID: "backorder-SO-9", Name: contract.SignalOrderFulfilled, Arg: contract.OrderFulfilledSignal{Note: "reconciled by sweep"}},
	}, h.signals)
	r := h.result()
	s.Equal(3, r.Reconciled)
	s.Equal([]contract.CloseBackorderInput{{
		OrderID: "SO-11", IncidentID: "INC-SO-11", Outcome: contract.StageFulfilled,
		Note: "closed by the sweep: the order's workflow had ended",
	}}, h.closes, "a workflow that is gone has its episode closed by the sweep, not signalled every hour")
	s.True(r.Done)
	s.Equal(3, h.records[len(h.records)-1].Reconciled)
	s.True(h.records[len(h.records)-1].Finished)
}

// A task completion recorded while its workflow could not be told reaches
// the workflow from the next sweep, as task-completed.
func (s *SweepWorkflowSuite) TestReconcileTellsWorkflowsOfUnacknowledgedCompletions() {
	h := s.newHarness()
	h.completionPages = [][]contract.UnacknowledgedCompletion{{
		{OrderID: "SO-5", TaskID: "T-9", CompletedBy: "pat", Note: "supplier confirmed", ConfirmedETA: "2025-03-20", CompletedAt: "2025-03-10T08:00:00Z"},
	}}
	h.recordSignals()

	h.run(contract.SweepInput{})

	s.Equal([]sentSignal{{WorkflowID: "backorder-SO-5", Name: contract.SignalTaskCompleted, Arg: contract.TaskCompletedSignal{
		TaskID: "T-9", CompletedBy: "pat", Note: "supplier confirmed", ConfirmedETA: "2025-03-20", CompletedAt: "2025-03-10T08:00:00Z",
	}}}, h.signals)
	s.Equal(1, h.result().Reconciled)
}

// TestReconcileExactSignal pins the signal's target, run and name: only
// this mock is set up, and a signal it does not match fails the sweep.
func (s *SweepWorkflowSuite) TestReconcileExactSignal() {
	h := s.newHarness()
	h.env.OnSignalExternalWorkflow(mock.Anything, "backorder-SO-9", "", contract.SignalOrderFulfilled, mock.Anything).Return(nil).Once()
	h.closedPages = [][]contract.ClosedOrder{{{OrderID: "SO-9", Status: "Fulfilled"}}}

	h.run(contract.SweepInput{})

	s.Equal(1, h.result().Reconciled)
}

func (s *SweepWorkflowSuite) TestReconcilePagesUseTheirCursor() {
	h := s.newHarness()
	full := make([]contract.ClosedOrder, sweepPageSize)
	for i := range full {
		full[i] = contract.ClosedOrder{OrderID: fmt.Sprintf("SO-%05d", i+1), Status: "Fulfilled"}
	}
	h.closedPages = [][]contract.ClosedOrder{full}
	h.recordSignals()
	progress := contract.SweepProgress{
		Result:      contract.SweepResult{SweepID: testSweepID, AsOf: testAsOf, SweepTally: contract.SweepTally{TotalBackorderValue: map[string]string{}}},
		Reconciling: true,
	}

	h.run(contract.SweepInput{AsOf: testAsOf, Resume: &progress})

	s.Equal([]contract.FindClosedInput{
		{AfterID: "", Limit: sweepPageSize},
		{AfterID: "SO-00500", Limit: sweepPageSize},
	}, h.closedCalls)
	r := h.result()
	s.Equal(sweepPageSize, r.Reconciled)
	s.True(r.Done)
}
