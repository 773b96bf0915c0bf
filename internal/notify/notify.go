// Package notify delivers the process's messages. Every notifier writes
// the ledger (store.Notification, unique per key) so a message meant once
// is recorded, and sent, once however often an activity is retried:
// Recorder only records; Delivery sends through a Provider (SendGrid for
// email, Twilio for SMS); Dispatcher picks one per channel.
package notify

import (
	"context"
	"log/slog"

	"github.com/acme/backorders/internal/store"
)

// Channels.
const (
	Email = "email"
	SMS   = "sms"
)

// Outcome of a send.
type Outcome struct {
	// Status is the ledger row's: recorded, sent, unknown or failed.
	Status string `json:"status"`
	// Duplicate: the key was handled before; nothing was sent this time.
	Duplicate bool `json:"duplicate"`
	// ProviderMessageID is the provider's id of a sent message.
	ProviderMessageID string `json:"provider_message_id,omitempty"`
	// Error says why a message failed or its outcome is unknown.
	Error string `json:"error,omitempty"`
}

// Delivered reports whether the message is known to have gone out (or,
// without a provider, to have been recorded).
func (o Outcome) Delivered() bool {
	return o.Status == store.StatusSent || o.Status == store.StatusRecorded
}

// Notifier sends one message.
type Notifier interface {
	Send(ctx context.Context, n store.Notification) (Outcome, error)
}

// Ledger is where messages are recorded.
type Ledger interface {
	RecordNotification(ctx context.Context, n store.Notification) (store.NotificationRecord, bool, error)
}

// StatusRecorded marks a message the recording notifier kept instead of
// handing to a provider.
const StatusRecorded = store.StatusRecorded

// Recorder is the default notifier: it records every message, fully
// rendered, in the ledger and logs it, so the process runs without provider
// credentials.
type Recorder struct {
	Ledger Ledger
	Log    *slog.Logger
}

// Send records n once per key. A key handled before, by this recorder or
// by a provider when one was configured, answers with its row's own
// status: a failed message is not reported delivered.
func (r Recorder) Send(ctx context.Context, n store.Notification) (Outcome, error) {
	n.Status = StatusRecorded
	rec, inserted, err := r.Ledger.RecordNotification(ctx, n)
	if err != nil {
		return Outcome{}, err
	}
	if !inserted {
		return Outcome{Status: rec.Status, Duplicate: true, ProviderMessageID: rec.ProviderMessageID, Error: rec.LastError}, nil
	}
	// The body holds customer details; the log names the message only.
	r.Log.Info("notification recorded", "key", n.Key, "channel", n.Channel, "order_id", n.OrderID, "subject", n.Subject)
	return Outcome{Status: StatusRecorded}, nil
}
