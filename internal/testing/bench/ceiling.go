package bench

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/sync/errgroup"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/systest"
	"github.com/acme/backorders/workflows"
)

// How the real sweep starts per-order workflows, which the twin's starts
// follow: pages of 500 (workflows/sweep.go), each started from the
// worker's own client with eager start, 16 at a time, holding back while
// 32 started ones have not parked, 15 s at most per wait
// (activities/start.go).
const (
	twinPageSize         = 500
	twinStartConcurrency = 16
	twinStartWindow      = 32
	twinWindowWait       = 15 * time.Second
	twinWindowPoll       = 100 * time.Millisecond
)

// pilotOrders is the pilot's size: two of each 20 overdue orders the seed
// makes (every 20th is worth more than the SMS threshold), so every class
// of order is there in its share.
const pilotOrders = 40

// roundsPerRun is how many turns the twin and the real system take: a
// drift of the machine's speed over the run then weighs on both alike.
const roundsPerRun = 10

// twinSide is the twin's fresh dev server, with the project's flags, and
// its worker in the benchmark's process. It runs beside the real stack:
// the twins park and close in rounds that take turns with the real
// sweep's and fulfilment's.
type twinSide struct {
	server   *systest.DevServer
	client   client.Client
	worker   worker.Worker
	progress *twinProgress
	// mix is the pilot's shapes, in order id order; ids the twins'.
	mix []Shape
	ids []string
}

func (t *twinSide) shutdown() {
	if t.worker != nil {
		t.worker.Stop()
	}
	t.server.Close(20 * time.Second)
}

// ceiling prepares the honest ceiling before the real sweep: a fresh dev
// server, a pilot of the real worker on it that records each class of
// order's shape, and a worker for the no-op twin of those shapes. The
// twins run in the sweep's and fulfilment's rounds, started, parked and
// fulfilled as the real orders are, in the pilot's mix.
func (r *run) ceiling(ctx context.Context) error {
	server, err := r.startDevServer(ctx, "twin")
	if err != nil {
		return err
	}
	t := &twinSide{server: server, client: server.Client(), progress: newTwinProgress()}
	r.twin = t
	if t.mix, err = r.runPilot(ctx, server); err != nil {
		return fmt.Errorf("pilot: %w", err)
	}
	r.results.TwinShapes = shares(t.mix)
	for _, s := range r.results.TwinShapes {
		r.progressf("twin: %.1f%% %s", 100*s.Share, s.Shape)
	}
	worker.SetStickyWorkflowCacheSize(workflows.StickyCacheSize)
	w := worker.New(t.client, twinQueue, workflows.WorkerOptions())
	w.RegisterWorkflowWithOptions(TwinWorkflow, workflow.RegisterOptions{Name: twinWorkflowName})
	w.RegisterActivityWithOptions(t.progress.step, activity.RegisterOptions{Name: twinStepName})
	w.RegisterActivityWithOptions(twinNotice, activity.RegisterOptions{Name: twinNoticeName})
	if err := w.Start(); err != nil {
		return err
	}
	t.worker = w
	t.ids = make([]string, r.opts.Overdue)
	for i := range t.ids {
		t.ids[i] = fmt.Sprintf("twin-%07d", i+1)
	}
	return nil
}

// park starts the twins of one round, paced as the sweep starts orders,
// and times until every twin so far has parked.
func (t *twinSide) park(ctx context.Context, r *run, rd round) (time.Duration, error) {
	start := time.Now()
	if err := startTwins(ctx, t.client, t.ids[rd.first:rd.end], rd.first, t.mix, t.progress); err != nil {
		return 0, err
	}
	err := r.waitFor(ctx, rd.end, "twins parked", func() (int, error) {
		parked, _ := t.progress.counts()
		return parked, nil
	})
	return time.Since(start), err
}

// fulfil signals the twins of one round, as the real orders are
// signalled, and times until every twin so far has closed.
func (t *twinSide) fulfil(ctx context.Context, r *run, rd round) (time.Duration, error) {
	start := time.Now()
	err := r.signalUntil(ctx, t.ids[rd.first:rd.end], func(ctx context.Context, id string) error {
		return t.client.SignalWorkflow(ctx, id, "", twinCloseSignal, nil)
	}, rd.end, "twins closed", func() (int, error) {
		_, closed := t.progress.counts()
		return closed, nil
	})
	return time.Since(start), err
}

