// Package notify delivers the process's messages. Every notifier writes
// the ledger (one row per Message key, which internal/store keeps) so a
// message meant once is recorded, and sent, once however often an
// activity is retried: Recorder only records; Delivery sends through a
// Provider (SendGrid for email, Twilio for SMS); Dispatcher picks one per
// channel.
package notify

import (
	"context"
	"log/slog"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/logging"
)

// Channels.
const (
	Email = "email"
	SMS   = "sms"
)

// Outcome of a send: the contract's type, which the workflows read from
// the notification activities.
type Outcome = contract.NotificationOutcome

// Notifier sends one message.
type Notifier interface {
	Send(ctx context.Context, n Message) (Outcome, error)
}

// Ledger is where messages are recorded (internal/store implements it).
type Ledger interface {
	RecordNotification(ctx context.Context, n Message) (LedgerRecord, bool, error)
}

// Recorder is the default notifier: it records every message, fully
// rendered, in the ledger and logs it, so the process runs without provider
// credentials.
type Recorder struct {
	Ledger Ledger
	// Log is for sends outside an activity; inside one, the activity's
	// logger.
	Log *slog.Logger
}

// Send records n once per key. A key handled before, by this recorder or
// by a provider when one was configured, answers with its row's own
// status: a failed message is not reported delivered.
func (r Recorder) Send(ctx context.Context, n Message) (Outcome, error) {
	n.Status = StatusRecorded
	rec, inserted, err := r.Ledger.RecordNotification(ctx, n)
	if err != nil {
		return Outcome{}, err
	}
	if !inserted {
		return Outcome{Status: rec.Status, Duplicate: true, ProviderMessageID: rec.ProviderMessageID, Error: rec.LastError}, nil
	}
	count(ctx, n.Channel, StatusRecorded)
	// The body holds customer details; the log names the message only.
	logging.For(ctx, r.Log).Info("notification recorded", "key", logKey(n), "channel", n.Channel, "order_id", n.OrderID, "subject", n.Subject)
	return Outcome{Status: StatusRecorded}, nil
}

// logKey is n's ledger key for a log line: a report's key ends with its
// recipient's address, and logs carry no addresses.
func logKey(n Message) string { return redact(n.Key, n.Recipient) }
