package cli

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// taskJSON is the public JSON of `starter tasks --json`.
type taskJSON struct {
	ID      string              `json:"id"`
	OrderID string              `json:"order_id"`
	Role    contract.Role       `json:"role"`
	Title   string              `json:"title"`
	Status  contract.TaskStatus `json:"status"`
}

func newTasksCmd(e *env) *cobra.Command {
	var role, status string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "List human tasks (procurement_manager, inventory_clerk)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch contract.TaskStatus(status) {
			case "", contract.TaskOpen, contract.TaskDone, contract.TaskObsolete:
			default:
				return fmt.Errorf("--status %q: use %s, %s or %s", status, contract.TaskOpen, contract.TaskDone, contract.TaskObsolete)
			}
			switch contract.Role(role) {
			case "", contract.RoleProcurementManager, contract.RoleInventoryClerk:
			default:
				return fmt.Errorf("--role %q: use %s or %s", role, contract.RoleProcurementManager, contract.RoleInventoryClerk)
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			tasks, err := db.ListTasks(cmd.Context(), store.TaskFilter{Role: contract.Role(role), Status: contract.TaskStatus(status)})
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]taskJSON, len(tasks))
				for i, t := range tasks {
					out[i] = taskJSON{ID: t.ID, OrderID: t.OrderID, Role: t.Role, Title: t.Title, Status: t.Status}
				}
				return e.printJSON(out)
			}
			if len(tasks) == 0 {
				fmt.Fprintln(e.out, "no tasks match")
				return nil
			}
			t := e.table()
			fmt.Fprintln(t, "ID\tORDER\tROLE\tSTATUS\tAGE\tTITLE")
			for _, task := range tasks {
				fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\n", task.ID, task.OrderID, task.Role, task.Status,
					age(time.Since(task.CreatedAt)), task.Title)
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "only tasks for this role (procurement_manager or inventory_clerk)")
	cmd.Flags().StringVar(&status, "status", "", "only tasks in this status (open, done or obsolete)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newTaskCmd(e *env) *cobra.Command {
	task := &cobra.Command{
		Use:   "task",
		Short: "Act on one human task",
		Long:  "task acts on one human task; see `starter tasks` for their ids.",
	}
	var by, note, eta string
	complete := &cobra.Command{
		Use:   "complete TASK_ID",
		Short: "Complete a task through its order's workflow (with --eta, a confirmed supplier date)",
		Long: `complete sends the complete-task update to the task's backorder-<ORDER_ID>
workflow, which checks it (a task it knows, not already completed, a
confirmed ETA after today) and records it; with --eta the order's ETA may
move, and the new one is printed. A refusal is shown in one line and
nothing is written.

--eta must be a date after today in BACKORDER_TIMEZONE; it is checked
before anything is contacted. A task already done, or closed when its
backorder ended, is refused.

If Temporal cannot be reached, or the order has no running workflow, the
completion is recorded in PostgreSQL only, and the next sweep tells the
order's workflow (or starts one that picks it up).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.completeTask(cmd.Context(), args[0], by, note, eta)
		},
	}
	complete.Flags().StringVar(&by, "by", "", "who completed it (default: the current user)")
	complete.Flags().StringVar(&note, "note", "", "what was done or found")
	complete.Flags().StringVar(&eta, "eta", "", "supplier-confirmed delivery date, YYYY-MM-DD, after today (procurement)")
	task.AddCommand(complete)
	return task
}

// completeTask completes a task through the complete-task update, or, when
// the workflow cannot be reached, in PostgreSQL for the next sweep to pass
// on.
func (e *env) completeTask(ctx context.Context, taskID, by, note, eta string) error {
	// Whole seconds: CompletedAt travels as RFC 3339 and is compared with
	// the stored completed_at below.
	completion := store.TaskCompletion{TaskID: taskID, CompletedBy: by, Note: note, At: time.Now().UTC().Truncate(time.Second)}
	if eta != "" {
		d, err := e.futureDate("--eta", eta)
		if err != nil {
			return err
		}
		completion.ConfirmedETA = &d
	}
	if completion.CompletedBy == "" {
		completion.CompletedBy = currentUser()
	}
	db, err := e.store(ctx)
	if err != nil {
		return err
	}
	task, err := db.Task(ctx, taskID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("task %s does not exist: list tasks with `starter tasks --status open`", taskID)
	}
	if err != nil {
		return err
	}
	if err := e.taskNotOpen(task); err != nil {
		return err
	}
	c, err := e.client()
	if err != nil {
		return e.recordCompletion(ctx, db, task, completion,
			fmt.Sprintf("Temporal at %s could not be reached, so the next sweep will tell order %s's workflow", e.cfg.TemporalAddress, task.OrderID))
	}
	var before *store.OpenEpisode
	if before, err = db.OpenEpisodeOf(ctx, task.OrderID); err != nil {
		return err
	}
	state, err := updateOrder(ctx, c, task.OrderID, contract.UpdateCompleteTask, contract.TaskCompletedSignal{
		TaskID: task.ID, CompletedBy: completion.CompletedBy, Note: note, ConfirmedETA: eta,
		CompletedAt: completion.At.Format(time.RFC3339),
	})
	outcome, reason := classifyUpdate(err)
	switch outcome {
	case updateDone:
	case updateRefused:
		return fmt.Errorf("order %s's workflow refused to complete task %s: %s (nothing was changed)", task.OrderID, task.ID, reason)
	case updateNoWorkflow:
		return e.recordCompletion(ctx, db, task, completion,
			fmt.Sprintf("order %s has no running backorder workflow: the next sweep will pick the order up", task.OrderID))
	case updateUnreachable:
		return e.recordCompletion(ctx, db, task, completion,
			fmt.Sprintf("Temporal at %s could not be reached, so the next sweep will tell order %s's workflow", e.cfg.TemporalAddress, task.OrderID))
	case updateTimedOut:
		return e.recordCompletion(ctx, db, task, completion,
			fmt.Sprintf("order %s's workflow did not answer within %s (is a worker running?), so the next sweep will tell it", task.OrderID, updateTimeout))
	default:
		return fmt.Errorf("completing task %s through order %s's workflow failed (nothing was changed): %s", task.ID, task.OrderID, reason)
	}
	msg := fmt.Sprintf("task %s done by %s; order %s's workflow recorded it", task.ID, completion.CompletedBy, task.OrderID)
	if state.NewETA != "" && (before == nil || state.ETAVersion != before.ETAVersion) {
		msg += fmt.Sprintf("; the order's new ETA is %s (revision %d)", state.NewETA, state.ETAVersion)
	}
	fmt.Fprintln(e.out, msg)
	return nil
}

// taskNotOpen refuses a task that is no longer open; nil when it is open.
func (e *env) taskNotOpen(t store.Task) error {
	switch t.Status {
	case contract.TaskOpen:
		return nil
	case contract.TaskObsolete:
		return fmt.Errorf("task %s was closed when order %s's backorder ended; nothing to complete (nothing was changed)", t.ID, t.OrderID)
	}
	var who, when string
	if t.CompletedBy != nil {
		who = " by " + *t.CompletedBy
	}
	if t.CompletedAt != nil {
		when = " at " + t.CompletedAt.In(e.cfg.Location).Format("2006-01-02 15:04 MST")
	}
	return fmt.Errorf("task %s is already %s%s%s: nothing to do (nothing was changed)", t.ID, t.Status, who, when)
}

// recordCompletion records the completion in PostgreSQL only, not
// acknowledged, so the next sweep tells the workflow; why says why the
// workflow was not told now.
func (e *env) recordCompletion(ctx context.Context, db *store.Store, task store.Task, c store.TaskCompletion, why string) error {
	done, err := db.CompleteTask(ctx, c)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("task %s does not exist: list tasks with `starter tasks --status open`", task.ID)
	case errors.Is(err, store.ErrTaskClosed):
		return e.taskNotOpen(done)
	case err != nil:
		return err
	}
	if done.CompletedAt == nil || !done.CompletedAt.Equal(c.At) {
		// Someone else completed it since it was loaded.
		return e.taskNotOpen(done)
	}
	eta := ""
	if c.ConfirmedETA != nil {
		eta = ", with confirmed ETA " + c.ConfirmedETA.Format(backorder.DateLayout)
	}
	fmt.Fprintf(e.out, "task %s is recorded done by %s in the database%s; %s\n", task.ID, c.CompletedBy, eta, why)
	return nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "cli"
}

// age is a short, human reading of a duration: "<1m", "42m", "5h", "3d".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
