package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/fakes/sendgridfake"
	"github.com/acme/backorders/internal/testing/fakes/twiliofake"
	"github.com/acme/backorders/internal/testing/localproc"
	"github.com/acme/backorders/internal/testing/systest"
)

// Provider credentials the worker is given; the fakes accept only these.
const (
	sendGridAPIKey   = "SG.chaos-drill-key"
	sendGridFrom     = "backorders@shop.example"
	twilioAccountSID = "AC0000000000000000000000000000c4a0"
	twilioAuthToken  = "chaosdrilltoken"
	twilioFrom       = "+14155552671"
	warehousePhone   = "+14155550100"
	statusCallback   = "https://hooks.shop.example/twilio"
	taskQueue        = "backorders-chaos"
)

// StackOptions place one drill's system.
type StackOptions struct {
	// WorkerBinary is the built worker (bin/worker), run as a process so it
	// can be killed.
	WorkerBinary string
	// ServerURL is the shared PostgreSQL server (DATABASE_URL) the stack
	// creates its own database on, unless PrivatePostgres.
	ServerURL string
	// PrivatePostgres runs a throwaway cluster instead (the outage drill).
	PrivatePostgres bool
	// Dir holds the dev server's SQLite file and every log.
	Dir  string
	Logf func(format string, args ...any)
}

// Stack is one drill's whole system: a Temporal dev server persisting to
// SQLite on its own port, a fresh database, the fake SendGrid and Twilio,
// and the worker processes. It starts, kills and restarts each of them; it
// only ever signals processes it started itself.
type Stack struct {
	opts StackOptions

	Store  *store.Store
	dbURL  string
	dropDB func()
	pg     *privatePostgres

	server   *systest.DevServer
	Temporal client.Client

	mu          sync.Mutex
	workers     []*localproc.Process
	workerStart int

	SendGrid *sendgridfake.Server
	Twilio   *twiliofake.Server

	env []string
}

// NewStack starts everything but the workers.
func NewStack(ctx context.Context, opts StackOptions) (_ *Stack, err error) {
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if _, err := os.Stat(opts.WorkerBinary); err != nil {
		return nil, fmt.Errorf("worker binary: %w (run `make build`)", err)
	}
	s := &Stack{opts: opts}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := s.startDatabase(ctx); err != nil {
		return nil, err
	}
	if s.server, err = systest.StartDevServer(ctx, systest.DevServerOptions{Dir: opts.Dir, Logf: opts.Logf}); err != nil {
		return nil, err
	}
	s.Temporal = s.server.Client()
	s.SendGrid = sendgridfake.New(sendGridAPIKey)
	s.Twilio = twiliofake.New(twilioAccountSID, twilioAuthToken)
	s.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"DATABASE_URL=" + s.dbURL,
		"TEMPORAL_ADDRESS=" + s.TemporalAddress(),
		"TEMPORAL_NAMESPACE=default",
		"BACKORDER_TASK_QUEUE=" + taskQueue,
		"BACKORDER_TIMEZONE=UTC",
		"BACKORDER_METRICS_ADDR=", // workers run side by side
		"BACKORDER_SUPPORT_EMAIL=help@shop.example",
		"WAREHOUSE_MANAGER_PHONE=" + warehousePhone,
		"BACKORDER_SMS_THRESHOLD=" + smsThreshold,
		"SENDGRID_API_KEY=" + sendGridAPIKey,
		"SENDGRID_FROM=" + sendGridFrom,
		"SENDGRID_BASE_URL=" + s.SendGrid.URL,
		"TWILIO_ACCOUNT_SID=" + twilioAccountSID,
		"TWILIO_AUTH_TOKEN=" + twilioAuthToken,
		"TWILIO_FROM=" + twilioFrom,
		"TWILIO_BASE_URL=" + s.Twilio.URL,
		"TWILIO_STATUS_CALLBACK_URL=" + statusCallback,
	}
	return s, nil
}

// startDatabase creates a fresh, migrated database: on the shared server,
// or in a private cluster.
func (s *Stack) startDatabase(ctx context.Context) error {
	if s.opts.PrivatePostgres {
		pg, err := newPrivatePostgres(ctx, "backorders")
		if err != nil {
			return err
		}
		s.pg, s.dbURL = pg, pg.url("backorders")
		s.opts.Logf("private PostgreSQL on 127.0.0.1:%d in %s", pg.port, pg.dir)
	} else {
		name := "backorders_chaos_" + randomHex(6)
		dbURL, err := store.CreateDatabase(ctx, s.opts.ServerURL, name, false)
		if err != nil {
			return fmt.Errorf("PostgreSQL from DATABASE_URL must be running (make postgres): %w", err)
		}
		s.dbURL = dbURL
		s.dropDB = func() {
			dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = store.DropDatabase(dctx, s.opts.ServerURL, name)
		}
	}
	var err error
	s.Store, err = systest.OpenMigrated(ctx, s.dbURL)
	return err
}

