package config

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogSettings(t *testing.T) {
	cfg, err := load(env(nil))
	require.NoError(t, err)
	assert.Equal(t, Log{Format: LogFormatText, Level: slog.LevelInfo}, cfg.Log, "text at info by default")

	for _, c := range []struct {
		format, level string
		want          Log
	}{
		{"json", "debug", Log{LogFormatJSON, slog.LevelDebug}},
		{"JSON", "Warn", Log{LogFormatJSON, slog.LevelWarn}},
		{"text", "error", Log{LogFormatText, slog.LevelError}},
		{" ", "", Log{LogFormatText, slog.LevelInfo}},
	} {
		cfg, err := load(env(map[string]string{"BACKORDER_LOG_FORMAT": c.format, "BACKORDER_LOG_LEVEL": c.level}))
		require.NoError(t, err, "%q %q", c.format, c.level)
		assert.Equal(t, c.want, cfg.Log, "%q %q", c.format, c.level)
	}
}

// A bad value names the variable and every value it may take.
func TestLogSettingsRefused(t *testing.T) {
	_, err := load(env(map[string]string{"BACKORDER_LOG_FORMAT": "logfmt"}))
	require.EqualError(t, err, `BACKORDER_LOG_FORMAT="logfmt" must be text or json`)

	_, err = load(env(map[string]string{"BACKORDER_LOG_LEVEL": "verbose"}))
	require.EqualError(t, err, `BACKORDER_LOG_LEVEL="verbose" must be one of debug, info, warn, error`)

	_, err = load(env(map[string]string{"BACKORDER_LOG_LEVEL": "-4"}))
	require.ErrorContains(t, err, `BACKORDER_LOG_LEVEL="-4"`, "slog's numbers are not documented values")
}
