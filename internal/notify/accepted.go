package notify

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
)

// attemptNote is what an attempt learnt about a message and could not
// write to the ledger, because the database failed after the provider
// answered. Temporal keeps an activity's heartbeat details across its
// attempts, so the next attempt reads the note:
//   - accepted: the provider took the message as ProviderMessageID; the
//     next attempt records that instead of sending again (without it, a
//     database outage that cut the settle made the retry send the email a
//     second time: found by the db-outage fault drill, internal/testing/chaos);
//   - not accepted: the provider took nothing (429, 5xx, no connection);
//     the next attempt sends, although the row still says pending (which
//     otherwise means the outcome is unknown, and an SMS is then never
//     sent).
//
// Attempt is the ledger attempt the note is about, so it applies to that
// claim only.
type attemptNote struct {
	Key               string `json:"key"`
	Attempt           int    `json:"attempt"`
	Accepted          bool   `json:"accepted"`
	ProviderMessageID string `json:"provider_message_id,omitempty"`
}

// heartbeatInterval paces the heartbeats during a provider call: well
// inside the notification activities' heartbeat timeout, so a worker that
// dies mid-call is noticed in seconds, not at the start-to-close timeout.
const heartbeatInterval = time.Second

// notebook holds the notes of one activity attempt: those the previous
// attempt left and those this one adds. Every heartbeat carries all of
// them, as a heartbeat replaces the details recorded before.
type notebook struct {
	mu    sync.Mutex
	notes []attemptNote
	// kept: Attempt heartbeats for the whole activity attempt already.
	kept bool
}

type notebookKey struct{}

// Attempt prepares a notification activity's context: it heartbeats from
// now until stop is called, so an attempt waiting on the database (a lock,
// an outage) is not taken for a dead one and run twice beside itself, and
// the notes of all its sends travel together in those heartbeats.
func Attempt(ctx context.Context) (_ context.Context, stop func()) {
	b := newNotebook(ctx)
	stop = b.keepAlive(ctx)
	b.kept = true
	return context.WithValue(ctx, notebookKey{}, b), stop
}

func notebookOf(ctx context.Context) *notebook {
	if b, ok := ctx.Value(notebookKey{}).(*notebook); ok {
		return b
	}
	return newNotebook(ctx)
}

func newNotebook(ctx context.Context) *notebook {
	b := &notebook{}
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		// Unreadable details (another shape) are no notes.
		_ = activity.GetHeartbeatDetails(ctx, &b.notes)
	}
	return b
}

func (b *notebook) find(key string) (attemptNote, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.notes {
		if n.Key == key {
			return n, true
		}
	}
	return attemptNote{}, false
}

// remember keeps note, replacing any about the same key, and heartbeats.
func (b *notebook) remember(ctx context.Context, note attemptNote) {
	b.mu.Lock()
	notes := []attemptNote{note}
	for _, n := range b.notes {
		if n.Key != note.Key {
			notes = append(notes, n)
		}
	}
	b.notes = notes
	b.mu.Unlock()
	b.heartbeat(ctx)
}

func (b *notebook) forget(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	notes := b.notes[:0]
	for _, n := range b.notes {
		if n.Key != key {
			notes = append(notes, n)
		}
	}
	b.notes = notes
}

func (b *notebook) heartbeat(ctx context.Context) {
	if !activity.IsActivity(ctx) {
		return
	}
	b.mu.Lock()
	notes := append([]attemptNote(nil), b.notes...)
	b.mu.Unlock()
	activity.RecordHeartbeat(ctx, notes)
}

// keepAlive heartbeats every heartbeatInterval until the returned stop is
// called: a provider call or a locked table may take seconds, and the
// heartbeat timeout is what tells Temporal that a worker died in it.
// There is no heartbeat at once: the server times the heartbeat timeout
// from the attempt's start until the first one (the notice-kill fault
// drill checks it), so an attempt that ends within a second, nearly every
// one, costs the server no heartbeat, and its workflow one state
// transition less. Within Attempt it does nothing more.
func (b *notebook) keepAlive(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) || b.kept {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(heartbeatInterval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				b.heartbeat(ctx)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
