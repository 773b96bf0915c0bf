package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
	"github.com/acme/backorders/internal/store"
)

// taskView is a human task; its first five fields are those of
// `starter tasks --json`.
type taskView struct {
	ID           string              `json:"id"`
	OrderID      string              `json:"order_id"`
	Role         contract.Role       `json:"role"`
	Title        string              `json:"title"`
	Status       contract.TaskStatus `json:"status"`
	CreatedAt    time.Time           `json:"created_at"`
	CompletedAt  *time.Time          `json:"completed_at"`
	CompletedBy  *string             `json:"completed_by"`
	Note         *string             `json:"note"`
	ConfirmedETA *string             `json:"confirmed_eta"`
}

type taskList struct {
	Tasks []taskView `json:"tasks"`
}

// listTasks lists tasks, oldest first, filtered like `starter tasks`.
func (a *api) listTasks(r *http.Request, _ store.APIToken) (int, any, error) {
	q := r.URL.Query()
	f := store.TaskFilter{Role: contract.Role(q.Get("role")), Status: contract.TaskStatus(q.Get("status")), OrderID: q.Get("order_id")}
	switch f.Status {
	case "", contract.TaskOpen, contract.TaskDone, contract.TaskObsolete:
	default:
		return 0, nil, &Error{Status: http.StatusBadRequest, Code: codeInvalid, Field: "status",
			Message: fmt.Sprintf("status %q: use %s, %s or %s", f.Status, contract.TaskOpen, contract.TaskDone, contract.TaskObsolete)}
	}
	switch f.Role {
	case "", contract.RoleProcurementManager, contract.RoleInventoryClerk:
	default:
		return 0, nil, &Error{Status: http.StatusBadRequest, Code: codeInvalid, Field: "role",
			Message: fmt.Sprintf("role %q: use %s or %s", f.Role, contract.RoleProcurementManager, contract.RoleInventoryClerk)}
	}
	tasks, err := a.db.ListTasks(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	out := taskList{Tasks: make([]taskView, len(tasks))}
	for i, t := range tasks {
		v := taskView{ID: t.ID, OrderID: t.OrderID, Role: t.Role, Title: t.Title, Status: t.Status,
			CreatedAt: t.CreatedAt.UTC(), CompletedAt: t.CompletedAt, CompletedBy: t.CompletedBy, Note: t.Note}
		if t.ConfirmedETA != nil {
			eta := t.ConfirmedETA.Format(backorder.DateLayout)
			v.ConfirmedETA = &eta
		}
		out.Tasks[i] = v
	}
	return http.StatusOK, out, nil
}

// taskCompletion is the body of POST /tasks/{task_id}/complete.
type taskCompletion struct {
	Note string `json:"note"`
	// ConfirmedETA: the supplier-confirmed date, YYYY-MM-DD, after today
	// in BACKORDER_TIMEZONE (procurement).
	ConfirmedETA string `json:"confirmed_eta"`
}

// taskCompleted answers a completion.
type taskCompleted struct {
	TaskID       string `json:"task_id"`
	OrderID      string `json:"order_id"`
	CompletedBy  string `json:"completed_by"`
	ConfirmedETA string `json:"confirmed_eta,omitempty"`
	// WorkflowTold: the order's workflow recorded the completion, and
	// Backorder is its state after it. Otherwise it is recorded in
	// PostgreSQL and Deferred says why; the next sweep tells the workflow.
	WorkflowTold bool                     `json:"workflow_told"`
	Deferred     string                   `json:"deferred,omitempty"`
	ETAChanged   bool                     `json:"eta_changed"`
	Backorder    *contract.BackorderState `json:"backorder,omitempty"`
}

// completeTask completes a task through the complete-task Update, as
// `starter task complete` does, recorded as done by the token's name.
func (a *api) completeTask(r *http.Request, caller store.APIToken) (int, any, error) {
	var in taskCompletion
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	done, err := a.ops.CompleteTask(r.Context(), operations.CompleteTask{
		TaskID: r.PathValue("task_id"), By: caller.Name, Note: in.Note, ConfirmedETA: in.ConfirmedETA,
	})
	if err != nil {
		return 0, nil, err
	}
	out := taskCompleted{TaskID: done.TaskID, OrderID: done.OrderID, CompletedBy: done.CompletedBy,
		ConfirmedETA: done.ConfirmedETA, WorkflowTold: done.Deferred == "", Deferred: done.Deferred, ETAChanged: done.ETAChanged}
	if out.WorkflowTold {
		out.Backorder = &done.BackorderState
	}
	return http.StatusOK, out, nil
}
