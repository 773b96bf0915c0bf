package notify

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/contract"
)

// Dispatcher routes each message to the notifier of its channel: SendGrid
// or the recorder for email, Twilio or the recorder for SMS.
type Dispatcher struct {
	Email Notifier
	SMS   Notifier
}

// Send implements Notifier.
func (d Dispatcher) Send(ctx context.Context, n Message) (Outcome, error) {
	switch n.Channel {
	case Email:
		return d.Email.Send(ctx, n)
	case SMS:
		return d.SMS.Send(ctx, n)
	}
	return Outcome{}, temporal.NewNonRetryableApplicationError("no notifier for channel "+n.Channel, contract.ErrTypeUnknownChannel, nil)
}

// Resend sends a ledger message again through its channel's provider, as
// a person decided (see Delivery.Resend). A channel without a provider
// here cannot resend.
func (d Dispatcher) Resend(ctx context.Context, channel, key, by string) (Outcome, error) {
	n := d.Email
	if channel == SMS {
		n = d.SMS
	}
	delivery, ok := n.(Delivery)
	if !ok {
		return Outcome{}, fmt.Errorf("%s is recorded only with this configuration, not sent: set its provider's variables (see starter notifications) to resend %s", channel, key)
	}
	return delivery.Resend(ctx, key, by)
}
