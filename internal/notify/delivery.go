package notify

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/store"
)

// ErrTypeProviderUnavailable is the type of the retryable error a send
// returns when the provider took nothing (429, 5xx, no connection) or, for
// email, may have: Temporal tries again, after the provider's Retry-After
// when it gave one.
const ErrTypeProviderUnavailable = "ProviderUnavailable"

// DefaultTimeout bounds one provider call: well inside the notification
// activity's start-to-close timeout, so the attempt still settles its
// ledger row.
const DefaultTimeout = 10 * time.Second

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
	Deliver(ctx context.Context, n store.Notification) (messageID string, err error)
}

// DeliveryLedger is the ledger a Delivery claims and settles rows in.
type DeliveryLedger interface {
	ClaimNotification(ctx context.Context, n store.Notification, resendUnknown bool) (store.NotificationRecord, bool, error)
	SettleNotification(ctx context.Context, key, status, providerMessageID, lastError string) error
	FailNotification(ctx context.Context, key, lastError string) error
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
type Delivery struct {
	Ledger   DeliveryLedger
	Provider Provider
	// ResendUnknown allows sending again a message an earlier attempt may
	// have delivered (timeout after the request went out): a duplicate
	// email is tolerable, a duplicate page to a phone is not.
	ResendUnknown bool
	Log           *slog.Logger
}

// Send delivers n unless its key was handled before.
func (d Delivery) Send(ctx context.Context, n store.Notification) (Outcome, error) {
	if note, ok := acceptedEarlier(ctx, n.Key); ok {
		// An earlier attempt got it accepted but could not record that.
		if err := d.Ledger.SettleNotification(ctx, n.Key, store.StatusSent, note.ProviderMessageID, ""); err != nil {
			rememberAccepted(ctx, note)
			return Outcome{}, err
		}
		d.Log.Info("notification sent by an earlier attempt; recorded now", "key", n.Key, "channel", n.Channel,
			"order_id", n.OrderID, "provider", d.Provider.Name(), "message_id", note.ProviderMessageID)
		return Outcome{Status: store.StatusSent, ProviderMessageID: note.ProviderMessageID}, nil
	}
	// The checks read the database too, so they come before the claim: a
	// database gone between the claim and the call would otherwise leave a
	// row pending that nothing was sent for, and an SMS found pending is
	// never sent.
	f, err := d.precheck(ctx, n)
	if err != nil {
		return Outcome{}, err
	}
	rec, claimed, err := d.Ledger.ClaimNotification(ctx, n, d.ResendUnknown)
	if err != nil {
		return Outcome{}, err
	}
	if !claimed {
		return Outcome{Status: rec.Status, ProviderMessageID: rec.ProviderMessageID, Error: rec.LastError, Duplicate: true}, nil
	}
	log := d.Log.With("key", n.Key, "channel", n.Channel, "order_id", n.OrderID, "provider", d.Provider.Name())

	var id string
	if f == nil {
		id, err = d.Provider.Deliver(ctx, n)
		f = asFailure(err)
	}
	// The call may have sent: record its outcome even if the activity's
	// context has ended meanwhile.
	settleCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if f == nil {
		if err := d.Ledger.SettleNotification(settleCtx, n.Key, store.StatusSent, id, ""); err != nil {
			rememberAccepted(ctx, acceptedNote{Key: n.Key, ProviderMessageID: id})
			return Outcome{}, err
		}
		log.Info("notification sent", "message_id", id)
		return Outcome{Status: store.StatusSent, ProviderMessageID: id}, nil
	}
	switch f.class {
	case retryable:
		if err := d.Ledger.SettleNotification(settleCtx, n.Key, store.StatusRetrying, "", f.msg); err != nil {
			return Outcome{}, err
		}
		log.Warn("notification not sent; will retry", "error", f.msg, "retry_after", f.retryAfter)
		return Outcome{}, f.temporalError()
	case uncertain:
		if err := d.Ledger.SettleNotification(settleCtx, n.Key, store.StatusUnknown, "", f.msg); err != nil {
			return Outcome{}, err
		}
		if d.ResendUnknown {
			log.Warn("notification outcome unknown; will send again", "error", f.msg)
			return Outcome{}, f.temporalError()
		}
		log.Warn("notification outcome unknown; not sending again", "error", f.msg)
		return Outcome{Status: store.StatusUnknown, Error: f.msg}, nil
	}
	if f.class == unsubscribed {
		if err := d.Ledger.Suppress(settleCtx, n.Channel, n.Recipient, f.msg, n.Key); err != nil {
			return Outcome{}, err
		}
	}
	if err := d.Ledger.FailNotification(settleCtx, n.Key, f.msg); err != nil {
		return Outcome{}, err
	}
	log.Warn("notification failed for good", "error", f.msg)
	return Outcome{Status: store.StatusFailed, Error: f.msg}, nil
}

// precheck finds what rules a message out before any request: a
// suppressed or malformed recipient.
func (d Delivery) precheck(ctx context.Context, n store.Notification) (*failure, error) {
	reason, suppressed, err := d.Ledger.Suppression(ctx, n.Channel, n.Recipient)
	if err != nil {
		return nil, err
	}
	if suppressed {
		return &failure{class: permanent, msg: "recipient is on the " + n.Channel + " suppression list: " + reason}, nil
	}
	if err := d.Provider.CheckRecipient(n.Recipient); err != nil {
		return &failure{class: permanent, msg: "not sent: " + err.Error()}, nil
	}
	return nil, nil
}

func (f *failure) temporalError() error {
	return temporal.NewApplicationErrorWithOptions(f.msg, ErrTypeProviderUnavailable,
		temporal.ApplicationErrorOptions{NextRetryDelay: f.retryAfter})
}
