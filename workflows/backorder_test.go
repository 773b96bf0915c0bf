package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
)

// a names the activities to mock by method value: the mocks only match
// what the workflows execute when the contract's activity names are these
// methods' names.
var a *activities.Activities

// The clock every test starts at: 09:00 UTC on the sweep's as-of date. The
// business timezone is UTC (the real ETAPassesAt runs with it), so an ETA
// of 2025-03-24 passes at 2025-03-25T00:00Z.
var testStart = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const testAsOf = "2025-03-10"

type BackorderWorkflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
}

func TestBackorderWorkflow(t *testing.T) {
	suite.Run(t, new(BackorderWorkflowSuite))
}

// call is one step of a mocked activity execution as the workflow made
// it: an activity that does several steps in one transaction
// (BeginInvestigation, AwaitFulfilment) makes a call per step.
type call struct {
	// Step names the step, with the detail that tells two calls of it
	// apart ("CreateTask: inventory_clerk").
	Step string
	// Name is the step's own activity (CreateTask), Activity the one
	// executed (AwaitFulfilment).
	Name  string
	At    time.Time
	Input any
}

// backorderHarness runs BackorderWorkflow against mocked activities that
// record every call. Its fields say what the mocks answer; change them
// before ExecuteWorkflow.
type backorderHarness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	// assessments answers AssessBackorder, one per call, the last repeated;
	// assessErrs fails the calls at the same positions (nil: answer).
	assessments []contract.Assessment
	assessErrs  []error
	// leadTimes answers the lookups of lead times, one per lookup, the
	// last repeated: with the assessment (since fewerRoundTrips), or
	// LookupLeadTimes.
	leadTimes []contract.LeadTimes
	// notices answers NotifyCustomer, one per call, the last repeated.
	notices []contract.NotificationOutcome
	alert   contract.AlertOutcome
	sms     contract.NotificationOutcome
	// acts are the real activities the workflow runs locally (ETAPassesAt,
	// SMSAllowedAt); change their Settings before run.
	acts        *activities.Activities
	completeErr error
	// firstNoticeErr fails the first NotifyCustomer call (retryably).
	firstNoticeErr error
	// hooks run inside the named activity, e.g. to send a signal while it
	// is in flight.
	hooks map[string]func()

	mu              sync.Mutex
	calls           []call
	executions      []string
	leadTimeLookups int
}

func (s *BackorderWorkflowSuite) newHarness() *backorderHarness {
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.BackorderWorkflowID("SO-1")})
	// A safety net: a workflow that never ends fails the test instead of
	// re-checking forever in skipped time.
	env.SetWorkflowRunTimeout(365 * 24 * time.Hour)
	// The local activities run for real: they are pure.
	acts := &activities.Activities{Settings: activities.Settings{Location: time.UTC}}
	env.RegisterActivity(acts)

	h := &backorderHarness{
		t:           s.T(),
		env:         env,
		acts:        acts,
		assessments: []contract.Assessment{assessment("39.98", false)},
		leadTimes:   []contract.LeadTimes{leadTimes(14)},
		notices:     []contract.NotificationOutcome{{Status: "sent"}},
		alert:       contract.AlertOutcome{TextManager: true},
		sms:         contract.NotificationOutcome{Status: "sent"},
		hooks:       map[string]func(){},
	}
	env.OnActivity(a.AssessBackorder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.AssessInput) (contract.Assessment, error) {
			n := h.record("AssessBackorder", "AssessBackorder", in)
			if n < len(h.assessErrs) && h.assessErrs[n] != nil {
				return contract.Assessment{}, h.assessErrs[n]
			}
			assessed := nth(h.assessments, n)
			if assessed.LeadTimes == nil {
				lt := h.nextLeadTimes()
				assessed.LeadTimes = &lt
			}
			return assessed, nil
		})
	env.OnActivity(a.MarkOrderChecked, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.MarkOrderCheckedInput) error {
			h.execute("MarkOrderChecked")
			h.markOrder(in)
			return nil
		})
	env.OnActivity(a.CreateTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.CreateTaskInput) (contract.TaskRef, error) {
			h.execute("CreateTask")
			return h.createTask(in), nil
		})
	env.OnActivity(a.BeginInvestigation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.BeginInvestigationInput) (contract.TaskRef, error) {
			h.execute("BeginInvestigation")
			h.markOrder(contract.MarkOrderCheckedInput{OrderID: in.OrderID, CurrentStatus: in.CurrentStatus})
			return h.createTask(in.Task), nil
		})
	env.OnActivity(a.AwaitFulfilment, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.AwaitFulfilmentInput) (contract.AwaitFulfilmentResult, error) {
			h.execute("AwaitFulfilment")
			out := contract.AwaitFulfilmentResult{Task: h.createTask(in.Task)}
			if in.Alert != nil {
				out.Alert = h.alertWarehouse(*in.Alert)
			}
			h.markOrder(contract.MarkOrderCheckedInput{OrderID: in.OrderID, CurrentStatus: in.CurrentStatus})
			return out, nil
		})
	env.OnActivity(a.LookupLeadTimes, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.LookupLeadTimesInput) (contract.LeadTimes, error) {
			h.record("LookupLeadTimes", "LookupLeadTimes", in)
			return h.nextLeadTimes(), nil
		})
	env.OnActivity(a.OpenIncident, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.OpenIncidentInput) (string, error) {
			h.record("OpenIncident", "OpenIncident", in)
			return "INC-1", nil
		})
	env.OnActivity(a.EscalateIncident, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.EscalateIncidentInput) error {
			h.record("EscalateIncident", "EscalateIncident", in)
			return nil
		})
	env.OnActivity(a.ReviseIncident, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.ReviseIncidentInput) error {
			h.record("ReviseIncident", fmt.Sprintf("ReviseIncident: v%d", in.ETAVersion), in)
			return nil
		})
	env.OnActivity(a.NotifyCustomer, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.NotifyCustomerInput) (contract.NotificationOutcome, error) {
			n := h.record("NotifyCustomer", fmt.Sprintf("NotifyCustomer: v%d", in.ETAVersion), in)
			if n == 0 && h.firstNoticeErr != nil {
				return contract.NotificationOutcome{}, h.firstNoticeErr
			}
			return nth(h.notices, n), nil
		})
	env.OnActivity(a.AlertWarehouse, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.AlertWarehouseInput) (contract.AlertOutcome, error) {
			h.execute("AlertWarehouse")
			return h.alertWarehouse(in), nil
		})
	env.OnActivity(a.TextWarehouse, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.AlertWarehouseInput) (contract.NotificationOutcome, error) {
			h.record("TextWarehouse", "TextWarehouse", in)
			return h.sms, nil
		})
	env.OnActivity(a.CompleteTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.CompleteTaskInput) error {
			h.record("CompleteTask", "CompleteTask: "+in.TaskID, in)
			return h.completeErr
		})
	env.OnActivity(a.CloseBackorder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.CloseBackorderInput) error {
			h.record("CloseBackorder", "CloseBackorder: "+string(in.Outcome), in)
			return nil
		})
	return h
}

// taskIDs are the ids the mocked CreateTask hands out per role.
var taskIDs = map[contract.Role]string{contract.RoleProcurementManager: "T-1", contract.RoleInventoryClerk: "T-2"}

// record notes a call of activity name and returns how many calls of it
// came before.
func (h *backorderHarness) record(name, step string, in any) int {
	h.execute(name)
	return h.recordStep(name, step, in)
}

// execute notes that the workflow executed an activity (not a notice).
func (h *backorderHarness) execute(activity string) {
	if isNotice(activity) {
		return
	}
	h.mu.Lock()
	h.executions = append(h.executions, activity)
	h.mu.Unlock()
}

// recordStep notes a step, of its own or of an activity doing several
// (named by the step's own activity), and returns how many of it came
// before.
func (h *backorderHarness) recordStep(name, step string, in any) int {
	h.mu.Lock()
	n := 0
	for _, c := range h.calls {
		if c.Name == name {
			n++
		}
	}
	h.calls = append(h.calls, call{Step: step, Name: name, At: h.env.Now().UTC(), Input: in})
	hook := h.hooks[name]
	h.mu.Unlock()
	if hook != nil {
		hook()
	}
	return n
}

func (h *backorderHarness) markOrder(in contract.MarkOrderCheckedInput) {
	h.recordStep("MarkOrderChecked", "MarkOrderChecked: "+in.CurrentStatus, in)
}

