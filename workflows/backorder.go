package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/acme/backorders/internal/backorder"
	"github.com/acme/backorders/internal/contract"
)

// lifecycleChange marks the lifecycle rework (notices beside the other
// steps, a daily delay refresh, adoption, escalation). Runs started before
// it replay their recorded order; see docs/development.md, "Changing workflows safely".
// Delete the legacy branches once no such run remains.
const lifecycleChange = "lifecycle-2026-11"

// Versions of lifecycleChange.
const (
	lifecycleReworked = 1
	// adoptionMissesETA: an adopted episode whose ETA passed while no
	// workflow watched it has missed that ETA, as at a re-check: the
	// customer hears of the new date within the notice cap, and past the
	// cap the episode escalates.
	adoptionMissesETA = 2
	// fewerRoundTrips: the stage the sweep's start already shows is not
	// upserted again; the lead times come with the assessment; the writes
	// that always go together are one local activity and one transaction
	// each (BeginInvestigation: steps 4 and 5; AwaitFulfilment: steps 11,
	// 10's alert and 4).
	fewerRoundTrips = 3
)

// BackorderWorkflow handles one backordered order: it sizes the delay and
// the money at stake, gets people working on it, tells the customer, and
// waits for the order to be fulfilled or cancelled, re-checking whenever
// the ETA passes.
func BackorderWorkflow(ctx workflow.Context, in contract.BackorderInput) (contract.BackorderState, error) {
	w, err := newBackorderWorkflow(ctx, in)
	if err != nil {
		return contract.BackorderState{}, err
	}
	return w.run(ctx)
}

type backorderWorkflow struct {
	state contract.BackorderState
	// outcome ends the wait: the final stage, StageFulfilled, StageCancelled
	// or StageNotBackordered.
	outcome contract.Stage
	// legacy: the run started before lifecycleChange and keeps its
	// recorded order of steps.
	legacy bool
	// version is the run's lifecycleChange version.
	version   workflow.Version
	fulfilled workflow.ReceiveChannel
	cancelled workflow.ReceiveChannel
	completed workflow.ReceiveChannel
	// requests carries updates from their handlers to the main loop, so
	// every change of state happens there, one at a time.
	requests workflow.Channel
	// notices is the context notices are sent in; cancelling it at close
	// drops the ones not yet sent.
	notices       workflow.Context
	cancelNotices workflow.CancelFunc
	// sending counts notices in flight.
	sending int
	// adopted is the open episode this run took over, nil for a new one.
	adopted *contract.OpenEpisode
}

func newBackorderWorkflow(ctx workflow.Context, in contract.BackorderInput) (*backorderWorkflow, error) {
	w := &backorderWorkflow{
		fulfilled: workflow.GetSignalChannel(ctx, contract.SignalOrderFulfilled),
		cancelled: workflow.GetSignalChannel(ctx, contract.SignalOrderCancelled),
		completed: workflow.GetSignalChannel(ctx, contract.SignalTaskCompleted),
		requests:  workflow.NewChannel(ctx),
		version:   workflow.GetVersion(ctx, lifecycleChange, workflow.DefaultVersion, fewerRoundTrips),
	}
	w.legacy = w.version < lifecycleReworked
	w.notices, w.cancelNotices = workflow.WithCancel(ctx)
	if in.Resume != nil {
		w.state = *in.Resume
	} else {
		if in.OrderID == "" {
			return nil, temporal.NewNonRetryableApplicationError("order id is empty", contract.ErrTypeInvalidInput, nil)
		}
		if _, err := backorder.ParseDate(in.AsOf); err != nil {
			return nil, temporal.NewNonRetryableApplicationError("as-of date: "+err.Error(), contract.ErrTypeInvalidInput, nil)
		}
		info := workflow.GetInfo(ctx)
		w.state = contract.BackorderState{
			OrderID:    in.OrderID,
			Stage:      contract.StageAssessing,
			AsOf:       in.AsOf,
			Tasks:      []contract.TaskState{},
			EpisodeKey: info.WorkflowExecution.ID + "/" + info.FirstRunID,
		}
	}
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (contract.BackorderState, error) { return w.state, nil }); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateCompleteTask,
		func(ctx workflow.Context, in contract.TaskCompletedSignal) (contract.BackorderState, error) {
			return w.submit(ctx, &request{completion: &in})
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in contract.TaskCompletedSignal) error {
			return w.completionProblem(ctx, in)
		}}); err != nil {
		return nil, err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateReviseETA,
		func(ctx workflow.Context, in contract.ReviseETARequest) (contract.BackorderState, error) {
			return w.submit(ctx, &request{revision: &in})
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, in contract.ReviseETARequest) error {
			return w.revisionProblem(ctx, in)
		}})
	return w, err
}

