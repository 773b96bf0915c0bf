package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/acme/backorders/internal/notify"
)

// channelNotifier answers with its name.
type channelNotifier string

func (c channelNotifier) Send(context.Context, notify.Message) (notify.Outcome, error) {
	return notify.Outcome{Status: string(c)}, nil
}

func TestDispatcherRoutesByChannel(t *testing.T) {
	d := notify.Dispatcher{Email: channelNotifier("via email"), SMS: channelNotifier("via sms")}
	out, err := d.Send(context.Background(), notify.Message{Channel: notify.Email})
	require.NoError(t, err)
	assert.Equal(t, "via email", out.Status)
	out, err = d.Send(context.Background(), notify.Message{Channel: notify.SMS})
	require.NoError(t, err)
	assert.Equal(t, "via sms", out.Status)

	_, err = d.Send(context.Background(), notify.Message{Channel: "pigeon"})
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr))
	assert.True(t, appErr.NonRetryable())
}

func TestOutcomeDelivered(t *testing.T) {
	for status, want := range map[string]bool{"sent": true, "recorded": true, "unknown": false, "failed": false} {
		assert.Equal(t, want, notify.Outcome{Status: status}.Delivered(), status)
	}
}