func (h *backorderHarness) createTask(in contract.CreateTaskInput) contract.TaskRef {
	step := "CreateTask: " + string(in.Role)
	if in.Purpose != "" {
		step += " (" + in.Purpose + ")"
	}
	h.recordStep("CreateTask", step, in)
	id := taskIDs[in.Role]
	if in.Purpose != "" {
		id += "-" + in.Purpose
	}
	return contract.TaskRef{ID: id, Role: in.Role, Status: "open"}
}

func (h *backorderHarness) alertWarehouse(in contract.AlertWarehouseInput) contract.AlertOutcome {
	h.recordStep("AlertWarehouse", "AlertWarehouse", in)
	return h.alert
}

// nextLeadTimes answers the next lookup of lead times.
func (h *backorderHarness) nextLeadTimes() contract.LeadTimes {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.leadTimeLookups
	h.leadTimeLookups++
	return nth(h.leadTimes, n)
}

// executed lists the activities the workflow executed, in order; notices
// run beside and are left out.
func (h *backorderHarness) executed() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.executions)
}

// steps lists the activity calls in the order the workflow made them.
// steps are the workflow's own steps in order. Notices (NotifyCustomer,
// TextWarehouse) run beside them, so where they fall among the steps is
// not fixed: they are in sentNotices().
func (h *backorderHarness) steps() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var steps []string
	for _, c := range h.calls {
		if !isNotice(c.Name) {
			steps = append(steps, c.Step)
		}
	}
	return steps
}

// sentNotices are the notices sent, in order.
func (h *backorderHarness) sentNotices() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var notices []string
	for _, c := range h.calls {
		if isNotice(c.Name) {
			notices = append(notices, c.Step)
		}
	}
	return notices
}

func isNotice(name string) bool { return name == "NotifyCustomer" || name == "TextWarehouse" }

func (h *backorderHarness) callsOf(name string) []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []call
	for _, c := range h.calls {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// inputsOf returns the inputs of every call of the named activity.
func inputsOf[T any](h *backorderHarness, name string) []T {
	var out []T
	for _, c := range h.callsOf(name) {
		out = append(out, c.Input.(T))
	}
	return out
}

// at runs f at the given simulated instant (RFC 3339).
func (h *backorderHarness) at(instant string, f func()) {
	when, err := time.Parse(time.RFC3339, instant)
	require.NoError(h.t, err)
	require.True(h.t, when.After(testStart), "callbacks run after the start")
	h.env.RegisterDelayedCallback(f, when.Sub(testStart))
}

func (h *backorderHarness) signalAt(instant, name string, arg any) {
	h.at(instant, func() { h.env.SignalWorkflow(name, arg) })
}

// statusAt queries the status at the given instant into *into.
func (h *backorderHarness) statusAt(instant string, into *contract.BackorderState) {
	h.at(instant, func() { *into = h.status() })
}

func (h *backorderHarness) status() contract.BackorderState {
	var st contract.BackorderState
	v, err := h.env.QueryWorkflow(contract.QueryStatus)
	if assert.NoError(h.t, err) {
		assert.NoError(h.t, v.Get(&st))
	}
	return st
}

func (h *backorderHarness) run(in contract.BackorderInput) {
	h.env.ExecuteWorkflow(BackorderWorkflow, in)
	require.True(h.t, h.env.IsWorkflowCompleted(), "workflow completed")
}

// result is the workflow's final state; it must have succeeded.
func (h *backorderHarness) result() contract.BackorderState {
	require.NoError(h.t, h.env.GetWorkflowError())
	var st contract.BackorderState
	require.NoError(h.t, h.env.GetWorkflowResult(&st))
	return st
}

func nth[T any](answers []T, n int) T {
	return answers[min(n, len(answers)-1)]
}

func firstRun() contract.BackorderInput {
	return contract.BackorderInput{OrderID: "SO-1", AsOf: testAsOf}
}

func assessment(value string, alertWarehouse bool) contract.Assessment {
	return contract.Assessment{
		OrderID: "SO-1", AsOf: testAsOf, Status: "Backordered", Currency: "USD",
		DelayDays: 5, BackorderValue: value, AlertWarehouse: alertWarehouse,
		PromisedDate: "2025-03-05", Today: testAsOf, TodayEndsAt: utc("2025-03-11T00:00:00Z"), MaxCustomerNotices: 3,
	}
}

func leadTimes(maxDays int) contract.LeadTimes {
	return contract.LeadTimes{
		Lines: []backorder.LineLeadTime{
			{SKU: "SKU-1", SupplierID: "SUP-1", Days: maxDays, Source: backorder.LeadTimeFromProduct},
			{SKU: "SKU-2", SupplierID: "SUP-2", Days: 3, Source: backorder.LeadTimeFromSupplier},
		},
		MaxDays: maxDays,
	}
}

func utc(instant string) time.Time {
	t, err := time.Parse(time.RFC3339, instant)
	if err != nil {
		panic(err)
	}
	return t
}

// The steps 1 to 10 of a first run with a value below the SMS threshold.
var firstRunSteps = []string{
	"AssessBackorder",
	"MarkOrderChecked: Backorder: investigating shortage",
	"CreateTask: procurement_manager",
	"OpenIncident",
	"CreateTask: inventory_clerk",
	"MarkOrderChecked: Backorder: awaiting fulfillment",
}

// firstRunNotices: the customer's delay notice.
var firstRunNotices = []string{"NotifyCustomer: v1"}

func openTasks() []contract.TaskState {
	return []contract.TaskState{
		{ID: "T-1", Role: contract.RoleProcurementManager, Status: "open"},
		{ID: "T-2", Role: contract.RoleInventoryClerk, Status: "open"},
	}
}

func (s *BackorderWorkflowSuite) TestHappyPathFulfilled() {
	h := s.newHarness()
	var waiting contract.BackorderState
	var waitingJSON map[string]any
	h.statusAt("2025-03-10T10:00:00Z", &waiting)
	h.at("2025-03-10T10:00:00Z", func() {
		v, err := h.env.QueryWorkflow(contract.QueryStatus)
		if s.NoError(err) {
			s.NoError(v.Get(&waitingJSON))
		}
	})
	h.signalAt("2025-03-12T15:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{Note: "shipped"})

	h.run(firstRun())

	s.Equal(append(append([]string{}, firstRunSteps...), "CloseBackorder: fulfilled"), h.steps())

	s.Equal([]contract.AssessInput{{OrderID: "SO-1", AsOf: testAsOf}}, inputsOf[contract.AssessInput](h, "AssessBackorder"))
	incidents := inputsOf[contract.OpenIncidentInput](h, "OpenIncident")
	s.Require().Len(incidents, 1)
	episode := incidents[0].EpisodeKey
	// The workflow id and first run id; the test environment leaves the
	// first run id empty.
	s.True(strings.HasPrefix(episode, "backorder-SO-1/"), episode)
	s.Equal(contract.OpenIncidentInput{
		EpisodeKey: episode, OrderID: "SO-1", DelayDays: 5, BackorderValue: "39.98", Currency: "USD",
		ETA: "2025-03-24", LeadTimes: leadTimes(14), // as-of + the longest lead time
	}, incidents[0])
	for _, task := range inputsOf[contract.CreateTaskInput](h, "CreateTask") {
		s.Equal(episode, task.EpisodeKey, "tasks share the incident's idempotency key")
		s.Equal("SO-1", task.OrderID)
	}
	s.Equal([]contract.NotifyCustomerInput{{IncidentID: "INC-1", OrderID: "SO-1", ETA: "2025-03-24", ETAVersion: 1}},
		inputsOf[contract.NotifyCustomerInput](h, "NotifyCustomer"))
	s.Empty(h.callsOf("AlertWarehouse"))

	s.Equal(contract.BackorderState{
		OrderID: "SO-1", Stage: contract.StageAwaitingFulfillment, AsOf: testAsOf, DelayDays: 5,
		BackorderValue: "39.98", Currency: "USD", NewETA: "2025-03-24", ETAVersion: 1, IncidentID: "INC-1",
		CustomerNotified: true, WarehouseAlerted: false, Tasks: openTasks(), EpisodeKey: episode,
		RecheckAt: utc("2025-03-25T00:00:00Z"), CustomerNotices: 1, MaxCustomerNotices: 3,
		PromisedDate: "2025-03-05", Today: testAsOf, TodayEndsAt: utc("2025-03-11T00:00:00Z"),
	}, waiting)
	s.Equal(firstRunNotices, h.sentNotices())
	// The JSON a user sees from `starter status`.
	s.Equal("awaiting_fulfillment", waitingJSON["stage"])
	s.Equal("39.98", waitingJSON["backorder_value"], "money stays an exact string")
	s.EqualValues(5, waitingJSON["delay_days"])
	s.Equal("2025-03-24", waitingJSON["new_eta"])
	s.Equal("INC-1", waitingJSON["incident_id"])
	s.Equal(true, waitingJSON["customer_notified"])
	s.Equal(false, waitingJSON["warehouse_alerted"])
	s.Len(waitingJSON["tasks"], 2)

	s.Equal([]contract.CloseBackorderInput{{OrderID: "SO-1", IncidentID: "INC-1", Outcome: "fulfilled", Note: "shipped"}},
		inputsOf[contract.CloseBackorderInput](h, "CloseBackorder"), "the fulfilment note goes on the incident")
	s.Equal(utc("2025-03-12T15:00:00Z"), h.callsOf("CloseBackorder")[0].At, "closed when the signal came")
	final := h.result()
	s.Equal(contract.StageFulfilled, final.Stage)
	s.Equal("shipped", final.FulfilmentNote)
	s.EqualValues(7, final.DelayDays, "the delay is current to the day: 2025-03-12 is 7 days after the promise")
	s.Equal([]contract.TaskState{
		{ID: "T-1", Role: contract.RoleProcurementManager, Status: "obsolete"},
		{ID: "T-2", Role: contract.RoleInventoryClerk, Status: "obsolete"},
	}, final.Tasks)
}

// Since fewerRoundTrips a first run reads the order once (the lead times
// come with the assessment), writes in three transactions (the
// investigation, the incident, what it waits with) and upserts its stage
// only when it changes from the one the sweep started it with. Runs
// started before keep their recorded steps.
func (s *BackorderWorkflowSuite) TestFirstRunRoundTrips() {
	before := []string{"AssessBackorder", "MarkOrderChecked", "CreateTask", "LookupLeadTimes", "OpenIncident", "CreateTask"}
	for _, tc := range []struct {
		name      string
		version   workflow.Version
		highValue bool
		executed  []string
		stages    []string
	}{
		{
			name: "now", version: fewerRoundTrips,
			executed: []string{"AssessBackorder", "BeginInvestigation", "OpenIncident", "AwaitFulfilment", "CloseBackorder"},
			stages:   []string{"awaiting_fulfillment", "fulfilled"},
		},
		{
			name: "now, high value", version: fewerRoundTrips, highValue: true,
			executed: []string{"AssessBackorder", "BeginInvestigation", "OpenIncident", "AwaitFulfilment", "CloseBackorder"},
			stages:   []string{"awaiting_fulfillment", "fulfilled"},
		},
		{
			name: "started before fewerRoundTrips", version: adoptionMissesETA,
			executed: append(slices.Clone(before), "MarkOrderChecked", "CloseBackorder"),
			stages:   []string{"assessing", "awaiting_fulfillment", "fulfilled"},
		},
		{
			name: "started before fewerRoundTrips, high value", version: adoptionMissesETA, highValue: true,
			executed: append(slices.Clone(before), "AlertWarehouse", "MarkOrderChecked", "CloseBackorder"),
			stages:   []string{"assessing", "awaiting_fulfillment", "fulfilled"},
		},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			h.assessments = []contract.Assessment{assessment("1500.00", tc.highValue)}
			h.env.OnGetVersion(lifecycleChange, workflow.DefaultVersion, fewerRoundTrips).Return(tc.version)
			var stages []string
			h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				if stage, ok := args.Get(0).(temporal.SearchAttributes).GetKeyword(contract.BackorderStageKey); ok {
					stages = append(stages, stage)
				}
			}).Return(nil)
			var waiting contract.BackorderState
			h.statusAt("2025-03-10T10:00:00Z", &waiting)
			h.signalAt("2025-03-10T12:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

			h.run(firstRun())

			s.Equal(tc.executed, h.executed())
			s.Equal(tc.stages, stages)
			steps := []string{
				"AssessBackorder",
				"MarkOrderChecked: Backorder: investigating shortage",
				"CreateTask: procurement_manager",
				"OpenIncident",
				"CreateTask: inventory_clerk",
			}
			if tc.version < fewerRoundTrips {
				steps = slices.Insert(steps, 3, "LookupLeadTimes")
			}
			var alerts []contract.AlertWarehouseInput
			if tc.highValue {
				steps = append(steps, "AlertWarehouse")
				alerts = []contract.AlertWarehouseInput{{IncidentID: "INC-1", OrderID: "SO-1", BackorderValue: "1500.00", Currency: "USD", ETA: "2025-03-24"}}
			}
			steps = append(steps, "MarkOrderChecked: Backorder: awaiting fulfillment", "CloseBackorder: fulfilled")
			s.Equal(steps, h.steps(), "the same steps in the same order, the lead times apart before")
			s.Equal(alerts, inputsOf[contract.AlertWarehouseInput](h, "AlertWarehouse"))
			s.Equal(tc.highValue, waiting.WarehouseAlerted)
			s.Equal(openTasks(), waiting.Tasks)
			s.Equal("2025-03-24", waiting.NewETA, "as-of + the longest lead time, however looked up")
			s.Equal(contract.StageFulfilled, h.result().Stage)
		})
	}
}

