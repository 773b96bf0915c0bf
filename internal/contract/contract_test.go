package contract_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/contract"
)

// The JSON of a sweep's result is what `starter sweep --json` prints: the
// embedded tally's fields stand where they always stood.
func TestSweepResultJSON(t *testing.T) {
	r := contract.SweepResult{
		SweepID: "backorder-sweep-x", AsOf: "2026-11-27",
		SweepTally: contract.SweepTally{
			OrdersFound: 3, TotalBackorderValue: map[string]string{"USD": "20.00"},
			WorkflowsStarted: 1, AlreadyRunning: 1, NotStarted: 1, Reconciled: 2,
		},
		Done: true,
	}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Equal(t, `{"sweep_id":"backorder-sweep-x","as_of":"2026-11-27","orders_found":3,"total_backorder_value":{"USD":"20.00"},`+
		`"workflows_started":1,"already_running":1,"not_started":1,"reconciled":2,"done":true}`, string(b))

	var back contract.SweepResult
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, r, back)
}

// Typed stages, statuses and roles travel as the plain strings they were.
func TestBackorderStateJSON(t *testing.T) {
	st := contract.BackorderState{
		Stage: contract.StageAwaitingFulfillment,
		Tasks: []contract.TaskState{{ID: "T-1", Role: contract.RoleProcurementManager, Status: contract.TaskOpen}},
	}
	b, err := json.Marshal(st)
	require.NoError(t, err)
	var plain struct {
		Stage string `json:"stage"`
		Tasks []struct {
			Role   string `json:"role"`
			Status string `json:"status"`
		} `json:"tasks"`
	}
	require.NoError(t, json.Unmarshal(b, &plain))
	assert.Equal(t, "awaiting_fulfillment", plain.Stage)
	assert.Equal(t, "procurement_manager", plain.Tasks[0].Role)
	assert.Equal(t, "open", plain.Tasks[0].Status)
}
