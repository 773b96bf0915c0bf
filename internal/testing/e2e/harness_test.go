// Package e2e runs the real binaries against a real Temporal dev server and
// a real PostgreSQL database, the way a user drives the system.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// binDir holds the worker and starter built once for all tests.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// Every test here is end to end: nothing to build for make check.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "backorders-e2e-bin")
	if err != nil {
		panic(err)
	}
	binDir = dir
	for _, name := range []string{"worker", "starter"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../../../"+name)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", name, "failed:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// stack is one test's system: its own dev server, database, task queue and
// worker process.
type stack struct {
	t   *testing.T
	env []string
	db  *pgxpool.Pool
	// workerLogs are the log files of the workers started, in order.
	workerLogs []string
	// starterOutput is everything the starter printed, stdout and stderr.
	starterOutput lockedBuffer
	// metricsURL is the dev server's Prometheus endpoint.
	metricsURL string
}

// lockedBuffer is a bytes.Buffer safe for the goroutines EventuallyWithT
// runs its checks in.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newStack(t *testing.T, extraEnv ...string) *stack {
	if testing.Short() {
		t.Skip("needs the Temporal dev server: the integration tier, skipped with -short (make check)")
	}
	t.Helper()
	if _, err := devstack.TemporalCLIPath(); err != nil {
		t.Fatalf("the Temporal CLI is needed for end-to-end tests: %v", err)
	}
	ctx := context.Background()
	metricsPort := freePort(t)
	opts := devstack.DevServerOptions(t.TempDir())
	opts.ExtraArgs = append(opts.ExtraArgs, "--metrics-port", strconv.Itoa(metricsPort))
	server, err := testsuite.StartDevServer(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = server.Stop() })

	dbURL := pgtest.NewDatabase(t)
	s := &stack{t: t, env: append([]string{
		"DATABASE_URL=" + dbURL,
		"TEMPORAL_ADDRESS=" + server.FrontendHostPort(),
		"TEMPORAL_NAMESPACE=default",
		"BACKORDER_TASK_QUEUE=e2e",
		"BACKORDER_TIMEZONE=UTC",
		// Several workers run at once; the metrics test sets a port.
		"BACKORDER_METRICS_ADDR=",
		"WAREHOUSE_MANAGER_PHONE=+15555550100",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
	}, extraEnv...), metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)}
	s.mustRun("setup")
	s.db, err = pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(s.db.Close)
	s.startWorker()
	return s
}

func (s *stack) startWorker() { s.startWorkerWith(s.env) }

// sweepFixtures imports testdata/orders.json, sweeps it as of 2026-11-27
// and waits until its three overdue orders (SO-1001, SO-1002, SO-1005)
// await fulfilment: where most scenarios start.
func (s *stack) sweepFixtures() sweepJSON {
	s.t.Helper()
	s.mustRun("import", "--file", "testdata/orders.json")
	var sweep sweepJSON
	s.runJSON(&sweep, "sweep", "--as-of", "2026-11-27", "--wait", "--json")
	require.Equal(s.t, 3, sweep.WorkflowsStarted)
	for _, order := range []string{"SO-1001", "SO-1002", "SO-1005"} {
		s.awaitStage(order, "awaiting_fulfillment")
	}
	return sweep
}

// withEnv is the same system seen with another environment: its workers
// and starter commands use env; the database and dev server stay.
func (s *stack) withEnv(env []string) *stack {
	return &stack{t: s.t, env: env, db: s.db, metricsURL: s.metricsURL}
}

// startWorkerWith starts another worker process with its own environment;
// it is stopped when the test ends.
func (s *stack) startWorkerWith(env []string) {
	logFile, err := os.Create(filepath.Join(s.t.TempDir(), "worker.log"))
	require.NoError(s.t, err)
	s.workerLogs = append(s.workerLogs, logFile.Name())
	cmd := exec.Command(filepath.Join(binDir, "worker"))
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(s.t, cmd.Start())
	s.t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			s.t.Error("worker did not stop within 15s of SIGINT")
		}
		if s.t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			s.t.Logf("worker log:\n%s", log)
		}
	})
}

// run executes the starter and returns stdout, stderr and the exit code.
func (s *stack) run(args ...string) (stdout, stderr string, code int) {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "starter"), args...)
	cmd.Env = s.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	fmt.Fprintf(&s.starterOutput, "$ starter %s\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
	if exitErr, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), exitErr.ExitCode()
	}
	require.NoError(s.t, err)
	return out.String(), errOut.String(), 0
}

func (s *stack) mustRun(args ...string) string {
	s.t.Helper()
	out, errOut, code := s.run(args...)
	require.Equal(s.t, 0, code, "starter %s failed:\n%s", strings.Join(args, " "), errOut)
	return out
}

func (s *stack) runJSON(v any, args ...string) {
	s.t.Helper()
	out := s.mustRun(args...)
	require.NoError(s.t, json.Unmarshal([]byte(out), v), "starter %s printed:\n%s", strings.Join(args, " "), out)
}

// count runs a COUNT query.
func (s *stack) count(sql string, args ...any) int {
	s.t.Helper()
	var n int
	require.NoError(s.t, s.db.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

// freePort is a TCP port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// etaAfter is the ETA the process gives for the 2026-11-27 fixtures with a
// lead time of lead days: the later of the as-of date and today, plus the
// lead time (the business timezone of these stacks is UTC).
func etaAfter(lead int) string {
	base := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	if today := time.Now().UTC().Truncate(24 * time.Hour); today.After(base) {
		base = today
	}
	return base.AddDate(0, 0, lead).Format(time.DateOnly)
}

// confirmedETA is a supplier date a person confirms: well after today.
var confirmedETA = time.Now().UTC().AddDate(0, 0, 40).Format(time.DateOnly)
