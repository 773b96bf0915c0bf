package notify

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/logging"
)

// DefaultTimeout bounds one provider call: both APIs answer in well under
// a second, and well inside the notification activity's start-to-close
// timeout (30 s) the attempt still settles its ledger row; short, so an
// attempt stuck on a slow provider gives way to the next within seconds.
const DefaultTimeout = 5 * time.Second

// settleTimeout bounds the ledger write after a provider call; it runs even
// when the activity's context is over, as the call may have sent.
const settleTimeout = 5 * time.Second

// Provider hands one message to an outside service.
type Provider interface {
	// Name is how logs and errors call it ("SendGrid").
	Name() string
	// CheckRecipient rejects an address the provider would refuse,
	// before anything is sent.
	CheckRecipient(recipient string) error
	// Deliver sends n and returns the provider's id for it. Its errors
	// are *failure, saying whether trying again can help.
	Deliver(ctx context.Context, n Message) (messageID string, err error)
}

// DeliveryLedger is the ledger a Delivery claims and settles rows in
// (internal/store implements it).
// Settles are fenced: they apply only while the attempt that claimed the
// row still holds it.
type DeliveryLedger interface {
	ClaimNotification(ctx context.Context, n Message, policy ClaimPolicy) (LedgerRecord, bool, error)
	SettleNotification(ctx context.Context, key string, attempt int, status, providerMessageID, lastError string) (LedgerRecord, bool, error)
	FailNotification(ctx context.Context, key string, attempt int, lastError string) (bool, error)
	ClaimResend(ctx context.Context, key, by string, stuckAfter time.Duration) (Message, LedgerRecord, error)
	Suppress(ctx context.Context, channel, recipient, reason, sourceKey string) error
	Suppression(ctx context.Context, channel, recipient string) (reason string, suppressed bool, err error)
}

// Delivery sends messages through a provider once per ledger key. Neither
// provider takes an idempotency key, so the ledger row is claimed before
// the call and settled after; a retry of a settled message returns the
// stored result and sends nothing. A message that can never go out (bad
// or suppressed recipient, refused by the provider) is recorded as failed
// and returned as an outcome, not an error, so the order's workflow goes
// on.
//
// The bounds, per message: a provider call whose outcome is not known (no
// answer after the request went out, or an attempt that ended mid-call)
// is repeated at most once for email and never for SMS, so an email
// reaches its recipient at most twice and an SMS at most once; a call the
// provider answered without taking the message (429, 5xx, 401/403, no
// connection) is always repeated, so nothing is lost to a provider
// outage or a database blip. What stays unknown is listed by
// `starter notifications --stuck` for a person to resend or not.
type Delivery struct {
	Ledger   DeliveryLedger
	Provider Provider
	// ResendUnknown allows one more call after one whose outcome is not
	// known: a second email is tolerable, a second page to a phone is not.
	ResendUnknown bool
	// Log is for sends outside an activity (a resend by hand); inside one,
	// the activity's logger.
	Log *slog.Logger
}

// maxUncertainSends is how many calls with an unknown outcome a message
// may get.
func (d Delivery) maxUncertainSends() int {
	if d.ResendUnknown {
		return 2
	}
	return 1
}

// Send delivers n unless its key was handled before.
func (d Delivery) Send(ctx context.Context, n Message) (Outcome, error) {
	book := notebookOf(ctx)
	note, noted := book.find(n.Key)
	if noted && note.Accepted {
		return d.recordAccepted(ctx, book, n, note)
	}
	// The checks read the database too, so they come before the claim: a
	// database gone between the claim and the call would otherwise leave a
	// row pending that nothing was sent for.
	f, err := d.precheck(ctx, n)
	if err != nil {
		return Outcome{}, err
	}
	policy := ClaimPolicy{MaxUncertainSends: d.maxUncertainSends()}
	if noted {
		policy.NothingTakenBy = note.Attempt
	}
	rec, claimed, err := d.Ledger.ClaimNotification(ctx, n, policy)
	if err != nil {
		return Outcome{}, err
	}
	if !claimed {
		return outcomeOf(rec), nil
	}
	book.forget(n.Key)
	return d.deliver(ctx, book, n, rec.Attempts, f)
}

