package cli

import (
	"context"
	"fmt"
	"os/user"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
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
				return badValue("--status %q: use %s, %s or %s", status, contract.TaskOpen, contract.TaskDone, contract.TaskObsolete)
			}
			switch contract.Role(role) {
			case "", contract.RoleProcurementManager, contract.RoleInventoryClerk:
			default:
				return badValue("--role %q: use %s or %s", role, contract.RoleProcurementManager, contract.RoleInventoryClerk)
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
	var asJSON bool
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
			return e.completeTask(cmd.Context(), operations.CompleteTask{TaskID: args[0], By: by, Note: note, ConfirmedETA: eta}, asJSON)
		},
	}
	complete.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	complete.Flags().StringVar(&by, "by", "", "who completed it (default: the current user)")
	complete.Flags().StringVar(&note, "note", "", "what was done or found")
	complete.Flags().StringVar(&eta, "eta", "", "supplier-confirmed delivery date, YYYY-MM-DD, after today (procurement)")
	task.AddCommand(complete)
	return task
}

// taskCompletedJSON is the public JSON of `starter task complete --json`.
type taskCompletedJSON struct {
	TaskID       string `json:"task_id"`
	OrderID      string `json:"order_id"`
	CompletedBy  string `json:"completed_by"`
	ConfirmedETA string `json:"confirmed_eta,omitempty"`
	// RecordedByWorkflow: the order's workflow recorded it, and State is
	// its state after doing so. Otherwise the completion is in PostgreSQL
	// only, Deferred says why, and the next sweep tells the workflow.
	RecordedByWorkflow bool                     `json:"recorded_by_workflow"`
	Deferred           string                   `json:"deferred,omitempty"`
	ETAChanged         bool                     `json:"eta_changed"`
	State              *contract.BackorderState `json:"state,omitempty"`
}

// completeTask completes a task through the operations service and says
// what happened.
func (e *env) completeTask(ctx context.Context, in operations.CompleteTask, asJSON bool) error {
	if in.By == "" {
		in.By = currentUser()
	}
	done, err := e.ops().CompleteTask(ctx, in)
	if err != nil {
		return flagNamed(err, "confirmed_eta", "--eta")
	}
	if asJSON {
		out := taskCompletedJSON{TaskID: done.TaskID, OrderID: done.OrderID, CompletedBy: done.CompletedBy,
			ConfirmedETA: done.ConfirmedETA, Deferred: done.Deferred, ETAChanged: done.ETAChanged}
		if done.Deferred == "" {
			out.RecordedByWorkflow, out.State = true, &done.BackorderState
		}
		return e.printJSON(out)
	}
	if done.Deferred != "" {
		eta := ""
		if done.ConfirmedETA != "" {
			eta = ", with confirmed ETA " + done.ConfirmedETA
		}
		fmt.Fprintf(e.out, "task %s is recorded done by %s in the database%s; %s\n", done.TaskID, done.CompletedBy, eta, done.Deferred)
		return nil
	}
	msg := fmt.Sprintf("task %s done by %s; order %s's workflow recorded it", done.TaskID, done.CompletedBy, done.OrderID)
	if done.ETAChanged {
		msg += fmt.Sprintf("; the order's new ETA is %s (revision %d)", done.NewETA, done.ETAVersion)
	}
	fmt.Fprintln(e.out, msg)
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
