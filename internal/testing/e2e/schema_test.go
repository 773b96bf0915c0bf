package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/testing/pgtest"
)

// The worker refuses a database without the backorder schema, in one
// line that says what to run, before it reaches for Temporal.
func TestWorkerRefusesAnUnmigratedDatabase(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	cmd := exec.Command(filepath.Join(binDir, "worker"))
	cmd.Env = []string{"DATABASE_URL=" + dbURL, "TEMPORAL_ADDRESS=127.0.0.1:1", "BACKORDER_TIMEZONE=UTC",
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the worker did not stop on an unmigrated database")
	}
	require.Error(t, err)
	assert.Contains(t, string(out), "has no backorder schema: run `starter migrate`")
	assert.NotContains(t, string(out), "cannot reach Temporal", "the schema is checked first")
}
