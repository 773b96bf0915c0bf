package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/acme/backorders/internal/testing/devstack"
)

// What the Temporal Web UI and CLI show of a backorder (user metadata), as
// an operator finds it after a sweep: what the workflow is about, what
// each step and timer does, what it waits on now; and no customer's
// address or phone number anywhere in it.
func TestWebUIShowsWhatEachBackorderIsAbout(t *testing.T) {
	s := newStack(t)
	sweep := s.sweepFixtures()
	c := s.temporalClient()
	eta := etaAfter(14)

	swept, err := c.DescribeWorkflow(t.Context(), sweep.SweepID, "")
	require.NoError(t, err)
	sweepSummary, err := swept.GetStaticSummary()
	require.NoError(t, err)
	assert.Equal(t, "Sweep of overdue backorders as of 2026-11-27", sweepSummary)

	desc, err := c.DescribeWorkflow(t.Context(), "backorder-SO-1002", "")
	require.NoError(t, err)
	summary, err := desc.GetStaticSummary()
	require.NoError(t, err)
	details, err := desc.GetStaticDetails()
	require.NoError(t, err)
	assert.Equal(t, "SO-1002: 17 days late, 1500.00 USD at stake", summary)
	assert.Contains(t, details, "Order SO-1002")
	assert.Contains(t, details, "| SKU-2 | Gadget | 10 | 10 |", "the order's line: SKU, product, quantity, backordered")
	assertNoContactDetails(t, summary+details)
	described := s.temporalSays("workflow", "describe", "--workflow-id", "backorder-SO-1002")
	assert.Contains(t, described, "SO-1002: 17 days late, 1500.00 USD at stake", "temporal workflow describe shows the summary")

	// Every activity, local activity and timer of the run says what it
	// does; the customer's email and the timers read as the process does.
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		var summaries []string
		iter := c.GetWorkflowHistory(t.Context(), "backorder-SO-1002", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			event, err := iter.Next()
			if !assert.NoError(ct, err) {
				return
			}
			step := event.GetEventType()
			switch {
			case step == enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
				step == enumspb.EVENT_TYPE_TIMER_STARTED,
				step == enumspb.EVENT_TYPE_MARKER_RECORDED && event.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity":
				summary := text(ct, event.GetUserMetadata().GetSummary())
				assert.NotEmpty(ct, summary, "event %d (%s) has no summary", event.GetEventId(), step)
				summaries = append(summaries, summary)
			}
		}
		all := strings.Join(summaries, "\n")
		for _, want := range []string{
			"assess the backorder: delay, value and supplier lead times",
			"mark the order and create a task for procurement_manager",
			"log the incident: ETA " + eta,
			"email customer: delay notice, ETA " + eta,
			"wait until ETA " + eta + " passes",
			"wait for the business day to end: refresh the delay",
		} {
			assert.Contains(ct, all, want)
		}
		assertNoContactDetails(ct, all)
	}, 30*time.Second, 500*time.Millisecond)

	// What it waits on now, and how that changes with the work done.
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		now := s.temporalSays("workflow", "metadata", "--workflow-id", "backorder-SO-1002")
		assert.Contains(ct, now, "Awaiting fulfilment; ETA "+eta)
		assert.Regexp(ct, `Tasks open: \S+ procurement, \S+ inventory clerk`, now)
	}, 30*time.Second, 500*time.Millisecond)
	procurement := s.openTask("SO-1002", "procurement_manager")
	s.mustRun("task", "complete", procurement.ID, "--by", "alice", "--note", "supplier chased")
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		now := s.temporalSays("workflow", "metadata", "--workflow-id", "backorder-SO-1002")
		assert.Regexp(ct, `Tasks open: \S+ inventory clerk`, now)
		assert.NotContains(ct, now, procurement.ID, "a done task is not waited on")
	}, 30*time.Second, 500*time.Millisecond)
	s.mustRun("fulfill", "SO-1002", "--note", "call jane@example.com")
	s.awaitStage("SO-1002", "fulfilled")
	now := s.temporalSays("workflow", "metadata", "--workflow-id", "backorder-SO-1002")
	assert.Contains(t, now, "Fulfilled: the backorder has ended")
	assertNoContactDetails(t, now)
}

// text decodes a user-metadata payload ("" when there is none).
func text(t require.TestingT, p *commonpb.Payload) string {
	var s string
	if p != nil {
		require.NoError(t, converter.GetDefaultDataConverter().FromPayload(p, &s))
	}
	return s
}

// assertNoContactDetails: no email address or phone number of the
// fixtures' customers or the warehouse manager.
func assertNoContactDetails(t assert.TestingT, shown string) {
	assert.NotContains(t, shown, "@")
	for _, phone := range []string{"+14155552671", "+15555550100"} {
		assert.NotContains(t, shown, phone)
	}
}

// temporalSays runs the official Temporal CLI against the stack's dev
// server and returns what it printed.
func (s *stack) temporalSays(args ...string) string {
	s.t.Helper()
	path, err := devstack.TemporalCLIPath()
	require.NoError(s.t, err)
	args = append(args, "--address", s.envValue("TEMPORAL_ADDRESS"), "--namespace", s.envValue("TEMPORAL_NAMESPACE"))
	out, err := exec.Command(path, args...).CombinedOutput()
	require.NoError(s.t, err, "temporal %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}