// StuckAfter is how long a row may stay unsettled before people are told
// (starter notifications --stuck) and may resend it: far longer than an
// attempt can take.
const StuckAfter = 15 * time.Minute

// Resend sends key's message once more because a person, by, decided so
// (starter notifications resend); never automatic. It refuses a message
// sent already or being sent; the ledger records who asked.
func (d Delivery) Resend(ctx context.Context, key, by string) (Outcome, error) {
	n, rec, err := d.Ledger.ClaimResend(ctx, key, by, StuckAfter)
	if err != nil {
		return Outcome{}, err
	}
	f, err := d.precheck(ctx, n)
	if err != nil {
		return Outcome{}, err
	}
	logging.For(ctx, d.Log).Info("notification resent by hand", "key", logKey(n), "by", by, "attempt", rec.Attempts)
	return d.deliver(ctx, notebookOf(ctx), n, rec.Attempts, f)
}

// recordAccepted settles a message an earlier attempt got accepted but
// could not record.
func (d Delivery) recordAccepted(ctx context.Context, book *notebook, n Message, note attemptNote) (Outcome, error) {
	rec, applied, err := d.Ledger.SettleNotification(ctx, n.Key, note.Attempt, StatusSent, note.ProviderMessageID, "")
	if err != nil {
		book.remember(ctx, note)
		return Outcome{}, err
	}
	book.forget(n.Key)
	if !applied {
		return outcomeOf(rec), nil
	}
	logging.For(ctx, d.Log).Info("notification sent by an earlier attempt; recorded now", "key", logKey(n), "channel", n.Channel,
		"order_id", n.OrderID, "provider", d.Provider.Name(), "message_id", note.ProviderMessageID)
	return Outcome{Status: StatusSent, ProviderMessageID: note.ProviderMessageID}, nil
}

