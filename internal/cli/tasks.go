package cli

import (
	"errors"
	"fmt"
	"os/user"
	"time"

	"github.com/spf13/cobra"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/workflows"
)

// taskJSON is the public JSON of `starter tasks --json`.
type taskJSON struct {
	ID      string `json:"id"`
	OrderID string `json:"order_id"`
	Role    string `json:"role"`
	Title   string `json:"title"`
	Status  string `json:"status"`
}

func newTasksCmd(e *env) *cobra.Command {
	var role, status string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "List human tasks (procurement_manager, inventory_clerk)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch status {
			case "", "open", "done", "obsolete":
			default:
				return fmt.Errorf("--status %q: use open, done or obsolete", status)
			}
			switch role {
			case "", workflows.RoleProcurementManager, workflows.RoleInventoryClerk:
			default:
				return fmt.Errorf("--role %q: use %s or %s", role, workflows.RoleProcurementManager, workflows.RoleInventoryClerk)
			}
			db, err := e.store(cmd.Context())
			if err != nil {
				return err
			}
			tasks, err := db.ListTasks(cmd.Context(), store.TaskFilter{Role: role, Status: status})
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
	task := &cobra.Command{Use: "task", Short: "Act on one human task"}
	var by, note, eta string
	complete := &cobra.Command{
		Use:   "complete TASK_ID",
		Short: "Mark a task done and tell the order's workflow (with --eta, a confirmed supplier date)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			completion := store.TaskCompletion{TaskID: args[0], CompletedBy: by, Note: note, At: time.Now().UTC()}
			if eta != "" {
				d, err := backorder.ParseDate(eta)
				if err != nil {
					return fmt.Errorf("--eta: %w", err)
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
			done, err := db.CompleteTask(ctx, completion)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("task %s does not exist: list tasks with `starter tasks --status open`", args[0])
			case errors.Is(err, store.ErrTaskClosed):
				return fmt.Errorf("task %s was closed when its order's backorder ended; nothing to complete", args[0])
			case err != nil:
				return err
			}
			c, err := e.client()
			if err != nil {
				return err
			}
			// Signal even when the task was done already: the workflow ignores
			// repeats, and this makes good a signal a previous run lost.
			err = c.SignalWorkflow(ctx, workflows.BackorderWorkflowID(done.OrderID), "", workflows.SignalTaskCompleted,
				workflows.TaskCompletedSignal{
					TaskID: done.ID, CompletedBy: completion.CompletedBy, Note: note, ConfirmedETA: eta,
					CompletedAt: completion.At.Format(time.RFC3339),
				})
			if isNotFound(err) {
				fmt.Fprintf(e.out, "task %s done; order %s has no running backorder workflow\n", done.ID, done.OrderID)
				return nil
			}
			if err != nil {
				return fmt.Errorf("task %s is marked done, but signalling order %s's workflow failed (run this again to retry): %w", done.ID, done.OrderID, err)
			}
			fmt.Fprintf(e.out, "task %s done by %s; order %s's workflow notified\n", done.ID, completion.CompletedBy, done.OrderID)
			return nil
		},
	}
	complete.Flags().StringVar(&by, "by", "", "who completed it (default: the current user)")
	complete.Flags().StringVar(&note, "note", "", "what was done or found")
	complete.Flags().StringVar(&eta, "eta", "", "supplier-confirmed delivery date, YYYY-MM-DD (procurement)")
	task.AddCommand(complete)
	return task
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