func (s *BackorderWorkflowSuite) TestWarehouseAlertFollowsAssessment() {
	alertInput := contract.AlertWarehouseInput{
		IncidentID: "INC-1", OrderID: "SO-1", BackorderValue: "1500.00", Currency: "USD", ETA: "2025-03-24",
	}
	for _, tc := range []struct {
		name        string
		alert       bool
		textManager bool
		sms         contract.NotificationOutcome
		wantTexted  bool
		wantAlerted bool
	}{
		{name: "above threshold, texted", alert: true, textManager: true, sms: contract.NotificationOutcome{Status: "sent"}, wantTexted: true, wantAlerted: true},
		{name: "above threshold, SMS recorded only", alert: true, textManager: true, sms: contract.NotificationOutcome{Status: "recorded"}, wantTexted: true, wantAlerted: true},
		{name: "above threshold, no phone to text", alert: true, textManager: false},
		{
			name: "above threshold, SMS failed", alert: true, textManager: true, wantTexted: true,
			sms: contract.NotificationOutcome{Status: "failed", Error: "recipient is on the sms suppression list"},
		},
		{
			name: "above threshold, SMS outcome unknown", alert: true, textManager: true, wantTexted: true,
			sms: contract.NotificationOutcome{Status: "unknown", Error: "no answer from Twilio after sending"},
		},
		{name: "not above threshold", alert: false},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			h.assessments = []contract.Assessment{assessment("1500.00", tc.alert)}
			h.alert = contract.AlertOutcome{TextManager: tc.textManager}
			h.sms = tc.sms
			var waiting contract.BackorderState
			h.statusAt("2025-03-10T10:00:00Z", &waiting)
			h.signalAt("2025-03-11T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

			h.run(firstRun())

			alerts := inputsOf[contract.AlertWarehouseInput](h, "AlertWarehouse")
			texts := inputsOf[contract.AlertWarehouseInput](h, "TextWarehouse")
			switch {
			case tc.wantTexted:
				s.Equal([]contract.AlertWarehouseInput{alertInput}, alerts)
				s.Equal([]contract.AlertWarehouseInput{alertInput}, texts)
				s.Equal([]string{
					"AssessBackorder",
					"MarkOrderChecked: Backorder: investigating shortage",
					"CreateTask: procurement_manager",
					"OpenIncident",
					"CreateTask: inventory_clerk",
					"AlertWarehouse",
					"MarkOrderChecked: Backorder: awaiting fulfillment",
					"CloseBackorder: fulfilled",
				}, h.steps())
				s.Equal(testStart, h.callsOf("TextWarehouse")[0].At, "no quiet hours: texted at once")
			case tc.alert:
				s.Equal([]contract.AlertWarehouseInput{alertInput}, alerts)
				s.Empty(texts)
			default:
				s.Empty(alerts)
				s.Empty(texts)
			}
			s.Equal(tc.wantAlerted, waiting.WarehouseAlerted)
			s.Nil(waiting.SMSDueAt)
			s.Equal(contract.StageAwaitingFulfillment, waiting.Stage, "a failed SMS does not stop the process")
			s.Equal(contract.StageFulfilled, h.result().Stage)
		})
	}
}

