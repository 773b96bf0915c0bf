package bench

import (
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
)

// Kinds of step in a workflow's shape: the commands its history records.
const (
	// stepVersion is workflow.GetVersion the first time: a marker, and
	// the SDK's own upsert of TemporalChangeVersion.
	stepVersion       = "version"
	stepLocalActivity = "local_activity"
	stepSideEffect    = "side_effect"
	stepUpsert        = "upsert"
	// stepActivity is an activity the workflow waits for before its next
	// command; stepActivityBeside one it runs beside its next commands
	// (a notice).
	stepActivity       = "activity"
	stepActivityBeside = "activity_beside"
)

// Step is one command of a shape.
type Step struct {
	Kind string `json:"kind"`
	// An activity's timeouts as scheduled: a heartbeat timeout costs the
	// server a timer of its own.
	StartToClose time.Duration `json:"start_to_close,omitempty"`
	Heartbeat    time.Duration `json:"heartbeat,omitempty"`
}

// Shape is what one per-order workflow asks of Temporal, read from its
// history: its commands until it parks, the timers its wait holds, the
// commands after the signal that ends the wait. Payloads and what the
// steps do are left out: the twin replays the shape with no-op steps.
type Shape struct {
	Steps  []Step `json:"steps"`
	Timers int    `json:"timers"`
	Close  []Step `json:"close"`
	// Summary and Details are the start's user metadata (the Web UI's
	// summary and details), so the twin's starts carry as much.
	Summary string `json:"-"`
	Details string `json:"-"`
}

// ShapeShare is a shape and the share of the orders that have it.
type ShapeShare struct {
	Shape  string  `json:"shape"`
	Orders int     `json:"orders"`
	Share  float64 `json:"share"`
}

// String names a shape in one line, runs of a step counted:
// "version, local_activity, upsert, local_activity x7, activity_beside,
// local_activity, upsert | park: 2 timers | local_activity, upsert".
func (s Shape) String() string {
	return fmt.Sprintf("%s | park: %d timers | %s", stepsString(s.Steps), s.Timers, stepsString(s.Close))
}

func stepsString(steps []Step) string {
	var parts []string
	for i := 0; i < len(steps); {
		j := i
		for j < len(steps) && steps[j].Kind == steps[i].Kind {
			j++
		}
		if j-i > 1 {
			parts = append(parts, fmt.Sprintf("%s x%d", steps[i].Kind, j-i))
		} else {
			parts = append(parts, steps[i].Kind)
		}
		i = j
	}
	return strings.Join(parts, ", ")
}

