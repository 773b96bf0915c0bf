package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/contract"
)

// Register puts the workflows on a worker under their contract names (the
// activities they execute are the worker's to register: an
// *activities.Activities).
func Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(BackorderWorkflow, workflow.RegisterOptions{Name: contract.BackorderWorkflowName})
	r.RegisterWorkflowWithOptions(SweepWorkflow, workflow.RegisterOptions{Name: contract.SweepWorkflowName})
	r.RegisterWorkflowWithOptions(WeeklyReportWorkflow, workflow.RegisterOptions{Name: contract.WeeklyReportWorkflowName})
}

// WorkerOptions are the worker's tuning, shared by the worker and the
// benchmark's twin so both are measured alike.
func WorkerOptions() worker.Options {
	return worker.Options{
		// Workflow tasks: pollers of the sticky and the normal queue apart,
		// 4 to start with. The SDK's default mixed pollers all follow the
		// sticky queue while its last answer reported a backlog: after a
		// burst of signals (fulfilments, a sweep's reconciliation) the
		// tasks that fell back to the normal queue waited a long poll,
		// about a minute, for any poller (make bench: fulfilment of 500
		// parked orders 7/s, 66/s with these).
		WorkflowTaskPollerBehavior: worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{InitialNumberOfPollers: 4}),
		// Measured by make bench: the default (2 pollers) leaves tasks
		// waiting in the queue while the worker has spare capacity.
		MaxConcurrentActivityTaskPollers: 4,
	}
}

// StickyCacheSize bounds how many workflows a worker keeps in memory
// between tasks. Parked backorders wait for days; the SDK's default (10,000)
// kept every one of 10,000 parked workflows resident (568 MB in make
// bench). An evicted workflow is replayed from its short history when its
// next signal or timer arrives.
const StickyCacheSize = 2000