// quietNights sets quiet hours of 21:00-07:00 in New York, where the
// tests' start (09:00 UTC on 2025-03-10) is 05:00 (EDT, UTC-4): the SMS is
// due at 07:00 EDT, 11:00 UTC.
func quietNights(h *backorderHarness) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(h.t, err)
	h.acts.Settings.Location = ny
	h.acts.Settings.QuietHours = backorder.QuietHours{Start: 21 * 60, End: 7 * 60}
	h.assessments = []contract.Assessment{assessment("1500.00", true)}
}

func (s *BackorderWorkflowSuite) TestQuietHoursDeferTheSMS() {
	h := s.newHarness()
	quietNights(h)
	var quiet, after contract.BackorderState
	h.statusAt("2025-03-10T10:00:00Z", &quiet)
	h.statusAt("2025-03-10T12:00:00Z", &after)
	h.signalAt("2025-03-11T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

	h.run(firstRun())

	s.Equal(testStart, h.callsOf("AlertWarehouse")[0].At, "the active alert is recorded at once")
	texts := h.callsOf("TextWarehouse")
	s.Require().Len(texts, 1)
	s.Equal(utc("2025-03-10T11:00:00Z"), texts[0].At, "07:00 in New York, when quiet hours end")
	s.Equal(append(append([]string{}, firstRunSteps[:5]...),
		"AlertWarehouse",
		"MarkOrderChecked: Backorder: awaiting fulfillment",
		"CloseBackorder: fulfilled",
	), h.steps(), "the process goes on while the SMS waits")

	s.Equal(contract.StageAwaitingFulfillment, quiet.Stage)
	s.False(quiet.WarehouseAlerted)
	s.Require().NotNil(quiet.SMSDueAt)
	s.Equal(utc("2025-03-10T11:00:00Z"), *quiet.SMSDueAt)
	s.True(after.WarehouseAlerted)
	s.Nil(after.SMSDueAt)
	s.Equal(contract.StageFulfilled, h.result().Stage)
}

func (s *BackorderWorkflowSuite) TestOutcomeDuringQuietHoursSkipsTheSMS() {
	for _, signal := range []string{contract.SignalOrderFulfilled, contract.SignalOrderCancelled} {
		s.Run(signal, func() {
			h := s.newHarness()
			quietNights(h)
			h.signalAt("2025-03-10T10:00:00Z", signal, nil)

			h.run(firstRun())

			s.Len(h.callsOf("AlertWarehouse"), 1)
			s.Empty(h.callsOf("TextWarehouse"), "the order closed before quiet hours ended")
			closes := h.callsOf("CloseBackorder")
			s.Require().Len(closes, 1)
			s.Equal(utc("2025-03-10T10:00:00Z"), closes[0].At)
			final := h.result()
			s.False(final.WarehouseAlerted)
			s.Nil(final.SMSDueAt)
		})
	}
}

func (s *BackorderWorkflowSuite) TestQuietHoursOutsideTheWindow() {
	h := s.newHarness()
	quietNights(h)
	h.acts.Settings.QuietHours = backorder.QuietHours{Start: 22 * 60, End: 5 * 60} // over at 05:00 EDT
	h.signalAt("2025-03-11T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

	h.run(firstRun())

	texts := h.callsOf("TextWarehouse")
	s.Require().Len(texts, 1)
	s.Equal(testStart, texts[0].At)
}

func (s *BackorderWorkflowSuite) TestContinueAsNewKeepsTheWaitingSMS() {
	h := s.newHarness()
	due := utc("2025-03-10T11:00:00Z")
	resume := waitingState()
	resume.BackorderValue, resume.SMSDueAt = "1500.00", &due
	var waiting contract.BackorderState
	h.statusAt("2025-03-10T10:00:00Z", &waiting)
	h.signalAt("2025-03-12T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

	h.run(contract.BackorderInput{OrderID: "SO-1", AsOf: testAsOf, Resume: &resume})

	s.Equal(&due, waiting.SMSDueAt)
	s.Equal([]string{"CloseBackorder: fulfilled"}, h.steps())
	s.Equal([]string{"TextWarehouse"}, h.sentNotices())
	s.Equal(due, h.callsOf("TextWarehouse")[0].At)
	s.Equal([]contract.AlertWarehouseInput{{
		IncidentID: "INC-1", OrderID: "SO-1", BackorderValue: "1500.00", Currency: "USD", ETA: "2025-03-24",
	}}, inputsOf[contract.AlertWarehouseInput](h, "TextWarehouse"))
	s.True(h.result().WarehouseAlerted)
}

func (s *BackorderWorkflowSuite) TestCustomerNoticeNotDelivered() {
	h := s.newHarness()
	h.notices = []contract.NotificationOutcome{{Status: "failed", Error: `not sent: "jane at example" is not an email address`}}
	var waiting contract.BackorderState
	h.statusAt("2025-03-10T10:00:00Z", &waiting)
	h.signalAt("2025-03-11T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

	h.run(firstRun())

	s.Equal(append(append([]string{}, firstRunSteps...), "CloseBackorder: fulfilled"), h.steps(),
		"the process goes on to its wait, without retrying the notice")
	s.Len(h.callsOf("NotifyCustomer"), 1)
	s.Equal(contract.StageAwaitingFulfillment, waiting.Stage)
	s.False(waiting.CustomerNotified)
	s.Equal(contract.StageFulfilled, h.result().Stage)
}

func (s *BackorderWorkflowSuite) TestRecheckWhenETAPassesUnfulfilled() {
	h := s.newHarness()
	h.assessments = []contract.Assessment{
		assessment("39.98", false),
		{OrderID: "SO-1", AsOf: "2025-03-25", Status: "Backordered", Currency: "USD", DelayDays: 20, BackorderValue: "59.97"},
	}
	h.leadTimes = []contract.LeadTimes{leadTimes(14), leadTimes(7)}
	var beforeETA, afterRecheck contract.BackorderState
	h.statusAt("2025-03-24T23:00:00Z", &beforeETA)
	h.statusAt("2025-03-26T12:00:00Z", &afterRecheck)
	h.signalAt("2025-03-28T12:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

	h.run(firstRun())

	s.Equal(append(append([]string{}, firstRunSteps...),
		"AssessBackorder",
		"ReviseIncident: v2",
		"MarkOrderChecked: Backorder: awaiting fulfillment (ETA revised)",
		"CloseBackorder: fulfilled",
	), h.steps())

	assessCalls := h.callsOf("AssessBackorder")
	s.Require().Len(assessCalls, 2)
	s.Equal(contract.AssessInput{OrderID: "SO-1"}, assessCalls[1].Input, "the re-check measures at today's date")
	s.Equal(utc("2025-03-25T00:00:00Z"), assessCalls[1].At, "re-checked when the ETA's day is over")
	s.Equal([]contract.ReviseIncidentInput{{
		IncidentID: "INC-1", ETA: "2025-04-01", ETAVersion: 2, DelayDays: 20,
		LeadTimes: leadTimes(7).Lines, Reason: "the previous estimate passed without delivery",
	}}, inputsOf[contract.ReviseIncidentInput](h, "ReviseIncident"))
	notices := inputsOf[contract.NotifyCustomerInput](h, "NotifyCustomer")
	s.Require().Len(notices, 2)
	s.Equal(contract.NotifyCustomerInput{
		IncidentID: "INC-1", OrderID: "SO-1", ETA: "2025-04-01", ETAVersion: 2,
		PreviousETA: "2025-03-24", Reason: "the previous estimate passed without delivery",
	}, notices[1])

	s.Equal(contract.StageAwaitingFulfillment, beforeETA.Stage)
	s.Equal(0, beforeETA.Rechecks)
	s.Equal(contract.StageAwaitingFulfillment, afterRecheck.Stage)
	s.Equal(1, afterRecheck.Rechecks)
	s.Equal("2025-04-01", afterRecheck.NewETA)
	s.Equal(2, afterRecheck.ETAVersion)
	s.Equal(21, afterRecheck.DelayDays, "refreshed when the day ended: 2025-03-26 is 21 days after the promise")
	s.Equal("59.97", afterRecheck.BackorderValue)
	s.Equal(utc("2025-04-02T00:00:00Z"), afterRecheck.RecheckAt)

	final := h.result()
	s.Equal(contract.StageFulfilled, final.Stage)
	s.Equal(1, final.Rechecks)
}

func (s *BackorderWorkflowSuite) TestRecheckFindsOrderClosed() {
	for _, tc := range []struct {
		status  contract.OrderStatus
		outcome contract.Stage
	}{
		{status: "Fulfilled", outcome: "fulfilled"},
		{status: "Cancelled", outcome: "cancelled"},
	} {
		s.Run(string(tc.status), func() {
			h := s.newHarness()
			h.assessments = []contract.Assessment{
				assessment("39.98", false),
				{OrderID: "SO-1", AsOf: "2025-03-25", Status: tc.status, Currency: "USD", BackorderValue: "0.00"},
			}

			h.run(firstRun())

			s.Equal(append(append([]string{}, firstRunSteps...),
				"AssessBackorder",
				"CloseBackorder: "+string(tc.outcome),
			), h.steps(), "no new lead times, revision or second customer notice")
			s.Equal(utc("2025-03-25T00:00:00Z"), h.callsOf("CloseBackorder")[0].At)
			s.Equal([]contract.CloseBackorderInput{{OrderID: "SO-1", IncidentID: "INC-1", Outcome: tc.outcome}},
				inputsOf[contract.CloseBackorderInput](h, "CloseBackorder"))
			final := h.result()
			s.Equal(tc.outcome, final.Stage)
			s.Equal(0, final.Rechecks)
			s.Equal(1, final.ETAVersion)
		})
	}
}

func (s *BackorderWorkflowSuite) TestCancelled() {
	h := s.newHarness()
	h.signalAt("2025-03-11T08:00:00Z", contract.SignalOrderCancelled, contract.OrderCancelledSignal{Reason: "customer request"})

	h.run(firstRun())

	s.Equal(append(append([]string{}, firstRunSteps...), "CloseBackorder: cancelled"), h.steps())
	s.Equal([]contract.CloseBackorderInput{{OrderID: "SO-1", IncidentID: "INC-1", Outcome: "cancelled", Note: "customer request"}},
		inputsOf[contract.CloseBackorderInput](h, "CloseBackorder"), "the cancel reason goes on the incident")
	final := h.result()
	s.Equal(contract.StageCancelled, final.Stage)
	s.Equal("customer request", final.CancelReason)
	for _, task := range final.Tasks {
		s.Equal("obsolete", string(task.Status))
	}
}

func (s *BackorderWorkflowSuite) TestDuplicateOutcomeSignalsCloseOnce() {
	for _, tc := range []struct {
		name        string
		signals     []string
		wantOutcome contract.Stage
	}{
		{name: "fulfilled twice", signals: []string{contract.SignalOrderFulfilled, contract.SignalOrderFulfilled}, wantOutcome: "fulfilled"},
		{name: "fulfilled then cancelled", signals: []string{contract.SignalOrderFulfilled, contract.SignalOrderCancelled}, wantOutcome: "fulfilled"},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			h.at("2025-03-11T08:00:00Z", func() {
				for _, name := range tc.signals {
					h.env.SignalWorkflow(name, nil)
				}
			})

			h.run(firstRun())

			s.Len(h.callsOf("CloseBackorder"), 1)
			s.Equal(tc.wantOutcome, h.result().Stage)
		})
	}
}

func completion(taskID, confirmedETA string) contract.TaskCompletedSignal {
	return contract.TaskCompletedSignal{
		TaskID: taskID, CompletedBy: "pat", Note: "done", ConfirmedETA: confirmedETA,
		CompletedAt: "2025-03-11T09:30:00Z",
	}
}

func (s *BackorderWorkflowSuite) TestRepeatedTaskCompletionIsRecordedOnce() {
	h := s.newHarness()
	h.signalAt("2025-03-11T09:30:00Z", contract.SignalTaskCompleted, completion("T-1", ""))
	h.signalAt("2025-03-11T10:00:00Z", contract.SignalTaskCompleted, completion("T-1", ""))
	var afterRepeat contract.BackorderState
	h.statusAt("2025-03-11T11:00:00Z", &afterRepeat)
	h.signalAt("2025-03-12T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

	h.run(firstRun())

	s.Equal([]contract.CompleteTaskInput{{
		TaskID: "T-1", CompletedBy: "pat", Note: "done", CompletedAt: "2025-03-11T09:30:00Z",
	}}, inputsOf[contract.CompleteTaskInput](h, "CompleteTask"))
	s.Equal([]contract.TaskState{
		{ID: "T-1", Role: contract.RoleProcurementManager, Status: "done", CompletedBy: "pat", Note: "done"},
		{ID: "T-2", Role: contract.RoleInventoryClerk, Status: "open"},
	}, afterRepeat.Tasks)
	final := h.result()
	s.Equal(contract.StageFulfilled, final.Stage)
	s.Equal("done", string(final.Tasks[0].Status), "a done task is not made obsolete")
	s.Equal("obsolete", string(final.Tasks[1].Status))
}

func (s *BackorderWorkflowSuite) TestTaskCompletionIgnored() {
	for _, tc := range []struct {
		name        string
		signal      contract.TaskCompletedSignal
		completeErr error
		wantCalls   int
	}{
		{name: "unknown task id", signal: completion("T-99", ""), wantCalls: 0},
		{
			name:        "task store rejects it",
			signal:      completion("T-1", ""),
			completeErr: temporal.NewNonRetryableApplicationError("task closed", contract.ErrTypeTaskNotFound, nil),
			wantCalls:   1,
		},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			h.completeErr = tc.completeErr
			h.signalAt("2025-03-11T09:30:00Z", contract.SignalTaskCompleted, tc.signal)
			var after contract.BackorderState
			h.statusAt("2025-03-11T10:00:00Z", &after)
			h.signalAt("2025-03-12T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

			h.run(firstRun())

			s.Len(h.callsOf("CompleteTask"), tc.wantCalls)
			s.Equal(contract.StageAwaitingFulfillment, after.Stage, "still waiting")
			s.Equal(openTasks(), after.Tasks)
			s.Equal(contract.StageFulfilled, h.result().Stage)
		})
	}
}

func (s *BackorderWorkflowSuite) TestTaskCompletionWithConfirmedETA() {
	const reason = "procurement confirmed a new supplier date"
	for _, tc := range []struct {
		name             string
		signal           contract.TaskCompletedSignal
		wantConfirmedETA string // as passed to CompleteTask
		wantETA          string
		wantRevised      bool
	}{
		{
			name: "procurement confirms a later date", signal: completion("T-1", "2025-03-31"),
			wantConfirmedETA: "2025-03-31", wantETA: "2025-03-31", wantRevised: true,
		},
		{
			name: "procurement confirms the current date", signal: completion("T-1", "2025-03-24"),
			wantConfirmedETA: "2025-03-24", wantETA: "2025-03-24",
		},
		{name: "procurement without a date", signal: completion("T-1", ""), wantETA: "2025-03-24"},
		{
			name: "procurement with a date that is not one", signal: completion("T-1", "next week"),
			wantConfirmedETA: "", wantETA: "2025-03-24",
		},
		{
			name: "inventory clerk with a date", signal: completion("T-2", "2025-03-31"),
			wantConfirmedETA: "2025-03-31", wantETA: "2025-03-24",
		},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			h.signalAt("2025-03-11T09:30:00Z", contract.SignalTaskCompleted, tc.signal)
			var after contract.BackorderState
			h.statusAt("2025-03-11T10:00:00Z", &after)
			h.signalAt("2025-03-12T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

			h.run(firstRun())

			completions := inputsOf[contract.CompleteTaskInput](h, "CompleteTask")
			s.Require().Len(completions, 1)
			s.Equal(tc.signal.TaskID, completions[0].TaskID)
			s.Equal(tc.wantConfirmedETA, completions[0].ConfirmedETA)
			s.Equal(tc.wantETA, after.NewETA)

			revisions := inputsOf[contract.ReviseIncidentInput](h, "ReviseIncident")
			notices := inputsOf[contract.NotifyCustomerInput](h, "NotifyCustomer")
			if !tc.wantRevised {
				s.Empty(revisions)
				s.Len(notices, 1, "only the first delay notice")
				s.Equal(1, after.ETAVersion)
				return
			}
			s.Equal([]contract.ReviseIncidentInput{{
				IncidentID: "INC-1", ETA: tc.wantETA, ETAVersion: 2, DelayDays: 6, Reason: reason,
				RevisedBy: tc.signal.CompletedBy, Note: tc.signal.Note,
			}}, revisions, "who revised it and why go on the incident")
			s.Require().Len(notices, 2)
			s.Equal(contract.NotifyCustomerInput{
				IncidentID: "INC-1", OrderID: "SO-1", ETA: tc.wantETA, ETAVersion: 2,
				PreviousETA: "2025-03-24", Reason: reason,
			}, notices[1])
			s.Equal(2, after.ETAVersion)
			s.Equal(utc("2025-04-01T00:00:00Z"), after.RecheckAt, "the re-check moves with the ETA")
		})
	}
}

func (s *BackorderWorkflowSuite) TestNotBackorderedAtAssessment() {
	for _, status := range []contract.OrderStatus{"Fulfilled", "Cancelled"} {
		s.Run(string(status), func() {
			h := s.newHarness()
			h.assessments = []contract.Assessment{{OrderID: "SO-1", AsOf: testAsOf, Status: status, Currency: "USD", BackorderValue: "0.00"}}

			h.run(firstRun())

			s.Equal([]string{"AssessBackorder"}, h.steps(), "no tasks, incident or notifications")
			final := h.result()
			s.Equal(contract.StageNotBackordered, final.Stage)
			s.Empty(final.Tasks)
			s.Empty(final.IncidentID)
			s.False(final.CustomerNotified)
		})
	}
}

// TestAssessmentErrors: bad data fails at once. A transient database error
// is retried; that is proven against a real outage by the PostgreSQL drill
// in internal/testing/chaos, because the test environment does not retry mocked
// local activities faithfully (it re-runs them without end).
func (s *BackorderWorkflowSuite) TestAssessmentErrors() {
	for _, tc := range []struct {
		name      string
		err       error
		wantCalls int
		wantFail  bool
	}{
		{
			name:      "order not found, non-retryable",
			err:       temporal.NewNonRetryableApplicationError("no order SO-1", contract.ErrTypeOrderNotFound, nil),
			wantCalls: 1, wantFail: true,
		},
		{
			// The retry policy names the type non-retryable even when the
			// error does not say so itself.
			name:      "order not found, retryable flag",
			err:       temporal.NewApplicationError("no order SO-1", contract.ErrTypeOrderNotFound),
			wantCalls: 1, wantFail: true,
		},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			h.assessErrs = []error{tc.err}
			// Were the error retried, the second answer ends the workflow
			// quickly instead of waiting.
			h.assessments = []contract.Assessment{{OrderID: "SO-1", AsOf: testAsOf, Status: "Cancelled"}}

			h.run(firstRun())

			s.Len(h.callsOf("AssessBackorder"), tc.wantCalls)
			err := h.env.GetWorkflowError()
			if !tc.wantFail {
				s.NoError(err)
				return
			}
			var appErr *temporal.ApplicationError
			s.Require().ErrorAs(err, &appErr)
			s.Equal(contract.ErrTypeOrderNotFound, appErr.Type())
			s.Equal([]string{"AssessBackorder"}, h.steps())
		})
	}
}

