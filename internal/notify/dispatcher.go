package notify

import (
	"context"

	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/store"
)

// Dispatcher routes each message to the notifier of its channel: SendGrid
// or the recorder for email, Twilio or the recorder for SMS.
type Dispatcher struct {
	Email Notifier
	SMS   Notifier
}

// Send implements Notifier.
func (d Dispatcher) Send(ctx context.Context, n store.Notification) (Outcome, error) {
	switch n.Channel {
	case Email:
		return d.Email.Send(ctx, n)
	case SMS:
		return d.SMS.Send(ctx, n)
	}
	return Outcome{}, temporal.NewNonRetryableApplicationError("no notifier for channel "+n.Channel, "UnknownChannel", nil)
}
