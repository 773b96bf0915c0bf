// Package operations is what people do to the backorder process: complete
// a human task, revise an ETA, fulfil or cancel an order, read an order's
// state and list open backorders. The starter command, the web app and the
// JSON API call these same methods, so a rule (a status guard, a date
// check, what happens when Temporal is down) holds whichever way it is
// reached. Failures a caller must tell apart come as NotFoundError,
// RefusedError and InvalidError (match them with errors.As); anything else
// is a runtime failure.
package operations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/config"
	"github.com/acme/backorders/internal/store"
)

// Service carries out the operations against PostgreSQL and Temporal.
type Service struct {
	Store    *store.Store
	Temporal client.Client
	Config   config.Config

	// OpenStore and DialTemporal, when set, stand in for a nil Store or
	// Temporal, called each time one is needed (they cache the connection):
	// the command line connects only to what an operation needs, and only
	// after its input was checked.
	OpenStore    func(context.Context) (*store.Store, error)
	DialTemporal func() (client.Client, error)
}

// NotFoundError: the order, task or workflow named does not exist. The
// CLI exits 3 on it; over HTTP it is 404.
type NotFoundError struct {
	What string // "order", "task", "backorder workflow" or "running backorder workflow"
	ID   string // the id the caller gave (for a workflow, the order id)
	Hint string // what to do about it
}

func (e *NotFoundError) Error() string {
	switch e.What {
	case whatWorkflow:
		return fmt.Sprintf("no backorder workflow for order %s: %s", e.ID, e.Hint)
	case whatRunningWorkflow:
		return fmt.Sprintf("order %s has no running backorder workflow, so %s", e.ID, e.Hint)
	}
	return fmt.Sprintf("%s %s does not exist: %s", e.What, e.ID, e.Hint)
}

const (
	whatWorkflow        = "backorder workflow"
	whatRunningWorkflow = "running backorder workflow"
)

// RefusedError: a rule said no, and nothing was changed: an order's status
// guard, a task no longer open, a date not after today, the workflow's
// Update validator. Field names the input field the refusal is about
// ("confirmed_eta", "eta"), empty when it is about the whole request. The
// CLI exits 4 on it; over HTTP it is 409 (Field empty) or 422.
type RefusedError struct {
	Field  string
	Reason string
}

func (e *RefusedError) Error() string { return withField(e.Field, e.Reason) }

// InvalidError: an input that does not parse (a date that is not
// YYYY-MM-DD, an empty id). Field names it. The CLI exits 2 on it (a bad
// flag value); over HTTP it is 400.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return withField(e.Field, e.Reason) }

func withField(field, reason string) string {
	if field == "" {
		return reason
	}
	return field + ": " + reason
}

// updateTimeout bounds one Temporal Update or signal: the workflow's
// handler runs activities before it answers, but a worker that is not
// running must not hang the caller.
const updateTimeout = 30 * time.Second

func (s *Service) store(ctx context.Context) (*store.Store, error) {
	switch {
	case s.Store != nil:
		return s.Store, nil
	case s.OpenStore != nil:
		return s.OpenStore(ctx)
	}
	return nil, errors.New("operations: no database (Service.Store is nil)")
}

func (s *Service) temporal() (client.Client, error) {
	switch {
	case s.Temporal != nil:
		return s.Temporal, nil
	case s.DialTemporal != nil:
		return s.DialTemporal()
	}
	return nil, errors.New("operations: no Temporal client (Service.Temporal is nil)")
}

// required refuses an empty id.
func required(field, value string) error {
	if value == "" {
		return &InvalidError{Field: field, Reason: "is required"}
	}
	return nil
}

// futureDate parses a date that must be after today in the business
// timezone: a new ETA cannot be today or in the past.
func (s *Service) futureDate(field, value string) (time.Time, error) {
	d, err := backorder.ParseDate(value)
	if err != nil {
		return d, &InvalidError{Field: field, Reason: err.Error()}
	}
	if today := backorder.DateOf(time.Now(), s.Config.Location); !d.After(today) {
		return d, &RefusedError{Field: field, Reason: fmt.Sprintf(
			"%s is not after today (%s, %s): give the date the goods are now expected, tomorrow or later",
			value, today.Format(backorder.DateLayout), s.Config.Location)}
	}
	return d, nil
}
