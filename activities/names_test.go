package activities

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/acme/backorders/internal/contract"
)

// Workflows execute activities by the contract's names; the worker
// registers every exported method of *Activities under its own name. The
// two must be the same set, or a workflow asks for an activity no worker
// has.
func TestContractNamesEveryActivity(t *testing.T) {
	named := []string{
		contract.ActivityAssessBackorder, contract.ActivityMarkOrderChecked, contract.ActivityCreateTask,
		contract.ActivityLookupLeadTimes, contract.ActivityOpenIncident, contract.ActivityReviseIncident,
		contract.ActivityEscalateIncident, contract.ActivityNotifyCustomer, contract.ActivityAlertWarehouse,
		contract.ActivityTextWarehouse, contract.ActivityCompleteTask, contract.ActivityCloseBackorder,
		contract.ActivityBeginInvestigation, contract.ActivityAwaitFulfilment,
		contract.ActivityBusinessDayOf, contract.ActivityETAPassesAt, contract.ActivitySMSAllowedAt,
		contract.ActivityBeginSweep, contract.ActivityFindOverdueBackorders, contract.ActivityStartBackorderWorkflows,
		contract.ActivityFindClosedOrdersWithOpenIncidents, contract.ActivityFindUnacknowledgedCompletions,
		contract.ActivityFindOpenEpisode, contract.ActivityRecordSweep,
		contract.ActivityPreviousReportWeek, contract.ActivityComputeWeeklyReport, contract.ActivityStoreReport,
		contract.ActivityEmailReport,
	}
	acts := reflect.TypeFor[*Activities]()
	registered := make([]string, acts.NumMethod())
	for i := range registered {
		registered[i] = acts.Method(i).Name
	}
	assert.ElementsMatch(t, registered, named)
}
