package workflows

import (
	"go.temporal.io/sdk/worker"

	"github.com/acme/backorders/activities"
)

// Register puts the workflows and activities on a worker.
func Register(r worker.Registry, acts *activities.Activities) {
	r.RegisterWorkflow(BackorderWorkflow)
	r.RegisterWorkflow(SweepWorkflow)
	r.RegisterWorkflow(WeeklyReportWorkflow)
	r.RegisterActivity(acts)
}

// WorkerOptions are the worker's tuning, shared by the worker and the
// benchmark's calibration so both are measured alike.
func WorkerOptions() worker.Options {
	return worker.Options{
		// Measured by make bench: the defaults (2 pollers each) leave tasks
		// waiting in the queue while the worker has spare capacity.
		MaxConcurrentWorkflowTaskPollers: 4,
		MaxConcurrentActivityTaskPollers: 4,
	}
}

// StickyCacheSize bounds how many workflows a worker keeps in memory
// between tasks. Parked backorders wait for days; the SDK's default (10,000)
// kept every one of 10,000 parked workflows resident (568 MB in make
// bench). An evicted workflow is replayed from its short history when its
// next signal or timer arrives.
const StickyCacheSize = 2000