// shapeOf reads the shape of a per-order workflow that parked, was
// signalled and completed. A command the twin cannot replay is an error,
// so the twin is never quietly lighter than the real thing.
func shapeOf(events []*historypb.HistoryEvent) (Shape, error) {
	var sh Shape
	// closedBy: the event that ended each activity, by its scheduled event.
	closedBy := map[int64]int64{}
	for _, e := range events {
		switch {
		case e.GetActivityTaskCompletedEventAttributes() != nil:
			closedBy[e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()] = e.GetEventId()
		case e.GetActivityTaskFailedEventAttributes() != nil:
			closedBy[e.GetActivityTaskFailedEventAttributes().GetScheduledEventId()] = e.GetEventId()
		case e.GetActivityTaskTimedOutEventAttributes() != nil:
			closedBy[e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()] = e.GetEventId()
		}
	}
	steps, signalled, parking := &sh.Steps, false, false
	// undecided: activities not known yet to be awaited or beside, as
	// indexes into steps with their scheduled event.
	type undecided struct {
		steps     *[]Step
		i         int
		scheduled int64
	}
	var pending []undecided
	// decide: event id is a command's; an activity that ended before it
	// was awaited.
	decide := func(id int64) {
		for _, p := range pending {
			if end, ok := closedBy[p.scheduled]; ok && end < id {
				(*p.steps)[p.i].Kind = stepActivity
			}
		}
		pending = pending[:0]
	}
	// command: event id is a step's command.
	command := func(id int64) error {
		decide(id)
		if parking && !signalled {
			return fmt.Errorf("event %d: a command after the wait's timers started: the twin starts timers only to park", id)
		}
		return nil
	}
	for _, e := range events {
		id := e.GetEventId()
		var err error
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			if sh.Summary, sh.Details, err = userMetadata(e); err != nil {
				return sh, err
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			if !signalled {
				// Activities still running then ran beside the rest.
				pending = pending[:0]
				signalled, steps = true, &sh.Close
			}
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if err = command(id); err != nil {
				break
			}
			switch name := e.GetMarkerRecordedEventAttributes().GetMarkerName(); name {
			case "Version":
				*steps = append(*steps, Step{Kind: stepVersion})
			case "LocalActivity":
				*steps = append(*steps, Step{Kind: stepLocalActivity})
			case "SideEffect", "MutableSideEffect":
				*steps = append(*steps, Step{Kind: stepSideEffect})
			default:
				err = fmt.Errorf("event %d: marker %q is not a step the twin replays", id, name)
			}
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			fields := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
			if _, ok := fields["TemporalChangeVersion"]; ok && len(fields) == 1 {
				continue // GetVersion's own, part of the version step
			}
			if err = command(id); err == nil {
				*steps = append(*steps, Step{Kind: stepUpsert})
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			if parking && !signalled {
				// Started beside the rest with nothing to wait for after
				// it: its command goes when the workflow waits, after the
				// timers, as the twin's last step's does.
				decide(id)
				sh.Steps = append(sh.Steps, activityStep(e))
				continue
			}
			if err = command(id); err == nil {
				*steps = append(*steps, activityStep(e))
				pending = append(pending, undecided{steps: steps, i: len(*steps) - 1, scheduled: id})
			}
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			if signalled {
				err = fmt.Errorf("event %d: a timer after the signal: the twin starts timers only to park", id)
				break
			}
			decide(id)
			parking = true
			sh.Timers++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
			err = command(id)
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
			enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
			enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
			enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
			enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
			err = fmt.Errorf("event %d: %s is not a step the twin replays", id, e.GetEventType())
		}
		if err != nil {
			return sh, err
		}
	}
	if !signalled {
		return sh, fmt.Errorf("the history ends before the signal that ends the wait")
	}
	if lastLocalActivity(sh.Steps) < 0 || lastLocalActivity(sh.Close) < 0 {
		return sh, fmt.Errorf("shape %s: the twin marks parking and closing with a local activity before and after the wait, and there is none", sh)
	}
	return sh, nil
}

// activityStep is a scheduled activity, beside the rest until a command
// follows its end.
func activityStep(e *historypb.HistoryEvent) Step {
	a := e.GetActivityTaskScheduledEventAttributes()
	return Step{Kind: stepActivityBeside, StartToClose: a.GetStartToCloseTimeout().AsDuration(), Heartbeat: a.GetHeartbeatTimeout().AsDuration()}
}

// lastLocalActivity is the index of the last local activity in steps, -1
// for none: the real workflow's last one before the wait marks the order
// awaiting, its last one after closes it.
func lastLocalActivity(steps []Step) int {
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].Kind == stepLocalActivity {
			return i
		}
	}
	return -1
}

// userMetadata decodes the start event's summary and details.
func userMetadata(e *historypb.HistoryEvent) (summary, details string, err error) {
	dc := converter.GetDefaultDataConverter()
	if p := e.GetUserMetadata().GetSummary(); p != nil {
		if err = dc.FromPayload(p, &summary); err != nil {
			return "", "", fmt.Errorf("the start's summary: %w", err)
		}
	}
	if p := e.GetUserMetadata().GetDetails(); p != nil {
		if err = dc.FromPayload(p, &details); err != nil {
			return "", "", fmt.Errorf("the start's details: %w", err)
		}
	}
	return summary, details, nil
}
