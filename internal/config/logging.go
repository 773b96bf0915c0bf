package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// Log formats (BACKORDER_LOG_FORMAT).
const (
	// LogFormatText is slog's key=value lines, for people.
	LogFormatText = "text"
	// LogFormatJSON is one JSON object a line, for a log collector.
	LogFormatJSON = "json"
)

// logLevels are BACKORDER_LOG_LEVEL's values.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// Log is how the worker logs, its own lines and the Temporal SDK's.
type Log struct {
	// Format is LogFormatText or LogFormatJSON (BACKORDER_LOG_FORMAT).
	Format string
	// Level is the least severe level written (BACKORDER_LOG_LEVEL).
	Level slog.Level
}

// loadLog reads BACKORDER_LOG_FORMAT and BACKORDER_LOG_LEVEL, either in
// any case.
func (cfg *Config) loadLog(get func(name, def string) string) []error {
	var errs []error
	format := get("BACKORDER_LOG_FORMAT", LogFormatText)
	switch strings.ToLower(format) {
	case LogFormatText, LogFormatJSON:
		cfg.Log.Format = strings.ToLower(format)
	default:
		errs = append(errs, fmt.Errorf("BACKORDER_LOG_FORMAT=%q must be %s or %s", format, LogFormatText, LogFormatJSON))
	}
	level := get("BACKORDER_LOG_LEVEL", "info")
	var ok bool
	if cfg.Log.Level, ok = logLevels[strings.ToLower(level)]; !ok {
		errs = append(errs, fmt.Errorf("BACKORDER_LOG_LEVEL=%q must be one of debug, info, warn, error", level))
	}
	return errs
}
