package systest

import (
	"context"
	"fmt"
	"time"
)

// reportEvery paces a Wait's progress reports.
const reportEvery = 10 * time.Second

// Wait polls a condition until it holds.
type Wait struct {
	// What is waited for, as errors name it.
	What string
	// Limit bounds the wait.
	Limit time.Duration
	// Every is the pause between checks.
	Every time.Duration
	// Report, when set, gets the latest status every ten seconds of
	// waiting, with how long the wait has lasted.
	Report func(status string, waited time.Duration)
	// TolerateErrors: a check's error (the database or the server is
	// down, as a drill intends) is kept and the wait goes on; it is
	// reported only with the limit passed. Without it, an error ends the
	// wait.
	TolerateErrors bool
	// Guard, when set, runs after every check; its error ends the wait at
	// once (a process died on its own, say).
	Guard func() error
}

// NotReachedError: the condition did not hold within the limit.
type NotReachedError struct {
	What  string
	Limit time.Duration
	// Status is the last status a check reported.
	Status string
	// LastErr is the last check's error, if it failed.
	LastErr error
}

func (e *NotReachedError) Error() string {
	if e.LastErr != nil {
		return fmt.Sprintf("%s: not reached within %s (%s; last error: %v)", e.What, e.Limit, e.Status, e.LastErr)
	}
	return fmt.Sprintf("%s: not reached within %s (%s)", e.What, e.Limit, e.Status)
}

// Until calls check until it reports done. It returns ctx's error when ctx
// ends, a *NotReachedError when the limit passes, the check's error
// unless TolerateErrors, and the guard's error, wrapped.
func (w Wait) Until(ctx context.Context, check func(context.Context) (done bool, status string, err error)) error {
	start := time.Now()
	deadline := start.Add(w.Limit)
	lastReport := start
	var lastErr error
	status := ""
	for {
		done, st, err := check(ctx)
		switch {
		case err == nil:
			status, lastErr = st, nil
			if done {
				return nil
			}
		case w.TolerateErrors:
			lastErr = err
		default:
			return err
		}
		if w.Guard != nil {
			if err := w.Guard(); err != nil {
				return fmt.Errorf("waiting for %s: %w", w.What, err)
			}
		}
		if time.Now().After(deadline) {
			return &NotReachedError{What: w.What, Limit: w.Limit, Status: status, LastErr: lastErr}
		}
		if w.Report != nil && time.Since(lastReport) >= reportEvery {
			w.Report(status, time.Since(start))
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.Every):
		}
	}
}