func (w *backorderWorkflow) run(ctx workflow.Context) (contract.BackorderState, error) {
	if w.state.Stage == contract.StageAssessing {
		if err := w.handleBackorder(ctx); err != nil {
			return w.state, err
		}
	}
	if w.state.Stage == contract.StageNotBackordered && w.outcome == "" {
		return w.state, w.refusePending(ctx)
	}
	if err := w.awaitOutcome(ctx); err != nil {
		return w.state, err
	}
	if err := w.close(ctx); err != nil {
		return w.state, err
	}
	return w.state, w.refusePending(ctx)
}

// handleBackorder walks steps 1 to 10 of the process.
func (w *backorderWorkflow) handleBackorder(ctx workflow.Context) error {
	s := &w.state

	// 2-3. The money at stake (backorder value) and the delay in days.
	var assessed contract.Assessment
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "assess the backorder: delay, value and supplier lead times"), contract.ActivityAssessBackorder, contract.AssessInput{OrderID: s.OrderID, AsOf: s.AsOf}).Get(ctx, &assessed); err != nil {
		return err
	}
	if assessed.Status != contract.OrderBackordered {
		workflow.GetLogger(ctx).Info("order is no longer backordered; nothing to do", "status", assessed.Status)
		if e := assessed.OpenEpisode; e != nil && !w.legacy {
			// A lost run's episode of an order closed meanwhile: close it.
			s.IncidentID, s.EpisodeKey = e.IncidentID, e.EpisodeKey
			w.outcome = outcomeOf(assessed.Status)
			return nil
		}
		return w.setStage(ctx, contract.StageNotBackordered)
	}
	s.DelayDays, s.BackorderValue, s.Currency = assessed.DelayDays, assessed.BackorderValue, assessed.Currency
	if !w.legacy {
		s.PromisedDate, s.Today, s.TodayEndsAt = assessed.PromisedDate, assessed.Today, assessed.TodayEndsAt
		s.MaxCustomerNotices = assessed.MaxCustomerNotices
		w.adopt(assessed.OpenEpisode)
	}
	if w.version >= fewerRoundTrips {
		// The sweep started the workflow showing this stage.
		w.showStage(ctx, contract.StageAssessing)
	} else if err := w.setStage(ctx, contract.StageAssessing); err != nil {
		return err
	}

	// 4-5. Keep the order record current; procurement investigates the
	// shortage.
	if err := w.beginInvestigation(ctx); err != nil {
		return err
	}

	// 6-7. Supplier lead times and the new ETA (estimated arrival date).
	leadTimes, err := w.leadTimes(ctx, assessed)
	if err != nil {
		return err
	}
	eta, version := w.firstETA(ctx, leadTimes)
	if err := w.setETA(ctx, eta); err != nil {
		return err
	}

	// 8. Incident log entry with its mitigation plan (an adopted episode
	// keeps its incident; a date that passed meanwhile is revised on it).
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "log the incident: ETA "+eta), contract.ActivityOpenIncident, contract.OpenIncidentInput{
		EpisodeKey: s.EpisodeKey, OrderID: s.OrderID, DelayDays: s.DelayDays,
		BackorderValue: s.BackorderValue, Currency: s.Currency, ETA: eta, LeadTimes: leadTimes,
	}).Get(ctx, &s.IncidentID); err != nil {
		return err
	}
	s.ETAVersion = version
	tell := true
	if w.adopted != nil && version > w.adopted.ETAVersion {
		if err := w.reviseIncident(ctx, revision{eta: eta, leadTimes: leadTimes.Lines,
			reason: "the previous estimate passed while no workflow watched the order"}); err != nil {
			return err
		}
		if w.version >= adoptionMissesETA {
			s.Rechecks++
			tell = s.CustomerNotices < w.maxCustomerNotices()
			if !tell && !s.Escalated {
				if err := w.escalate(ctx); err != nil {
					return err
				}
			}
		}
	}

	// Fulfilled or cancelled while we worked: do not tell anyone of a delay.
	if w.receiveOutcome() {
		return nil
	}

	notice := contract.NotifyCustomerInput{IncidentID: s.IncidentID, OrderID: s.OrderID, ETA: eta, ETAVersion: s.ETAVersion}
	if w.legacy {
		if err := w.notifyAlertAndTaskInRecordedOrder(ctx, notice, assessed.AlertWarehouse); err != nil {
			return err
		}
	} else {
		// 11, 10 and 4. The inventory clerk adjusts expected arrivals; high
		// value: an active alert now, the SMS beside the rest once quiet
		// hours allow; the order record says it waits.
		if w.version >= fewerRoundTrips {
			if err := w.awaitFulfilment(ctx, eta, assessed.AlertWarehouse); err != nil {
				return err
			}
		} else if err := w.clerkTaskAndAlert(ctx, eta, assessed.AlertWarehouse); err != nil {
			return err
		}
		// 9. Tell the customer, beside the rest: a slow or failing email
		// provider holds up nothing else.
		if !tell {
			workflow.GetLogger(ctx).Info("customer not told of the revised ETA: notice cap reached", "notices", s.CustomerNotices)
		} else if err := w.tellCustomer(ctx, notice); err != nil {
			return err
		}
	}

	if w.version < fewerRoundTrips {
		if err := w.markOrder(ctx, w.waitingStatus()); err != nil {
			return err
		}
	}
	return w.setStage(ctx, w.waitingStage())
}

