package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/activities"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/report"
)

type ReportWorkflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
}

func TestWeeklyReportWorkflow(t *testing.T) {
	suite.Run(t, new(ReportWorkflowSuite))
}

// reportHarness runs WeeklyReportWorkflow against mocked store and email
// activities that record what they were given. PreviousReportWeek runs for
// real (it is pure) in New York.
type reportHarness struct {
	env        *testsuite.TestWorkflowEnvironment
	computeErr error

	mu       sync.Mutex
	computed []string
	stored   []report.Report
	emailed  []report.Report
}

func (s *ReportWorkflowSuite) newHarness(start time.Time) *reportHarness {
	ny, err := time.LoadLocation("America/New_York")
	s.Require().NoError(err)
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterActivity(&activities.Activities{Settings: activities.Settings{Location: ny}})

	h := &reportHarness{env: env}
	env.OnActivity(a.ComputeWeeklyReport, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.ComputeReportInput) (report.Report, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.computed = append(h.computed, in.Week)
			return report.Report{Week: in.Week, OpenCount: 3, RevenueAtRisk: report.Money{"USD": "12.50"}}, h.computeErr
		})
	env.OnActivity(a.StoreReport, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.StoreReportInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.stored = append(h.stored, in.Report)
			return nil
		})
	env.OnActivity(a.EmailReport, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contract.EmailReportInput) (contract.EmailOutcome, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.emailed = append(h.emailed, in.Report)
			return contract.EmailOutcome{Sent: 1}, nil
		})
	return h
}

func (h *reportHarness) run(in contract.WeeklyReportInput) (report.Report, error) {
	h.env.ExecuteWorkflow(WeeklyReportWorkflow, in)
	var r report.Report
	if err := h.env.GetWorkflowError(); err != nil {
		return r, err
	}
	return r, h.env.GetWorkflowResult(&r)
}

var friday = time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) // 2026-W48

func (s *ReportWorkflowSuite) TestOnDemandComputesAndStoresWithoutEmail() {
	h := s.newHarness(friday)
	r, err := h.run(contract.WeeklyReportInput{Week: "2026-W48"})
	s.Require().NoError(err)
	want := report.Report{Week: "2026-W48", OpenCount: 3, RevenueAtRisk: report.Money{"USD": "12.50"}}
	s.Equal(want, r)
	s.Equal([]string{"2026-W48"}, h.computed)
	s.Equal([]report.Report{want}, h.stored)
	s.Empty(h.emailed, "on-demand runs do not email")
}

func (s *ReportWorkflowSuite) TestEmailsWhenAsked() {
	h := s.newHarness(friday)
	r, err := h.run(contract.WeeklyReportInput{Week: "2026-W47", Email: true})
	s.Require().NoError(err)
	s.Len(h.stored, 1)
	s.Equal([]report.Report{r}, h.emailed)
}

// A scheduled run caught up days late (Tuesday of the next week) still
// reports the week before the one it was due in.
func (s *ReportWorkflowSuite) TestScheduledRunReportsTheWeekBeforeItWasDue() {
	h := s.newHarness(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) // 2026-W49
	due := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)           // Monday 08:00 in New York, 2026-W48
	s.Require().NoError(h.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(scheduledStartTimeKey.ValueSet(due))))
	r, err := h.run(contract.WeeklyReportInput{Email: true})
	s.Require().NoError(err)
	s.Equal("2026-W47", r.Week)
	s.Equal([]string{"2026-W47"}, h.computed)
	s.Len(h.emailed, 1)
}

func (s *ReportWorkflowSuite) TestEmptyWeekWithoutScheduleIsTheLastCompleteOne() {
	// Monday 02:00 UTC is still Sunday in New York: the last complete week
	// there is the one before.
	h := s.newHarness(time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC))
	r, err := h.run(contract.WeeklyReportInput{})
	s.Require().NoError(err)
	s.Equal("2026-W47", r.Week)
}

func (s *ReportWorkflowSuite) TestRejectsABadWeekBeforeAnyWork() {
	h := s.newHarness(friday)
	_, err := h.run(contract.WeeklyReportInput{Week: "2026-48"})
	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(err, &appErr), "%v", err)
	s.Equal(contract.ErrTypeInvalidInput, appErr.Type())
	s.True(appErr.NonRetryable())
	s.Empty(h.computed)
}

func (s *ReportWorkflowSuite) TestNothingStoredWhenTheReportFails() {
	h := s.newHarness(friday)
	h.computeErr = temporal.NewNonRetryableApplicationError("week has not started", contract.ErrTypeInvalidInput, nil)
	_, err := h.run(contract.WeeklyReportInput{Week: "2026-W49", Email: true})
	require.Error(s.T(), err)
	s.Empty(h.stored)
	s.Empty(h.emailed)
}