// Close stops the workers and the dev server, drops the database (or
// removes the private cluster) and stops the fakes. Safe to call on a
// partly started stack.
func (s *Stack) Close() {
	s.mu.Lock()
	workers := s.workers
	s.mu.Unlock()
	for _, w := range workers {
		_ = w.Stop(syscall.SIGINT, 10*time.Second)
	}
	if s.server != nil {
		s.server.Close(15 * time.Second)
	}
	if s.Twilio != nil {
		s.Twilio.Close()
	}
	if s.SendGrid != nil {
		s.SendGrid.Close()
	}
	if s.Store != nil {
		s.Store.Close()
	}
	if s.dropDB != nil {
		s.dropDB()
	}
	if s.pg != nil {
		s.pg.close()
	}
}

// TemporalAddress is the dev server's frontend, the same across restarts.
func (s *Stack) TemporalAddress() string { return s.server.Address() }

// StartServer runs the dev server again on the stack's port with its
// SQLite file (kept across restarts) and waits until it answers.
func (s *Stack) StartServer(ctx context.Context) error { return s.server.Start(ctx) }

// KillServer kills the dev server with SIGKILL.
func (s *Stack) KillServer() error {
	s.opts.Logf("SIGKILL dev server (pid %d)", s.server.Process().PID())
	return s.server.Kill()
}

// StartWorker runs one more worker process.
func (s *Stack) StartWorker() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workerStart++
	_, err := s.startWorkerLocked(fmt.Sprintf("worker %d", s.workerStart), filepath.Join(s.opts.Dir, fmt.Sprintf("worker-%d.log", s.workerStart)), s.opts.WorkerBinary)
	return err
}

// startWorkerLocked runs binary as a worker process of the stack, logging
// to logPath; s.mu is held.
func (s *Stack) startWorkerLocked(name, logPath, binary string) (*localproc.Process, error) {
	p, err := localproc.Start(name, logPath, s.env, nil, binary)
	if err != nil {
		return nil, err
	}
	s.workers = append(s.workers, p)
	s.opts.Logf("%s started (pid %d)", name, p.PID())
	return p, nil
}

// KillWorkers kills every running worker with SIGKILL.
func (s *Stack) KillWorkers() error {
	s.mu.Lock()
	workers := s.workers
	s.workers = nil
	s.mu.Unlock()
	var errs []error
	for _, w := range workers {
		s.opts.Logf("SIGKILL worker (pid %d)", w.PID())
		errs = append(errs, w.Kill())
	}
	return errors.Join(errs...)
}

// TermWorkers sends every running worker SIGTERM, as a container runtime
// does, and waits up to limit for each to exit on its own; it says how
// long the slowest took.
func (s *Stack) TermWorkers(limit time.Duration) (time.Duration, error) {
	s.mu.Lock()
	workers := s.workers
	s.workers = nil
	s.mu.Unlock()
	start := time.Now()
	var errs []error
	for _, w := range workers {
		s.opts.Logf("SIGTERM worker (pid %d)", w.PID())
		errs = append(errs, w.Stop(syscall.SIGTERM, limit))
	}
	return time.Since(start), errors.Join(errs...)
}

// RunningWorkers counts the worker processes alive.
func (s *Stack) RunningWorkers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, w := range s.workers {
		if !w.Exited() {
			n++
		}
	}
	return n
}

// checkWorkers fails when a worker the drill did not kill has exited: it
// would otherwise be noticed only as a timeout.
func (s *Stack) checkWorkers() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.workers {
		if w.Exited() {
			return fmt.Errorf("worker (pid %d) exited on its own:\n%s", w.PID(), w.Tail(3000))
		}
	}
	return nil
}

// StopDatabase stops the private PostgreSQL (fast shutdown).
func (s *Stack) StopDatabase() error {
	if s.pg == nil {
		return errors.New("only a private PostgreSQL may be stopped")
	}
	s.opts.Logf("stopping the private PostgreSQL")
	return s.pg.stop()
}

// StartDatabase starts the private PostgreSQL again and waits until it
// takes connections.
func (s *Stack) StartDatabase(ctx context.Context) error {
	if s.pg == nil {
		return errors.New("only a private PostgreSQL may be started")
	}
	err := s.pg.start(ctx)
	if err == nil {
		s.opts.Logf("private PostgreSQL back")
	}
	return err
}

// WorkerLogTail is the end of the newest worker log, for failure reports.
func (s *Stack) WorkerLogTail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return localproc.TailFile(filepath.Join(s.opts.Dir, fmt.Sprintf("worker-%d.log", s.workerStart)), n)
}

// countWorkflows counts the workflows a visibility query matches, giving
// up after 5 s (the server may be down, as a drill intends).
func (s *Stack) countWorkflows(ctx context.Context, query string) (int, error) {
	return within(ctx, func(ctx context.Context) (int, error) { return systest.CountWorkflows(ctx, s.Temporal, query) })
}

// within runs a query, giving up after 5 s (the database or the server
// may be down, as a drill intends).
func within[T any](ctx context.Context, query func(context.Context) (T, error)) (T, error) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return query(qctx)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