func (s *BackorderWorkflowSuite) TestInvalidInputFailsWithoutActivities() {
	for _, tc := range []struct {
		name string
		in   contract.BackorderInput
	}{
		{name: "no order id", in: contract.BackorderInput{AsOf: testAsOf}},
		{name: "bad as-of date", in: contract.BackorderInput{OrderID: "SO-1", AsOf: "10/03/2025"}},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()

			h.run(tc.in)

			var appErr *temporal.ApplicationError
			s.Require().ErrorAs(h.env.GetWorkflowError(), &appErr)
			s.Equal(contract.ErrTypeInvalidInput, appErr.Type())
			s.Empty(h.steps())
		})
	}
}

func (s *BackorderWorkflowSuite) TestOutcomeBeforeCustomerNotified() {
	for _, tc := range []struct {
		name        string
		signal      string
		wantOutcome contract.Stage
		send        func(h *backorderHarness, signal string)
	}{
		{
			name: "fulfilled at start", signal: contract.SignalOrderFulfilled, wantOutcome: "fulfilled",
			send: func(h *backorderHarness, signal string) {
				h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(signal, nil) }, 0)
			},
		},
		{
			name: "fulfilled while the incident is opened", signal: contract.SignalOrderFulfilled, wantOutcome: "fulfilled",
			send: func(h *backorderHarness, signal string) {
				h.hooks["OpenIncident"] = func() { h.env.SignalWorkflow(signal, nil) }
			},
		},
		{
			name: "cancelled while procurement's task is created", signal: contract.SignalOrderCancelled, wantOutcome: "cancelled",
			send: func(h *backorderHarness, signal string) {
				h.hooks["CreateTask"] = func() { h.env.SignalWorkflow(signal, nil) }
			},
		},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			tc.send(h, tc.signal)

			h.run(firstRun())

			s.Equal([]string{
				"AssessBackorder",
				"MarkOrderChecked: Backorder: investigating shortage",
				"CreateTask: procurement_manager",
				"OpenIncident",
				"CloseBackorder: " + string(tc.wantOutcome),
			}, h.steps(), "no customer notice, no inventory task")
			s.Equal([]contract.CloseBackorderInput{{OrderID: "SO-1", IncidentID: "INC-1", Outcome: tc.wantOutcome}},
				inputsOf[contract.CloseBackorderInput](h, "CloseBackorder"))
			final := h.result()
			s.Equal(tc.wantOutcome, final.Stage)
			s.False(final.CustomerNotified)
		})
	}
}

