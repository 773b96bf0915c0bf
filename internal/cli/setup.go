package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/describe"
	"github.com/acme/backorders/internal/store"
)

// setupJSON is `setup --json`, documented in docs/operations.md.
type setupJSON struct {
	DatabaseCreated  bool              `json:"database_created"`
	Migration        migrationJSON     `json:"migration"`
	SearchAttributes searchAttrsJSON   `json:"search_attributes"`
	Schedules        []scheduleSetJSON `json:"schedules"`
}

type searchAttrsJSON struct {
	Registered     int `json:"registered"`
	AlreadyPresent int `json:"already_present"`
}

type scheduleSetJSON struct {
	ID      string `json:"id"`
	Created bool   `json:"created"` // false: it existed and was updated
	Spec    string `json:"spec"`    // the sweep's interval or the report's cron expression
}

func newSetupCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Create the database, run migrations, register search attributes and schedules (idempotent)",
		Long: `setup makes the system ready to run, and may run again at every deploy:

  1. creates the database DATABASE_URL names when it is missing (through
     the server's "postgres" database); one that exists is left as it is,
     so a role without CREATEDB is fine once the database is there;
  2. applies the pending schema migrations (as ` + "`starter migrate`" + ` does);
  3. registers the search attributes the Web UI filters on;
  4. creates or updates the sweep and weekly-report schedules.

On managed PostgreSQL, where the role may not create databases, create the
database yourself, run ` + "`starter migrate`" + `, then setup for the Temporal side.`,
		Example: `  starter setup
  starter setup --json   # {"database_created", "migration", "search_attributes", "schedules"}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			// Without --json each step's line comes as it is done, so a
			// failure shows how far setup got.
			say := func(format string, args ...any) {
				if !asJSON {
					fmt.Fprintf(e.out, format, args...)
				}
			}
			var out setupJSON
			created, err := store.EnsureDatabase(ctx, e.cfg.DatabaseURL)
			if err != nil {
				return err
			}
			out.DatabaseCreated = created
			db, err := e.storeAsIs(ctx)
			if err != nil {
				return err
			}
			if created {
				say("database      created\n")
			}
			m, err := db.ApplyMigrations(ctx)
			if err != nil {
				return err
			}
			out.Migration = migrationToJSON(m)
			say("database      %s\n", migrationSummary(m))
			c, err := e.client()
			if err != nil {
				return err
			}
			added, err := registerSearchAttributes(ctx, c, e.cfg.TemporalNamespace)
			if err != nil {
				return err
			}
			out.SearchAttributes = searchAttrsJSON{Registered: added, AlreadyPresent: len(contract.SearchAttributeKeys) - added}
			say("search attrs  %d registered, %d already present\n", added, len(contract.SearchAttributeKeys)-added)
			created, err = ensureSweepSchedule(ctx, c, e.cfg.TaskQueue, e.cfg.SweepInterval)
			if err != nil {
				return err
			}
			out.Schedules = append(out.Schedules, scheduleSetJSON{ID: contract.SweepScheduleID, Created: created, Spec: e.cfg.SweepInterval.String()})
			say("schedule      %s %s (sweep every %s)\n", contract.SweepScheduleID, createdOrUpdated(created), e.cfg.SweepInterval)
			created, err = ensureReportSchedule(ctx, c, e.cfg.TaskQueue, e.cfg.ReportSchedule, e.cfg.Location)
			if err != nil {
				return err
			}
			out.Schedules = append(out.Schedules, scheduleSetJSON{ID: contract.ReportScheduleID, Created: created, Spec: e.cfg.ReportSchedule})
			say("schedule      %s %s (weekly report at %q in %s)\n",
				contract.ReportScheduleID, createdOrUpdated(created), e.cfg.ReportSchedule, e.cfg.Location)
			if asJSON {
				return e.printJSON(out)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// registerSearchAttributes adds the typed search attributes the Web UI
// filters on, skipping those the namespace already has.
func registerSearchAttributes(ctx context.Context, c client.Client, namespace string) (int, error) {
	existing, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return 0, fmt.Errorf("listing search attributes of namespace %q: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, key := range contract.SearchAttributeKeys {
		have, ok := existing.CustomAttributes[key.GetName()]
		if ok && have != key.GetValueType() {
			return 0, fmt.Errorf("search attribute %s exists with type %s, want %s: remove it from namespace %q or use another namespace",
				key.GetName(), have, key.GetValueType(), namespace)
		}
		if !ok {
			missing[key.GetName()] = key.GetValueType()
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return 0, fmt.Errorf("registering search attributes on namespace %q: %w", namespace, err)
	}
	return len(missing), nil
}

// ensureSweepSchedule creates the schedule that sweeps every interval, or
// brings an existing one to the configured interval.
func ensureSweepSchedule(ctx context.Context, c client.Client, taskQueue string, every time.Duration) (created bool, err error) {
	return ensureSchedule(ctx, c, client.ScheduleOptions{
		ID:   contract.SweepScheduleID,
		Spec: client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}},
		Action: &client.ScheduleWorkflowAction{
			ID:            contract.SweepScheduleID,
			Workflow:      contract.SweepWorkflowName,
			Args:          []any{contract.SweepInput{}},
			TaskQueue:     taskQueue,
			StaticSummary: describe.SweepSummary(""),
		},
		// A sweep still running when the next is due makes the next redundant.
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: every,
	})
}

// reportCatchupWindow: a weekly report missed while Temporal was down still
// runs when it is back within a week.
const reportCatchupWindow = 7 * 24 * time.Hour

// ensureReportSchedule creates the schedule that runs the weekly report
// (and emails it) at the cron expression's times in loc, or brings an
// existing one to them.
func ensureReportSchedule(ctx context.Context, c client.Client, taskQueue, cron string, loc *time.Location) (created bool, err error) {
	created, err = ensureSchedule(ctx, c, client.ScheduleOptions{
		ID:   contract.ReportScheduleID,
		Spec: client.ScheduleSpec{CronExpressions: []string{cron}, TimeZoneName: loc.String()},
		Action: &client.ScheduleWorkflowAction{
			ID:        contract.ReportScheduleID,
			Workflow:  contract.WeeklyReportWorkflowName,
			Args:      []any{contract.WeeklyReportInput{Email: true}},
			TaskQueue: taskQueue,
		},
		// A report still running when the next is due: skip the next.
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: reportCatchupWindow,
	})
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) {
		return false, fmt.Errorf("%w: set BACKORDER_REPORT_SCHEDULE to a cron expression such as %q", err, config.DefaultReportSchedule)
	}
	return created, err
}

// ensureSchedule creates the schedule opts describes, or, when it exists
// already (setup ran before), updates its spec to opts': one schedule
// however often setup runs.
func ensureSchedule(ctx context.Context, c client.Client, opts client.ScheduleOptions) (created bool, err error) {
	_, err = c.ScheduleClient().Create(ctx, opts)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return false, fmt.Errorf("creating schedule %s: %w", opts.ID, err)
	}
	err = c.ScheduleClient().GetHandle(ctx, opts.ID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &opts.Spec
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		},
	})
	if err != nil {
		return false, fmt.Errorf("updating schedule %s: %w", opts.ID, err)
	}
	return false, nil
}

func createdOrUpdated(created bool) string {
	if created {
		return "created"
	}
	return "updated"
}
