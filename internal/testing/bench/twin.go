package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/contract"
)

// The twin: the per-order workflow with the business taken out. It gives
// Temporal the same commands in the same order as the real workflow's
// recorded shape (each step a no-op, notices beside the rest as the real
// ones go), parks on a signal with the same timers, and closes with the
// same commands when signalled. Its local activities report to the
// benchmark when it parks and when it closes, as the real one's mark the
// order row.

// Names the twin's worker registers.
const (
	twinWorkflowName = "BackorderTwin"
	twinStepName     = "TwinStep"
	twinNoticeName   = "TwinNotice"
	twinCloseSignal  = "twin-close"
	// twinParkTimer is the wait's timers: they never fire in a run.
	twinParkTimer = 24 * time.Hour
)

// Marks a twin's local activity reports.
const (
	markParked = "parked"
	markClosed = "closed"
)

// TwinInput is one twin's shape.
type TwinInput struct {
	Shape Shape `json:"shape"`
}

// TwinMark is what a twin's local activity reports: nothing, or that the
// workflow started at Started has parked or closed.
type TwinMark struct {
	Mark    string    `json:"mark,omitempty"`
	Started time.Time `json:"started"`
}

// TwinWorkflow replays in.Shape with no-op steps.
func TwinWorkflow(ctx workflow.Context, in TwinInput) error {
	beside := 0
	if err := twinSteps(ctx, in.Shape.Steps, markParked, &beside); err != nil {
		return err
	}
	timers, cancelTimers := workflow.WithCancel(ctx)
	timedOut := false
	wait := workflow.NewSelector(ctx)
	wait.AddReceive(workflow.GetSignalChannel(ctx, twinCloseSignal), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
	})
	for range in.Shape.Timers {
		wait.AddFuture(workflow.NewTimer(timers, twinParkTimer), func(workflow.Future) { timedOut = true })
	}
	wait.Select(ctx)
	cancelTimers()
	if timedOut {
		return temporal.NewNonRetryableApplicationError("the twin was never signalled", "TwinTimedOut", nil)
	}
	if err := twinSteps(ctx, in.Shape.Close, markClosed, &beside); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return beside == 0 })
}

// twinSteps runs steps; the last local activity reports mark.
func twinSteps(ctx workflow.Context, steps []Step, mark string, beside *int) error {
	started := workflow.GetInfo(ctx).WorkflowStartTime
	last := lastLocalActivity(steps)
	local := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	for i, s := range steps {
		var err error
		switch s.Kind {
		case stepVersion:
			workflow.GetVersion(ctx, fmt.Sprintf("twin-%s-%d", mark, i), workflow.DefaultVersion, 1)
		case stepLocalActivity:
			m := TwinMark{Started: started}
			if i == last {
				m.Mark = mark
			}
			err = workflow.ExecuteLocalActivity(local, twinStepName, m).Get(ctx, nil)
		case stepSideEffect:
			err = workflow.SideEffect(ctx, func(workflow.Context) any { return i }).Get(nil)
		case stepUpsert:
			err = workflow.UpsertTypedSearchAttributes(ctx,
				contract.OrderIDKey.ValueSet(workflow.GetInfo(ctx).WorkflowExecution.ID),
				contract.BackorderStageKey.ValueSet(mark),
				contract.BackorderValueKey.ValueSet(float64(i)),
				contract.DelayDaysKey.ValueSet(int64(i)),
			)
		case stepActivity:
			err = workflow.ExecuteActivity(twinActivityOptions(ctx, s), twinNoticeName).Get(ctx, nil)
		case stepActivityBeside:
			*beside++
			workflow.Go(ctx, func(ctx workflow.Context) {
				defer func() { *beside-- }()
				_ = workflow.ExecuteActivity(twinActivityOptions(ctx, s), twinNoticeName).Get(ctx, nil)
			})
		default:
			err = temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown step %q", s.Kind), contract.ErrTypeInvalidInput, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// twinActivityOptions schedules an activity with the real one's timeouts.
func twinActivityOptions(ctx workflow.Context, s Step) workflow.Context {
	timeout := s.StartToClose
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: timeout, HeartbeatTimeout: s.Heartbeat})
}

// twinNotice is the twin's activity: nothing.
func twinNotice(context.Context) error { return nil }

// twinProgress counts, in the benchmark's process, the twins that parked
// and closed, and each one's time from start to parked.
type twinProgress struct {
	mu     sync.Mutex
	parked map[string]time.Duration
	closed map[string]bool
}

func newTwinProgress() *twinProgress {
	return &twinProgress{parked: map[string]time.Duration{}, closed: map[string]bool{}}
}

// step is the twin's local activity. A retried one reports once.
func (p *twinProgress) step(ctx context.Context, m TwinMark) error {
	if m.Mark == "" {
		return nil
	}
	id := activity.GetInfo(ctx).WorkflowExecution.ID
	p.mu.Lock()
	defer p.mu.Unlock()
	switch m.Mark {
	case markParked:
		if _, ok := p.parked[id]; !ok {
			p.parked[id] = time.Since(m.Started)
		}
	case markClosed:
		p.closed[id] = true
	}
	return nil
}

func (p *twinProgress) counts() (parked, closed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.parked), len(p.closed)
}

// parkedAmong counts the twins of ids that parked.
func (p *twinProgress) parkedAmong(ids []string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, id := range ids {
		if _, ok := p.parked[id]; ok {
			n++
		}
	}
	return n
}

// latencies are the parked twins' times from start to parked, in seconds.
func (p *twinProgress) latencies() []float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]float64, 0, len(p.parked))
	for _, d := range p.parked {
		out = append(out, d.Seconds())
	}
	return out
}
