package operations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
)

// CompleteTask is a request to complete a human task.
type CompleteTask struct {
	TaskID string
	// By is who completed it; required.
	By   string
	Note string
	// ConfirmedETA is the supplier-confirmed delivery date, YYYY-MM-DD,
	// after today in the business timezone; empty when none.
	ConfirmedETA string
}

// TaskCompleted is what CompleteTask did. When the order's workflow
// recorded the completion, the embedded state is what it reported after
// doing so; when Deferred is set, the completion is in PostgreSQL only,
// the state is zero but for OrderID, and the next sweep tells the
// workflow.
type TaskCompleted struct {
	contract.BackorderState
	TaskID       string
	CompletedBy  string
	ConfirmedETA string
	// ETAChanged: the completion moved the order's ETA (to NewETA, revision
	// ETAVersion).
	ETAChanged bool
	// Deferred says why the workflow was not told now (Temporal
	// unreachable, no running workflow, no answer in time); empty when it
	// recorded the completion.
	Deferred string
}

func taskNotFound(taskID string) error {
	return &NotFoundError{What: "task", ID: taskID, Hint: "list tasks with `starter tasks --status open`"}
}

// CompleteTask completes a task through the complete-task Update of its
// order's workflow, whose validator checks it (a task it knows, not
// already completed, a confirmed ETA after today); with a confirmed ETA
// the order's ETA may move. When the workflow cannot be reached (Temporal
// down, no running workflow, no worker answering in time) the completion
// is recorded in PostgreSQL only and TaskCompleted.Deferred says why; the
// next sweep passes it on. A task not open, a date not after today or the
// validator's refusal is a *RefusedError; an unknown task a
// *NotFoundError; a date that does not parse an *InvalidError. The date is
// checked before anything is contacted.
func (s *Service) CompleteTask(ctx context.Context, in CompleteTask) (TaskCompleted, error) {
	done := TaskCompleted{TaskID: in.TaskID, CompletedBy: in.By, ConfirmedETA: in.ConfirmedETA}
	if err := required("task_id", in.TaskID); err != nil {
		return done, err
	}
	if err := required("by", in.By); err != nil {
		return done, err
	}
	// Whole seconds: CompletedAt travels as RFC 3339 and is compared with
	// the stored completed_at below.
	completion := store.TaskCompletion{TaskID: in.TaskID, CompletedBy: in.By, Note: in.Note, At: time.Now().UTC().Truncate(time.Second)}
	if in.ConfirmedETA != "" {
		d, err := s.futureDate("confirmed_eta", in.ConfirmedETA)
		if err != nil {
			return done, err
		}
		completion.ConfirmedETA = &d
	}
	db, err := s.store(ctx)
	if err != nil {
		return done, err
	}
	task, err := db.Task(ctx, in.TaskID)
	if errors.Is(err, store.ErrNotFound) {
		return done, taskNotFound(in.TaskID)
	}
	if err != nil {
		return done, err
	}
	done.OrderID = task.OrderID
	if err := s.taskNotOpen(task); err != nil {
		return done, err
	}
	c, err := s.temporal()
	if err != nil {
		return s.recordCompletion(ctx, db, done, completion,
			fmt.Sprintf("Temporal at %s could not be reached, so the next sweep will tell order %s's workflow", s.Config.TemporalAddress, task.OrderID))
	}
	before, err := db.OpenEpisodeOf(ctx, task.OrderID)
	if err != nil {
		return done, err
	}
	state, err := updateOrder(ctx, c, task.OrderID, contract.UpdateCompleteTask, contract.TaskCompletedSignal{
		TaskID: task.ID, CompletedBy: in.By, Note: in.Note, ConfirmedETA: in.ConfirmedETA,
		CompletedAt: completion.At.Format(time.RFC3339),
	})
	outcome, reason := classifyUpdate(err)
	switch outcome {
	case updateDone:
	case updateRefused:
		return done, &RefusedError{Reason: fmt.Sprintf("order %s's workflow refused to complete task %s: %s (nothing was changed)", task.OrderID, task.ID, reason)}
	case updateNoWorkflow:
		return s.recordCompletion(ctx, db, done, completion,
			fmt.Sprintf("order %s has no running backorder workflow: the next sweep will pick the order up", task.OrderID))
	case updateUnreachable:
		return s.recordCompletion(ctx, db, done, completion,
			fmt.Sprintf("Temporal at %s could not be reached, so the next sweep will tell order %s's workflow", s.Config.TemporalAddress, task.OrderID))
	case updateTimedOut:
		return s.recordCompletion(ctx, db, done, completion,
			fmt.Sprintf("order %s's workflow did not answer within %s (is a worker running?), so the next sweep will tell it", task.OrderID, updateTimeout))
	default:
		return done, fmt.Errorf("completing task %s through order %s's workflow failed (nothing was changed): %s", task.ID, task.OrderID, reason)
	}
	done.BackorderState = state
	done.ETAChanged = state.NewETA != "" && (before == nil || state.ETAVersion != before.ETAVersion)
	return done, nil
}

// taskNotOpen refuses a task that is no longer open; nil when it is open.
func (s *Service) taskNotOpen(t store.Task) error {
	switch t.Status {
	case contract.TaskOpen:
		return nil
	case contract.TaskObsolete:
		return &RefusedError{Reason: fmt.Sprintf("task %s was closed when order %s's backorder ended; nothing to complete (nothing was changed)", t.ID, t.OrderID)}
	}
	var who, when string
	if t.CompletedBy != nil {
		who = " by " + *t.CompletedBy
	}
	if t.CompletedAt != nil {
		when = " at " + t.CompletedAt.In(s.Config.Location).Format("2006-01-02 15:04 MST")
	}
	return &RefusedError{Reason: fmt.Sprintf("task %s is already %s%s%s: nothing to do (nothing was changed)", t.ID, t.Status, who, when)}
}

// recordCompletion records the completion in PostgreSQL only, not
// acknowledged, so the next sweep tells the workflow; why says why the
// workflow was not told now.
func (s *Service) recordCompletion(ctx context.Context, db *store.Store, done TaskCompleted, c store.TaskCompletion, why string) (TaskCompleted, error) {
	task, err := db.CompleteTask(ctx, c)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return done, taskNotFound(c.TaskID)
	case errors.Is(err, store.ErrTaskClosed):
		return done, s.taskNotOpen(task)
	case err != nil:
		return done, err
	}
	if task.CompletedAt == nil || !task.CompletedAt.Equal(c.At) {
		// Someone else completed it since it was loaded.
		return done, s.taskNotOpen(task)
	}
	if c.ConfirmedETA != nil {
		done.ConfirmedETA = c.ConfirmedETA.Format(backorder.DateLayout)
	}
	done.Deferred = why
	return done, nil
}
