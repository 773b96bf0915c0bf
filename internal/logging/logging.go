// Package logging makes the worker's logger (BACKORDER_LOG_FORMAT and
// BACKORDER_LOG_LEVEL), which the Temporal SDK logs through too, and picks
// the logger for code that runs inside activities and outside them.
package logging

import (
	"context"
	"io"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"

	"github.com/acme/backorders/internal/config"
)

// New is a logger writing to w in the configured format, from the
// configured level up.
func New(w io.Writer, c config.Log) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == config.LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// For is the logger for ctx: inside an activity, the SDK's activity
// logger, whose lines carry the workflow id, run id, activity type and
// attempt; elsewhere (a starter command), fallback.
func For(ctx context.Context, fallback *slog.Logger) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return log.NewStructuredLogger(fallback)
}