// notifyAlertAndTaskInRecordedOrder is steps 8 to 10 as runs started
// before lifecycleChange recorded them: each notice finished before the
// next step.
func (w *backorderWorkflow) notifyAlertAndTaskInRecordedOrder(ctx workflow.Context, notice contract.NotifyCustomerInput, alert bool) error {
	if err := w.tellCustomer(ctx, notice); err != nil {
		return err
	}
	if alert {
		if err := w.alertWarehouse(ctx); err != nil {
			return err
		}
	}
	return w.createTask(ctx, contract.RoleInventoryClerk, "", w.clerkTaskTitle(notice.ETA))
}

// adopt takes over the open episode of a run that ended without closing
// it: same incident, same episode key (so the same tasks and ledger keys),
// and the notices it already gave count against the cap.
func (w *backorderWorkflow) adopt(e *contract.OpenEpisode) {
	if e == nil {
		return
	}
	w.adopted = e
	s := &w.state
	s.Adopted, s.EpisodeKey, s.Escalated = true, e.EpisodeKey, e.Escalated
	// The versions before the current one were told; the current one is
	// told (again, the ledger key makes a repeat a no-op) below.
	s.CustomerNotices = e.ETAVersion - 1
}

// firstETA is the episode's ETA and its version: from the lead times, or,
// for an adopted episode, the date already told while it has not passed.
func (w *backorderWorkflow) firstETA(ctx workflow.Context, leadTimes contract.LeadTimes) (string, int) {
	today := w.today(ctx)
	eta := backorder.ETA(mustDate(w.state.AsOf), today, leadTimes.MaxDays).Format(backorder.DateLayout)
	e := w.adopted
	if e == nil {
		return eta, 1
	}
	if told := mustDate(e.ETA); !told.Before(today) {
		return e.ETA, e.ETAVersion
	}
	w.state.CustomerNotices = e.ETAVersion
	return eta, e.ETAVersion + 1
}

// close ends step 13: drop notices not yet sent, clear alerts, resolve the
// incident with the note or reason that came with the outcome, close open
// tasks, and record the order's status, in one transaction.
func (w *backorderWorkflow) close(ctx workflow.Context) error {
	w.cancelNotices()
	w.state.SMSDueAt = nil
	note := w.state.FulfilmentNote
	if w.outcome == contract.StageCancelled {
		note = w.state.CancelReason
	}
	if err := workflow.ExecuteLocalActivity(withDatabaseOptions(ctx, "close the backorder: "+string(w.outcome)), contract.ActivityCloseBackorder, contract.CloseBackorderInput{
		OrderID: w.state.OrderID, IncidentID: w.state.IncidentID, Outcome: w.outcome, Note: note,
	}).Get(ctx, nil); err != nil {
		return err
	}
	for i := range w.state.Tasks {
		if w.state.Tasks[i].Status == contract.TaskOpen {
			w.state.Tasks[i].Status = contract.TaskObsolete
		}
	}
	return w.setStage(ctx, w.outcome)
}
