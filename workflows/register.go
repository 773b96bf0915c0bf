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