// startTwins starts a twin per id, the i-th twin of the run (first for
// ids[0]) of mix[i % len(mix)]'s shape, paced as the real sweep paces its
// starts.
func startTwins(ctx context.Context, c client.Client, ids []string, first int, mix []Shape, progress *twinProgress) error {
	i := first
	for page := 0; page < len(ids); page += twinPageSize {
		pageIDs := ids[page:min(page+twinPageSize, len(ids))]
		for next := 0; next < len(pageIDs); next += twinStartConcurrency {
			chunk := pageIDs[next:min(next+twinStartConcurrency, len(pageIDs))]
			g, gctx := errgroup.WithContext(ctx)
			for _, id := range chunk {
				sh := mix[i%len(mix)]
				i++
				g.Go(func() error { return startTwin(gctx, c, id, sh) })
			}
			if err := g.Wait(); err != nil {
				return err
			}
			started := pageIDs[:next+len(chunk)]
			if len(started) < twinStartWindow {
				continue
			}
			for deadline := time.Now().Add(twinWindowWait); time.Now().Before(deadline); {
				if len(started)-progress.parkedAmong(started) < twinStartWindow {
					break
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(twinWindowPoll):
				}
			}
		}
	}
	return nil
}

// startTwin starts one twin as the real sweep starts an order's workflow:
// eagerly from the worker's client, with its search attributes and the
// Web UI's summary and details.
func startTwin(ctx context.Context, c client.Client, id string, sh Shape) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                twinQueue,
		StaticSummary:                            sh.Summary,
		StaticDetails:                            sh.Details,
		EnableEagerStart:                         true,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contract.OrderIDKey.ValueSet(id),
			contract.BackorderStageKey.ValueSet(string(contract.StageAssessing)),
			contract.BackorderValueKey.ValueSet(0),
			contract.DelayDaysKey.ValueSet(0),
		),
	}, twinWorkflowName, TwinInput{Shape: sh})
	return err
}

// runPilot runs the real worker over pilotOrders seeded orders on the
// twin's server, to the end (notices sent, fulfilled, closed), and
// returns the shape of each order's workflow in order id order.
func (r *run) runPilot(ctx context.Context, server *systest.DevServer) ([]Shape, error) {
	p := &stack{queue: pilotQueue, server: server, temporal: server.Client()}
	var err error
	if p.db, p.dbURL, err = systest.FreshDatabase(ctx, r.opts.ServerURL, pilotDatabase, true); err != nil {
		return nil, err
	}
	defer p.db.Close()
	if _, err := p.db.Seed(ctx, store.SeedOptions{Orders: pilotOrders, Overdue: pilotOrders, AsOf: r.asOf, Seed: 1}); err != nil {
		return nil, err
	}
	if p.worker, err = r.startWorker(p, "pilot-worker.log", ""); err != nil {
		return nil, err
	}
	defer func() { _ = p.worker.Stop(syscall.SIGINT, 20*time.Second) }()
	sweepRun, err := startSweep(ctx, p, "pilot", "")
	if err == nil {
		err = r.waitSwept(ctx, p, pilotOrders)
	}
	if err == nil {
		err = sweepRun.Get(ctx, nil)
	}
	if err != nil {
		return nil, err
	}
	ids, err := p.db.OrdersWithIncidents(ctx, pilotOrders)
	if err != nil {
		return nil, err
	}
	// Notices run beside the other steps: each shape is read once they
	// are done, as they are when the real orders are fulfilled.
	for _, id := range ids {
		wait := systest.Wait{What: "the notices of order " + id, Limit: time.Minute, Every: 100 * time.Millisecond}
		err := wait.Until(ctx, func(ctx context.Context) (bool, string, error) {
			d, err := p.temporal.DescribeWorkflow(ctx, contract.BackorderWorkflowID(id), "")
			if err != nil {
				return false, "", err
			}
			n := len(d.RawResponse.GetPendingActivities())
			return n == 0, fmt.Sprintf("%d activities pending", n), nil
		})
		if err != nil {
			return nil, err
		}
	}
	if _, err := r.fulfilOrders(ctx, p, ids, pilotOrders); err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := p.temporal.GetWorkflow(ctx, contract.BackorderWorkflowID(id), "").Get(ctx, nil); err != nil {
			return nil, fmt.Errorf("the workflow of order %s: %w", id, err)
		}
	}
	return shapesOf(ctx, p.temporal, ids)
}