// deliver makes the provider call of claimed attempt number attempt (or
// records the failure f found before it) and settles the row.
func (d Delivery) deliver(ctx context.Context, book *notebook, n Message, attempt int, f *failure) (Outcome, error) {
	logger := log.With(logging.For(ctx, d.Log), "key", logKey(n), "channel", n.Channel, "order_id", n.OrderID, "provider", d.Provider.Name(), "attempt", attempt)
	var id string
	if f == nil {
		stop := book.keepAlive(ctx)
		started := time.Now()
		var err error
		id, err = d.Provider.Deliver(ctx, n)
		observeCall(ctx, d.Provider.Name(), time.Since(started))
		stop()
		f = asFailure(err)
	}
	// The call may have sent: record its outcome even if the activity's
	// context has ended meanwhile.
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if f == nil {
		rec, applied, err := d.Ledger.SettleNotification(settleCtx, n.Key, attempt, StatusSent, id, "")
		if err != nil {
			book.remember(ctx, attemptNote{Key: n.Key, Attempt: attempt, Accepted: true, ProviderMessageID: id})
			return Outcome{}, err
		}
		if !applied {
			logger.Warn("notification accepted, but a later attempt holds its ledger row; this copy counts there as an uncertain send",
				"message_id", id, "status", rec.Status)
			return outcomeOf(rec), nil
		}
		logger.Info("notification sent", "message_id", id)
		count(ctx, n.Channel, StatusSent)
		return Outcome{Status: StatusSent, ProviderMessageID: id}, nil
	}
	switch f.class {
	case retryable, refusedCredentials:
		rec, applied, err := d.Ledger.SettleNotification(settleCtx, n.Key, attempt, StatusRetrying, "", f.msg)
		if err != nil {
			book.remember(ctx, attemptNote{Key: n.Key, Attempt: attempt})
			return Outcome{}, err
		}
		if !applied {
			return outcomeOf(rec), nil
		}
		count(ctx, n.Channel, StatusRetrying)
		if f.class == refusedCredentials {
			logger.Error("notification not sent: the provider refused the credentials; a configuration problem, retrying",
				"error", f.msg, "retry_after", f.retryAfter)
		} else {
			logger.Warn("notification not sent; will retry", "error", f.msg, "retry_after", f.retryAfter)
		}
		return Outcome{}, f.temporalError()
	case uncertain:
		rec, applied, err := d.Ledger.SettleNotification(settleCtx, n.Key, attempt, StatusUnknown, "", f.msg)
		if err != nil || !applied {
			// Still pending: the next attempt counts it as uncertain.
			return outcomeOf(rec), err
		}
		count(ctx, n.Channel, StatusUnknown)
		if rec.UncertainSends < d.maxUncertainSends() {
			logger.Warn("notification outcome unknown; will send once more", "error", f.msg)
			return Outcome{}, f.temporalError()
		}
		logger.Warn("notification outcome unknown; not sending again (starter notifications --stuck)", "error", f.msg)
		return Outcome{Status: StatusUnknown, Error: f.msg}, nil
	}
	if f.class == unsubscribed {
		if err := d.Ledger.Suppress(settleCtx, n.Channel, n.Recipient, f.msg, n.Key); err != nil {
			return Outcome{}, err
		}
	}
	applied, err := d.Ledger.FailNotification(settleCtx, n.Key, attempt, f.msg)
	if err != nil {
		return Outcome{}, err
	}
	if applied {
		logger.Warn("notification failed for good", "error", f.msg)
		outcome := StatusFailed
		if f.suppressed {
			outcome = "suppressed"
		}
		count(ctx, n.Channel, outcome)
	}
	return Outcome{Status: StatusFailed, Error: f.msg}, nil
}

// outcomeOf is the outcome of a key handled by another attempt.
func outcomeOf(rec LedgerRecord) Outcome {
	return Outcome{Status: rec.Status, ProviderMessageID: rec.ProviderMessageID, Error: rec.LastError, Duplicate: true}
}

// precheck finds what rules a message out before any request: a
// suppressed or malformed recipient.
func (d Delivery) precheck(ctx context.Context, n Message) (*failure, error) {
	reason, suppressed, err := d.Ledger.Suppression(ctx, n.Channel, n.Recipient)
	if err != nil {
		return nil, err
	}
	if suppressed {
		return &failure{class: permanent, suppressed: true, msg: "recipient is on the " + n.Channel + " suppression list: " + reason}, nil
	}
	if err := d.Provider.CheckRecipient(n.Recipient); err != nil {
		return (&failure{class: permanent, msg: "not sent: " + err.Error()}).redacted(n.Recipient), nil
	}
	return nil, nil
}

func (f *failure) temporalError() error {
	return temporal.NewApplicationErrorWithOptions(f.msg, contract.ErrTypeProviderUnavailable,
		temporal.ApplicationErrorOptions{NextRetryDelay: f.retryAfter})
}

// count adds one outcome of a provider call (or a recording) to the
// activity's metrics: backorder_notifications{channel, outcome}. Outside
// an activity (tests, a person's resend) nothing is counted.
func count(ctx context.Context, channel, outcome string) {
	if activity.IsActivity(ctx) {
		activity.GetMetricsHandler(ctx).WithTags(map[string]string{"channel": channel, "outcome": outcome}).
			Counter("backorder_notifications").Inc(1)
	}
}

// observeCall records how long one provider call took:
// backorder_provider_latency{provider}.
func observeCall(ctx context.Context, provider string, took time.Duration) {
	if activity.IsActivity(ctx) {
		activity.GetMetricsHandler(ctx).WithTags(map[string]string{"provider": provider}).
			Timer("backorder_provider_latency").Record(took)
	}
}