// waitingState is what a run hands on when it continues as new while
// waiting.
func waitingState() contract.BackorderState {
	return contract.BackorderState{
		OrderID: "SO-1", Stage: contract.StageAwaitingFulfillment, AsOf: testAsOf, DelayDays: 5,
		BackorderValue: "39.98", Currency: "USD", NewETA: "2025-03-24", ETAVersion: 1, IncidentID: "INC-1",
		CustomerNotified: true,
		Tasks: []contract.TaskState{
			{ID: "T-1", Role: contract.RoleProcurementManager, Status: "done", CompletedBy: "pat"},
			{ID: "T-2", Role: contract.RoleInventoryClerk, Status: "open"},
		},
		EpisodeKey:      "backorder-SO-1/first-run",
		RecheckAt:       utc("2025-03-25T00:00:00Z"),
		CustomerNotices: 1, MaxCustomerNotices: 3, PromisedDate: "2025-03-05",
		Today: testAsOf, TodayEndsAt: utc("2025-03-11T00:00:00Z"),
	}
}

func (s *BackorderWorkflowSuite) TestResumeWaitsWithoutRedoingSteps() {
	h := s.newHarness()
	resume := waitingState()
	var resumed contract.BackorderState
	h.statusAt("2025-03-10T10:00:00Z", &resumed)
	h.signalAt("2025-03-12T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

	h.run(contract.BackorderInput{OrderID: "SO-1", AsOf: testAsOf, Resume: &resume})

	s.Equal([]string{"CloseBackorder: fulfilled"}, h.steps())
	s.Equal(waitingState(), resumed)
	s.Equal([]contract.CloseBackorderInput{{OrderID: "SO-1", IncidentID: "INC-1", Outcome: "fulfilled"}},
		inputsOf[contract.CloseBackorderInput](h, "CloseBackorder"))
	final := h.result()
	s.Equal(contract.StageFulfilled, final.Stage)
	s.Equal([]string{"done", "obsolete"}, []string{string(final.Tasks[0].Status), string(final.Tasks[1].Status)})
	s.Equal("backorder-SO-1/first-run", final.EpisodeKey, "the episode key survives continue-as-new")
}

func (s *BackorderWorkflowSuite) TestResumeRechecksWithNextETAVersion() {
	h := s.newHarness()
	h.assessments = []contract.Assessment{{OrderID: "SO-1", AsOf: "2025-03-25", Status: "Backordered", Currency: "USD", DelayDays: 20, BackorderValue: "39.98"}}
	h.leadTimes = []contract.LeadTimes{leadTimes(7)}
	resume := waitingState()
	h.signalAt("2025-03-26T00:00:00Z", contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})

	h.run(contract.BackorderInput{OrderID: "SO-1", AsOf: testAsOf, Resume: &resume})

	s.Equal([]contract.NotifyCustomerInput{{
		IncidentID: "INC-1", OrderID: "SO-1", ETA: "2025-04-01", ETAVersion: 2, PreviousETA: "2025-03-24",
		Reason: "the previous estimate passed without delivery",
	}}, inputsOf[contract.NotifyCustomerInput](h, "NotifyCustomer"))
	s.Equal(1, h.result().Rechecks)
}

