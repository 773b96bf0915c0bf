package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/acme/backorders/internal/contract"
)

// The human tasks of an episode: created once per key, listed, completed.

// Task is a human task.
type Task struct {
	ID           string
	OrderID      string
	Role         contract.Role
	Title        string
	Status       contract.TaskStatus
	CreatedAt    time.Time
	CompletedAt  *time.Time
	CompletedBy  *string
	Note         *string
	ConfirmedETA *time.Time
	// Acknowledged: the order's workflow knows the task is done.
	Acknowledged bool
}

const taskColumns = `id, order_id, role, title, status, created_at, completed_at, completed_by, note, confirmed_eta, acknowledged_at IS NOT NULL`

func scanTask(row pgx.Row) (Task, error) {
	var t Task
	err := row.Scan(&t.ID, &t.OrderID, &t.Role, &t.Title, &t.Status, &t.CreatedAt,
		&t.CompletedAt, &t.CompletedBy, &t.Note, &t.ConfirmedETA, &t.Acknowledged)
	return t, err
}

// NewTask is a task to create once per idempotency key.
type NewTask struct {
	IdemKey    string
	OrderID    string
	IncidentID string
	Role       contract.Role
	Title      string
}

// CreateTask creates the task for its key, or returns the one created by an
// earlier attempt.
func (s *Store) CreateTask(ctx context.Context, nt NewTask) (Task, error) {
	return createTask(ctx, s.pool, nt)
}

func createTask(ctx context.Context, q queryer, nt NewTask) (Task, error) {
	var incident *string
	if nt.IncidentID != "" {
		incident = &nt.IncidentID
	}
	t, err := scanTask(q.QueryRow(ctx, `
		INSERT INTO tasks (idem_key, order_id, incident_id, role, title)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (idem_key) DO UPDATE SET idem_key = EXCLUDED.idem_key
		RETURNING `+taskColumns, nt.IdemKey, nt.OrderID, incident, nt.Role, nt.Title))
	if err != nil {
		return t, fmt.Errorf("creating %s task for order %s: %w", nt.Role, nt.OrderID, err)
	}
	return t, nil
}

// Task loads one task.
func (s *Store) Task(ctx context.Context, id string) (Task, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("task %s: %w", id, ErrNotFound)
	}
	return t, err
}

// TaskFilter narrows ListTasks; empty fields match everything.
type TaskFilter struct {
	Role    contract.Role
	Status  contract.TaskStatus
	OrderID string
}

// ListTasks lists tasks, oldest first.
func (s *Store) ListTasks(ctx context.Context, f TaskFilter) ([]Task, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE ($1 = '' OR role = $1) AND ($2 = '' OR status = $2) AND ($3 = '' OR order_id = $3)
		ORDER BY created_at, id`, f.Role, f.Status, f.OrderID)
	if err != nil {
		return nil, fmt.Errorf("listing tasks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Task, error) { return scanTask(r) })
}

// TaskCompletion records who finished a task.
type TaskCompletion struct {
	TaskID       string
	CompletedBy  string
	Note         string
	ConfirmedETA *time.Time
	At           time.Time
	// Acknowledged: the order's workflow made this completion, so it knows
	// of it. Without it, the next sweep tells the workflow.
	Acknowledged bool
}

// ErrTaskClosed: the task was closed as obsolete and cannot be completed.
var ErrTaskClosed = errors.New("task is closed as obsolete")

// CompleteTask marks an open task done. Completing a done task again is a
// no-op that returns it as it is (and, when Acknowledged, records that the
// workflow now knows).
func (s *Store) CompleteTask(ctx context.Context, c TaskCompletion) (Task, error) {
	t, err := scanTask(s.pool.QueryRow(ctx, `
		UPDATE tasks SET status = 'done', completed_at = $2, completed_by = $3,
		       note = NULLIF($4, ''), confirmed_eta = $5, acknowledged_at = CASE WHEN $6 THEN now() END
		WHERE id = $1 AND status = 'open'
		RETURNING `+taskColumns, c.TaskID, c.At, c.CompletedBy, c.Note, c.ConfirmedETA, c.Acknowledged))
	if errors.Is(err, pgx.ErrNoRows) {
		if c.Acknowledged {
			if _, err := s.pool.Exec(ctx, `UPDATE tasks SET acknowledged_at = now()
				WHERE id = $1 AND status = 'done' AND acknowledged_at IS NULL`, c.TaskID); err != nil {
				return t, fmt.Errorf("acknowledging task %s: %w", c.TaskID, err)
			}
		}
		t, err = s.Task(ctx, c.TaskID)
		if err == nil && t.Status == contract.TaskObsolete {
			return t, fmt.Errorf("task %s: %w", c.TaskID, ErrTaskClosed)
		}
		return t, err
	}
	if err != nil {
		return t, fmt.Errorf("completing task %s: %w", c.TaskID, err)
	}
	return t, nil
}
