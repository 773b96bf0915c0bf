package workflows

import (
	"go.temporal.io/sdk/worker"

	"github.com/acme/backorders/activities"
)

// Register puts the workflows and activities on a worker.
func Register(r worker.Registry, acts *activities.Activities) {
	r.RegisterWorkflow(BackorderWorkflow)
	r.RegisterWorkflow(SweepWorkflow)
	r.RegisterActivity(acts)
}