// continuedWith decodes the input of the run a workflow continued as new.
func continuedWith[T any](t *testing.T, err error, workflowType string) T {
	t.Helper()
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can)
	require.Equal(t, workflowType, can.WorkflowType.Name)
	var in T
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
	return in
}

func (s *BackorderWorkflowSuite) TestContinueAsNewWhenHistoryIsLarge() {
	for _, tc := range []struct {
		name  string
		large func(env *testsuite.TestWorkflowEnvironment)
	}{
		{name: "server suggests it", large: func(env *testsuite.TestWorkflowEnvironment) { env.SetContinueAsNewSuggested(true) }},
		{name: "history over the bound", large: func(env *testsuite.TestWorkflowEnvironment) {
			env.SetCurrentHistoryLength(continueAsNewAfterEvents + 1)
		}},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			tc.large(h.env)

			h.run(firstRun())

			s.Equal(firstRunSteps, h.steps())
			next := continuedWith[contract.BackorderInput](s.T(), h.env.GetWorkflowError(), contract.BackorderWorkflowName)
			s.Equal("SO-1", next.OrderID)
			s.Equal(testAsOf, next.AsOf)
			s.Require().NotNil(next.Resume)
			s.Equal(contract.StageAwaitingFulfillment, next.Resume.Stage)
			s.Equal("INC-1", next.Resume.IncidentID)
			s.Equal("2025-03-24", next.Resume.NewETA)
			s.Equal(1, next.Resume.ETAVersion)
			s.True(next.Resume.CustomerNotified)
			s.Equal(openTasks(), next.Resume.Tasks)
			s.True(strings.HasPrefix(next.Resume.EpisodeKey, "backorder-SO-1/"), next.Resume.EpisodeKey)
		})
	}
}

func (s *BackorderWorkflowSuite) TestContinueAsNewLosesNoSignal() {
	s.Run("task completions are handled first", func() {
		h := s.newHarness()
		h.at("2025-03-11T09:30:00Z", func() {
			h.env.SetContinueAsNewSuggested(true)
			h.env.SignalWorkflow(contract.SignalTaskCompleted, completion("T-1", ""))
			h.env.SignalWorkflow(contract.SignalTaskCompleted, completion("T-2", ""))
		})

		h.run(firstRun())

		s.Len(h.callsOf("CompleteTask"), 2)
		next := continuedWith[contract.BackorderInput](s.T(), h.env.GetWorkflowError(), contract.BackorderWorkflowName)
		s.Require().NotNil(next.Resume)
		s.Equal([]string{"done", "done"}, []string{string(next.Resume.Tasks[0].Status), string(next.Resume.Tasks[1].Status)})
	})
	s.Run("a pending fulfilment closes instead", func() {
		h := s.newHarness()
		h.at("2025-03-11T09:30:00Z", func() {
			h.env.SetContinueAsNewSuggested(true)
			h.env.SignalWorkflow(contract.SignalTaskCompleted, completion("T-1", ""))
			h.env.SignalWorkflow(contract.SignalOrderFulfilled, contract.OrderFulfilledSignal{})
		})

		h.run(firstRun())

		s.Len(h.callsOf("CompleteTask"), 1)
		s.Equal(contract.StageFulfilled, h.result().Stage)
		s.Len(h.callsOf("CloseBackorder"), 1)
	})
}

// A signal from the Web UI or `temporal workflow signal` may carry a bare
// string, an object, or nothing: the fulfilment counts whatever it holds.
func (s *BackorderWorkflowSuite) TestOutcomeSignalsFromAnySender() {
	for _, tc := range []struct {
		name     string
		signal   string
		payload  any
		outcome  contract.Stage
		wantNote string
	}{
		{name: "bare string note", signal: contract.SignalOrderFulfilled, payload: "left the warehouse", outcome: contract.StageFulfilled, wantNote: "left the warehouse"},
		{name: "object with note", signal: contract.SignalOrderFulfilled, payload: map[string]any{"note": "by courier", "extra": 1}, outcome: contract.StageFulfilled, wantNote: "by courier"},
		{name: "no payload", signal: contract.SignalOrderFulfilled, payload: nil, outcome: contract.StageFulfilled},
		{name: "number", signal: contract.SignalOrderCancelled, payload: 42, outcome: contract.StageCancelled},
		{name: "reason as a bare string", signal: contract.SignalOrderCancelled, payload: "customer changed their mind", outcome: contract.StageCancelled, wantNote: "customer changed their mind"},
	} {
		s.Run(tc.name, func() {
			h := s.newHarness()
			h.signalAt("2025-03-11T08:00:00Z", tc.signal, tc.payload)

			h.run(firstRun())

			s.Equal([]contract.CloseBackorderInput{{OrderID: "SO-1", IncidentID: "INC-1", Outcome: tc.outcome, Note: tc.wantNote}},
				inputsOf[contract.CloseBackorderInput](h, "CloseBackorder"))
			s.Equal(tc.outcome, h.result().Stage)
		})
	}
}

// At a re-check, an order moved back to Pending ends its episode without
// another notice.
func (s *BackorderWorkflowSuite) TestRecheckEndsAnOrderNoLongerBackordered() {
	h := s.newHarness()
	h.assessments = []contract.Assessment{
		assessment("39.98", false),
		{OrderID: "SO-1", AsOf: "2025-03-25", Status: "Pending", Currency: "USD", BackorderValue: "0.00"},
	}

	h.run(firstRun())

	s.Equal(append(append([]string{}, firstRunSteps...), "AssessBackorder", "CloseBackorder: not_backordered"), h.steps())
	s.Equal(firstRunNotices, h.sentNotices(), "no \"delivery moved\" email")
	s.Equal(contract.StageNotBackordered, h.result().Stage)
}

// The customer hears of at most BACKORDER_MAX_CUSTOMER_NOTICES dates; the
// next missed ETA escalates the episode, which keeps waiting.
func (s *BackorderWorkflowSuite) TestNoticeCapEscalates() {
	h := s.newHarness()
	first := assessment("39.98", false)
	first.MaxCustomerNotices = 2
	recheck := func(day, ends string) contract.Assessment {
		a := first
		a.AsOf, a.Today, a.TodayEndsAt = day, day, utc(ends)
		return a
	}
	h.assessments = []contract.Assessment{first, recheck("2025-03-25", "2025-03-26T00:00:00Z"), recheck("2025-04-02", "2025-04-03T00:00:00Z")}
	h.leadTimes = []contract.LeadTimes{leadTimes(14), leadTimes(7)}
	var escalated contract.BackorderState
	// ETA 2025-03-24 passes, revised to 2025-04-01 (notice 2); that passes,
	// revised to 2025-04-09 with no notice: escalated.
	h.statusAt("2025-04-03T12:00:00Z", &escalated)
	h.signalAt("2025-04-05T12:00:00Z", contract.SignalOrderFulfilled, "arrived")

	h.run(firstRun())

	s.Equal([]string{"NotifyCustomer: v1", "NotifyCustomer: v2"}, h.sentNotices(), "two notices, then no more")
	s.Equal(contract.StageEscalated, escalated.Stage)
	s.True(escalated.Escalated)
	s.Equal(2, escalated.CustomerNotices)
	s.Equal(3, escalated.ETAVersion, "the incident still gets the revised date")
	s.Equal([]contract.EscalateIncidentInput{{IncidentID: "INC-1", Reason: "ETA missed 2 times after 2 customer notices"}},
		inputsOf[contract.EscalateIncidentInput](h, "EscalateIncident"))
	escalations := inputsOf[contract.CreateTaskInput](h, "CreateTask")
	s.Require().Len(escalations, 3)
	s.Equal(contract.RoleProcurementManager, escalations[2].Role)
	s.Equal("ETA missed 2 times: expedite, substitute or cancel order SO-1", escalations[2].Title)
	s.Contains(h.steps(), "MarkOrderChecked: Backorder: escalated (ETA missed 2 times)")
	s.Equal(contract.StageFulfilled, h.result().Stage)
}

