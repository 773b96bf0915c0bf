package cli

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/testing/devstack"
)

// scheduleIDs lists the namespace's schedules by id, with how often each
// id appears.
func scheduleIDs(ctx context.Context, t require.TestingT, c client.Client) map[string]int {
	iter, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{})
	require.NoError(t, err)
	ids := map[string]int{}
	for iter.HasNext() {
		s, err := iter.Next()
		require.NoError(t, err)
		ids[s.ID]++
	}
	return ids
}

// Setup runs again and again (every deploy, every `make demo`): each run
// must leave exactly one report schedule, on the configured cron and
// timezone, skipping overlaps and catching up after downtime.
func TestReportScheduleIsCreatedOnceHoweverOftenSetupRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Temporal dev server: the integration tier, skipped with -short (make check)")
	}
	if _, err := devstack.TemporalCLIPath(); err != nil {
		t.Fatalf("the Temporal CLI is needed for this test: %v", err)
	}
	ctx := context.Background()
	server, err := testsuite.StartDevServer(ctx, devstack.DevServerOptions(t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = server.Stop() })
	c := server.Client()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)

	for i, wantCreated := range []bool{true, false, false} {
		created, err := ensureReportSchedule(ctx, c, "reports-q", config.DefaultReportSchedule, ny)
		require.NoError(t, err, "setup run %d", i+1)
		assert.Equal(t, wantCreated, created, "setup run %d", i+1)
		created, err = ensureSweepSchedule(ctx, c, "reports-q", time.Hour)
		require.NoError(t, err, "setup run %d", i+1)
		assert.Equal(t, wantCreated, created, "setup run %d: the sweep's schedule goes through the same code", i+1)
	}
	// Listing reads the visibility store, which catches up asynchronously.
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		assert.Equal(ct, map[string]int{contract.ReportScheduleID: 1, contract.SweepScheduleID: 1}, scheduleIDs(ctx, ct, c))
	}, 30*time.Second, 200*time.Millisecond)

	desc, err := c.ScheduleClient().GetHandle(ctx, contract.ReportScheduleID).Describe(ctx)
	require.NoError(t, err)
	assert.Equal(t, "America/New_York", desc.Schedule.Spec.TimeZoneName)
	assert.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, desc.Schedule.Policy.Overlap)
	assert.Equal(t, 7*24*time.Hour, desc.Schedule.Policy.CatchupWindow)
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok, "%T", desc.Schedule.Action)
	assert.Equal(t, contract.ReportScheduleID, action.ID)
	assert.Equal(t, contract.WeeklyReportWorkflowName, action.Workflow)
	assert.Equal(t, "reports-q", action.TaskQueue)
	var in contract.WeeklyReportInput
	require.Len(t, action.Args, 1)
	payload, ok := action.Args[0].(*commonpb.Payload)
	require.True(t, ok, "%T", action.Args[0])
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(payload, &in))
	assert.Equal(t, contract.WeeklyReportInput{Email: true}, in, "scheduled runs report the last complete week and email it")
	requireNextRuns(t, desc, ny, time.Monday, 8, 0)

	// A changed BACKORDER_REPORT_SCHEDULE moves the one schedule.
	created, err := ensureReportSchedule(ctx, c, "reports-q", "30 7 * * 2", ny)
	require.NoError(t, err)
	assert.False(t, created)
	desc, err = c.ScheduleClient().GetHandle(ctx, contract.ReportScheduleID).Describe(ctx)
	require.NoError(t, err)
	requireNextRuns(t, desc, ny, time.Tuesday, 7, 30)

	_, err = ensureReportSchedule(ctx, c, "reports-q", "61 8 * * 1", ny)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "BACKORDER_REPORT_SCHEDULE")
}

// requireNextRuns checks the schedule's coming runs fall on the weekday and
// wall-clock time in loc.
func requireNextRuns(t *testing.T, desc *client.ScheduleDescription, loc *time.Location, day time.Weekday, hour, minute int) {
	t.Helper()
	require.NotEmpty(t, desc.Info.NextActionTimes)
	for _, next := range desc.Info.NextActionTimes {
		local := next.In(loc)
		assert.Equal(t, day, local.Weekday(), "%s", local)
		assert.Equal(t, [2]int{hour, minute}, [2]int{local.Hour(), local.Minute()}, "%s", local)
	}
}
