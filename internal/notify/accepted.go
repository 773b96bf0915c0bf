package notify

import (
	"context"

	"go.temporal.io/sdk/activity"
)

// acceptedNote is kept in the activity's heartbeat details when the
// provider accepted a message but its ledger row could not be settled (the
// database went away in between). Temporal keeps heartbeat details across
// the activity's attempts, so the next attempt settles the row from the
// note instead of sending the message again. Without it, a database outage
// that cut the settle made the retry find the row pending and send the
// email a second time (found by the db-outage fault drill,
// internal/chaos). Only a worker that dies between the provider's answer
// and this note can still cause that.
type acceptedNote struct {
	Key               string `json:"key"`
	ProviderMessageID string `json:"provider_message_id"`
}

// acceptedEarlier returns the note an earlier attempt of this activity
// left for key.
func acceptedEarlier(ctx context.Context, key string) (acceptedNote, bool) {
	for _, n := range heartbeatNotes(ctx) {
		if n.Key == key {
			return n, true
		}
	}
	return acceptedNote{}, false
}

// rememberAccepted adds note to the activity's heartbeat details, next to
// those of earlier attempts (an activity may send several messages).
func rememberAccepted(ctx context.Context, note acceptedNote) {
	if !activity.IsActivity(ctx) {
		return
	}
	notes := []acceptedNote{note}
	for _, n := range heartbeatNotes(ctx) {
		if n.Key != note.Key {
			notes = append(notes, n)
		}
	}
	activity.RecordHeartbeat(ctx, notes)
}

func heartbeatNotes(ctx context.Context) []acceptedNote {
	if !activity.IsActivity(ctx) || !activity.HasHeartbeatDetails(ctx) {
		return nil
	}
	var notes []acceptedNote
	if err := activity.GetHeartbeatDetails(ctx, &notes); err != nil {
		return nil
	}
	return notes
}