// A run for an order whose earlier workflow was lost continues its open
// incident: same episode key (same tasks), same ETA while it has not
// passed, the same ledger key for the notice already told.
func (s *BackorderWorkflowSuite) TestAdoptsTheOpenEpisodeOfALostWorkflow() {
	h := s.newHarness()
	adopted := assessment("39.98", false)
	adopted.OpenEpisode = &contract.OpenEpisode{IncidentID: "INC-1", EpisodeKey: "backorder-SO-1/lost-run", ETA: "2025-03-20", ETAVersion: 2}
	h.assessments = []contract.Assessment{adopted}
	var waiting contract.BackorderState
	h.statusAt("2025-03-10T10:00:00Z", &waiting)
	h.signalAt("2025-03-11T08:00:00Z", contract.SignalOrderFulfilled, nil)

	h.run(firstRun())

	s.True(waiting.Adopted)
	s.Equal("backorder-SO-1/lost-run", waiting.EpisodeKey)
	s.Equal("2025-03-20", waiting.NewETA, "the date already told stands")
	s.Equal(2, waiting.ETAVersion)
	s.Equal(2, waiting.CustomerNotices)
	for _, task := range inputsOf[contract.CreateTaskInput](h, "CreateTask") {
		s.Equal("backorder-SO-1/lost-run", task.EpisodeKey)
	}
	s.Empty(h.callsOf("ReviseIncident"))
	s.Equal([]contract.NotifyCustomerInput{{IncidentID: "INC-1", OrderID: "SO-1", ETA: "2025-03-20", ETAVersion: 2}},
		inputsOf[contract.NotifyCustomerInput](h, "NotifyCustomer"), "the same ledger key: no second email for it")
}

// An adopted episode whose ETA passed while no workflow watched gets a
// revised date.
func (s *BackorderWorkflowSuite) TestAdoptedEpisodeWithAPassedETAIsRevised() {
	h := s.newHarness()
	adopted := assessment("39.98", false)
	adopted.OpenEpisode = &contract.OpenEpisode{IncidentID: "INC-1", EpisodeKey: "backorder-SO-1/lost-run", ETA: "2025-03-01", ETAVersion: 1}
	h.assessments = []contract.Assessment{adopted}
	h.signalAt("2025-03-11T08:00:00Z", contract.SignalOrderFulfilled, nil)

	h.run(firstRun())

	s.Equal([]string{"ReviseIncident: v2"}, stepsNamed(h, "ReviseIncident"))
	s.Equal([]contract.NotifyCustomerInput{{IncidentID: "INC-1", OrderID: "SO-1", ETA: "2025-03-24", ETAVersion: 2}},
		inputsOf[contract.NotifyCustomerInput](h, "NotifyCustomer"))
}

// An adopted episode whose customer already heard as many dates as they
// will, and whose ETA passed while no workflow watched, has missed that
// ETA: no further notice, the episode escalates and keeps waiting.
func (s *BackorderWorkflowSuite) TestAdoptedEpisodePastTheNoticeCapEscalates() {
	h := s.newHarness()
	adopted := assessment("39.98", false)
	adopted.MaxCustomerNotices = 2
	adopted.OpenEpisode = &contract.OpenEpisode{IncidentID: "INC-1", EpisodeKey: "backorder-SO-1/lost-run", ETA: "2025-03-01", ETAVersion: 2}
	h.assessments = []contract.Assessment{adopted}
	var waiting contract.BackorderState
	h.statusAt("2025-03-10T10:00:00Z", &waiting)
	h.signalAt("2025-03-11T08:00:00Z", contract.SignalOrderCancelled, "customer gave up")

	h.run(firstRun())

	s.Empty(h.callsOf("NotifyCustomer"), "the customer heard two dates already")
	s.Equal([]string{"ReviseIncident: v3"}, stepsNamed(h, "ReviseIncident"), "the incident still gets the new date")
	s.Equal([]contract.EscalateIncidentInput{{IncidentID: "INC-1", Reason: "ETA missed 1 times after 2 customer notices"}},
		inputsOf[contract.EscalateIncidentInput](h, "EscalateIncident"))
	s.Equal(contract.StageEscalated, waiting.Stage)
	s.True(waiting.Escalated)
	s.Contains(h.steps(), "MarkOrderChecked: Backorder: escalated (ETA missed 1 times)")
	s.Equal(contract.StageCancelled, h.result().Stage)
}

func stepsNamed(h *backorderHarness, name string) []string {
	var out []string
	for _, c := range h.callsOf(name) {
		out = append(out, c.Step)
	}
	return out
}

// complete-task and revise-eta answer at once: a refusal reaches the
// caller and writes nothing; an accepted one is applied.
func (s *BackorderWorkflowSuite) TestUpdatesValidateBeforeWriting() {
	h := s.newHarness()
	type answer struct {
		rejected, failed error
		state            contract.BackorderState
	}
	answers := map[string]*answer{}
	update := func(instant, key, name string, arg any) {
		h.at(instant, func() {
			a := &answer{}
			answers[key] = a
			h.env.UpdateWorkflow(name, key, &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { a.rejected = err },
				OnComplete: func(v any, err error) {
					a.failed = err
					if st, ok := v.(contract.BackorderState); ok {
						a.state = st
					}
				},
			}, arg)
		})
	}
	update("2025-03-11T09:00:00Z", "unknown", contract.UpdateCompleteTask, contract.TaskCompletedSignal{TaskID: "T-99", CompletedBy: "pat"})
	update("2025-03-11T09:01:00Z", "past", contract.UpdateCompleteTask, contract.TaskCompletedSignal{TaskID: "T-1", CompletedBy: "pat", ConfirmedETA: "2025-03-11"})
	update("2025-03-11T09:02:00Z", "ok", contract.UpdateCompleteTask, contract.TaskCompletedSignal{TaskID: "T-1", CompletedBy: "pat", ConfirmedETA: "2025-03-30"})
	update("2025-03-11T09:03:00Z", "again", contract.UpdateCompleteTask, contract.TaskCompletedSignal{TaskID: "T-1", CompletedBy: "pat"})
	update("2025-03-11T09:04:00Z", "revise", contract.UpdateReviseETA, contract.ReviseETARequest{ETA: "2025-04-02", RevisedBy: "sam", Note: "ship slipped"})
	update("2025-03-11T09:05:00Z", "revise-bad", contract.UpdateReviseETA, contract.ReviseETARequest{ETA: "soon", RevisedBy: "sam"})
	h.signalAt("2025-03-12T00:00:00Z", contract.SignalOrderFulfilled, nil)

	h.run(firstRun())

	s.ErrorContains(answers["unknown"].rejected, `task "T-99" is not a task of order SO-1`)
	s.ErrorContains(answers["past"].rejected, "2025-03-11 is not after today (2025-03-11)")
	s.NoError(answers["ok"].rejected)
	s.NoError(answers["ok"].failed)
	s.Equal("2025-03-30", answers["ok"].state.NewETA)
	s.ErrorContains(answers["again"].rejected, "task T-1 is already done")
	s.NoError(answers["revise"].failed)
	s.Equal("2025-04-02", answers["revise"].state.NewETA)
	s.Equal(3, answers["revise"].state.ETAVersion)
	s.ErrorContains(answers["revise-bad"].rejected, "is not a date")

	s.Len(h.callsOf("CompleteTask"), 1, "refusals write nothing")
	revisions := inputsOf[contract.ReviseIncidentInput](h, "ReviseIncident")
	s.Require().Len(revisions, 2)
	s.Equal("sam", revisions[1].RevisedBy)
	s.Equal("ship slipped", revisions[1].Note)
	s.Equal([]string{"NotifyCustomer: v1", "NotifyCustomer: v2", "NotifyCustomer: v3"}, h.sentNotices())
}

// A fulfilment that arrives while the customer's notice is still waiting
// for its retry cancels it: the notice is never sent, and the process is
// not held up by it.
func (s *BackorderWorkflowSuite) TestFulfilmentCancelsANoticeNotYetSent() {
	h := s.newHarness()
	h.firstNoticeErr = errors.New("SendGrid answered HTTP 503")
	var waiting contract.BackorderState
	// Half a second in: before the retry, which the notification policy
	// schedules 1 s after the failed attempt. At 1 s itself the two raced,
	// and the retry sometimes went first.
	h.statusAt("2025-03-10T09:00:00.5Z", &waiting)
	h.signalAt("2025-03-10T09:00:00.5Z", contract.SignalOrderFulfilled, nil)

	h.run(firstRun())

	s.Equal(contract.StageAwaitingFulfillment, waiting.Stage, "the failing email holds nothing up")
	s.Equal(firstRunNotices, h.sentNotices(), "one attempt; its retry (1 s later) was cancelled")
	s.Equal(append(append([]string{}, firstRunSteps...), "CloseBackorder: fulfilled"), h.steps())
	final := h.result()
	s.Equal(contract.StageFulfilled, final.Stage)
	s.False(final.CustomerNotified)
}
