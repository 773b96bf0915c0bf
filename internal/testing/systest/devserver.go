package systest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/acme/backorders/internal/testing/devstack"
	"github.com/acme/backorders/internal/testing/localproc"
)

// devServerStartLimit bounds a start: until the server answers a
// visibility query.
const devServerStartLimit = 90 * time.Second

// DevServerOptions place a dev server.
type DevServerOptions struct {
	// Dir holds its SQLite file (temporal.db, kept across restarts) and its
	// log (temporal.log).
	Dir string
	// Env is its environment; nil gives it PATH and HOME only.
	Env []string
	// Logf, when set, is told each time the server is up.
	Logf func(format string, args ...any)
}

// DevServer is the pinned Temporal dev server (the flags of make demo)
// persisting to a SQLite file, on a port of its own that stays the same
// across restarts, with one client that outlives them. It only ever
// signals the process it started itself.
type DevServer struct {
	opts   DevServerOptions
	port   int
	starts int
	proc   *localproc.Process
	client client.Client
}

// StartDevServer starts a dev server on a free port and waits until it
// answers.
func StartDevServer(ctx context.Context, opts DevServerOptions) (*DevServer, error) {
	d, err := newDevServer(opts)
	if err != nil {
		return nil, err
	}
	if err := d.Start(ctx); err != nil {
		d.Close(0)
		return nil, err
	}
	return d, nil
}

// newDevServer picks a free port for a dev server; Start runs it.
func newDevServer(opts DevServerOptions) (*DevServer, error) {
	if opts.Env == nil {
		opts.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	}
	port, err := localproc.FreePort()
	if err != nil {
		return nil, err
	}
	return &DevServer{opts: opts, port: port}, nil
}

// Address is the server's frontend, the same across restarts.
func (d *DevServer) Address() string { return "127.0.0.1:" + strconv.Itoa(d.port) }

// Client is the client on the server, dialled by the first Start.
func (d *DevServer) Client() client.Client { return d.client }

// Process is the running server process (for its memory, its pid).
func (d *DevServer) Process() *localproc.Process { return d.proc }

// Start runs the server on its port with its SQLite file and waits until
// it answers a visibility query: health answers before the namespace is
// loaded.
func (d *DevServer) Start(ctx context.Context) error {
	cli, err := devstack.TemporalCLIPath()
	if err != nil {
		return err
	}
	d.starts++
	args := append([]string{"server", "start-dev", "--headless", "--ip", "127.0.0.1",
		"--port", strconv.Itoa(d.port), "--db-filename", filepath.Join(d.opts.Dir, "temporal.db"), "--log-level", "error"},
		devstack.DevServerArgs()...)
	p, err := localproc.Start("temporal dev server", filepath.Join(d.opts.Dir, "temporal.log"), d.opts.Env, nil, cli, args...)
	if err != nil {
		return err
	}
	d.proc = p
	deadline := time.Now().Add(devServerStartLimit)
	for {
		if err = d.answers(ctx); err == nil {
			if d.opts.Logf != nil {
				d.opts.Logf("dev server up on %s (start %d)", d.Address(), d.starts)
			}
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("the dev server exited at start:\n%s", p.Tail(2000))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = p.Kill()
			return fmt.Errorf("the dev server did not answer on %s within %.0fs: %v\n%s", d.Address(), devServerStartLimit.Seconds(), err, p.Tail(2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// answers dials the client if there is none yet and asks the server for
// its health and a visibility count.
func (d *DevServer) answers(ctx context.Context) error {
	if d.client == nil {
		c, err := Dial(ctx, d.Address())
		if err != nil {
			return err
		}
		d.client = c
	}
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := d.client.CheckHealth(hctx, &client.CheckHealthRequest{})
	cancel()
	if err != nil {
		return err
	}
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = CountWorkflows(vctx, d.client, `WorkflowType = "none"`)
	return err
}

// Kill kills the server with SIGKILL.
func (d *DevServer) Kill() error { return d.proc.Kill() }

// Close closes the client and stops the server (SIGINT, then SIGKILL
// after grace). Safe on a server that never started.
func (d *DevServer) Close(grace time.Duration) {
	if d.client != nil {
		d.client.Close()
	}
	if d.proc != nil {
		_ = d.proc.Stop(syscall.SIGINT, grace)
	}
}

// Dial connects a client to the server at hostPort, within 3 s, with the
// SDK's logging silenced.
func Dial(ctx context.Context, hostPort string) (client.Client, error) {
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	return client.DialContext(dctx, client.Options{HostPort: hostPort, Logger: quiet})
}

// countTimeout bounds one count. The SDK's CountWorkflow gives up after
// its 10 s RPC timeout, which a count over 100,000 workflows in the dev
// server's SQLite exceeded (the benchmark's scale point); the service
// call takes the context's deadline instead.
const countTimeout = 5 * time.Minute

// CountWorkflows counts the workflows of the default namespace (the dev
// servers' only one) a visibility query matches.
func CountWorkflows(ctx context.Context, c client.Client, query string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, countTimeout)
	defer cancel()
	resp, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: client.DefaultNamespace, Query: query})
	if err != nil {
		return 0, err
	}
	return int(resp.Count), nil
}

// ListWorkflows lists the workflows of the default namespace a visibility
// query matches ("" lists every one), reading every page.
func ListWorkflows(ctx context.Context, c client.Client, query string) ([]*workflowpb.WorkflowExecutionInfo, error) {
	var all []*workflowpb.WorkflowExecutionInfo
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, PageSize: 1000, NextPageToken: token})
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetExecutions()...)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return all, nil
		}
	}
}
