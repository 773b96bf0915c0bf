package logging

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/config"
)

// jsonLines reads one JSON object a line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	scan := bufio.NewScanner(strings.NewReader(out))
	for scan.Scan() {
		var line map[string]any
		require.NoError(t, json.Unmarshal(scan.Bytes(), &line), "not JSON: %s", scan.Text())
		lines = append(lines, line)
	}
	return lines
}

func TestNewWritesTheFormatFromTheLevel(t *testing.T) {
	var out bytes.Buffer
	logger := New(&out, config.Log{Format: config.LogFormatJSON, Level: slog.LevelWarn})
	logger.Info("not written")
	logger.Warn("written", "order_id", "SO-1")
	lines := jsonLines(t, out.String())
	require.Len(t, lines, 1)
	assert.Equal(t, "written", lines[0]["msg"])
	assert.Equal(t, "WARN", lines[0]["level"])
	assert.Equal(t, "SO-1", lines[0]["order_id"])

	out.Reset()
	logger = New(&out, config.Log{Format: config.LogFormatText, Level: slog.LevelDebug})
	logger.Debug("details", "order_id", "SO-2")
	assert.Contains(t, out.String(), `level=DEBUG msg=details order_id=SO-2`)
}

// Inside an activity, For is the SDK's activity logger: its lines name the
// workflow, the run and the activity. Outside, the fallback.
func TestForTagsActivityLines(t *testing.T) {
	var out bytes.Buffer
	logger := New(&out, config.Log{Format: config.LogFormatJSON, Level: slog.LevelInfo})
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(logger))
	env := suite.NewTestActivityEnvironment()
	logOnce := func(ctx context.Context) error {
		For(ctx, slog.New(slog.DiscardHandler)).Info("inside", "order_id", "SO-1")
		return nil
	}
	env.RegisterActivityWithOptions(logOnce, activity.RegisterOptions{Name: "LogOnce"})
	_, err := env.ExecuteActivity("LogOnce")
	require.NoError(t, err)

	var inside map[string]any
	for _, line := range jsonLines(t, out.String()) {
		if line["msg"] == "inside" {
			inside = line
		}
	}
	require.NotNil(t, inside, "the activity's line:\n%s", out.String())
	assert.Equal(t, "LogOnce", inside["ActivityType"])
	assert.NotEmpty(t, inside["WorkflowID"])
	assert.NotEmpty(t, inside["RunID"])
	assert.Equal(t, "SO-1", inside["order_id"])

	out.Reset()
	For(context.Background(), logger).Info("outside")
	lines := jsonLines(t, out.String())
	require.Len(t, lines, 1)
	assert.Equal(t, "outside", lines[0]["msg"])
	assert.NotContains(t, lines[0], "WorkflowID")
}
