package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/acme/backorders/internal/address"
)

// smsValidity is how long Twilio may hold an SMS in its queue: an alert
// that cannot go out within the hour is stale and is dropped, not
// delivered late.
const smsValidity = time.Hour

// twilioUnsubscribed is Twilio's error for a recipient who replied STOP.
const twilioUnsubscribed = 21610

// Twilio delivers SMS through Twilio's Messages API with the twilio-go
// library. Each send gets its own client, whose transport carries the
// activity's context (twilio-go takes none) and, when a base URL is
// configured, sends api.twilio.com requests there instead.
type Twilio struct {
	accountSID, authToken, from string
	callback                    string
	target                      *url.URL
	timeout                     time.Duration
}

// TwilioOptions configures a Twilio provider.
type TwilioOptions struct {
	AccountSID string
	AuthToken  string
	From       string
	// BaseURL replaces https://api.twilio.com (a relay, a fake); empty is
	// Twilio's own.
	BaseURL string
	// StatusCallbackURL, when set, is where Twilio reports delivery;
	// each message adds ?key=<ledger key> to it.
	StatusCallbackURL string
	// Timeout bounds one call; zero is DefaultTimeout.
	Timeout time.Duration
}

// NewTwilio makes a Twilio provider; the URLs must parse (config checks
// them).
func NewTwilio(o TwilioOptions) (*Twilio, error) {
	t := &Twilio{accountSID: o.AccountSID, authToken: o.AuthToken, from: o.From, callback: o.StatusCallbackURL, timeout: o.Timeout}
	if t.timeout == 0 {
		t.timeout = DefaultTimeout
	}
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("twilio base URL: %w", err)
		}
		t.target = u
	}
	if _, err := url.Parse(o.StatusCallbackURL); err != nil {
		return nil, fmt.Errorf("twilio status callback URL: %w", err)
	}
	return t, nil
}

// Name implements Provider.
func (*Twilio) Name() string { return "Twilio" }

// CheckRecipient implements Provider.
func (*Twilio) CheckRecipient(recipient string) error { return address.Phone(recipient) }

// Deliver implements Provider: one message create.
func (t *Twilio) Deliver(ctx context.Context, n Message) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	x := &exchange{ctx: ctx, timeout: t.timeout, target: t.target}
	c := &client.Client{Credentials: client.NewCredentials(t.accountSID, t.authToken), HTTPClient: x.client()}
	c.SetAccountSid(t.accountSID)

	params := &openapi.CreateMessageParams{}
	params.SetTo(n.Recipient).SetFrom(t.from).SetBody(n.Body).SetValidityPeriod(int(smsValidity.Seconds()))
	if t.callback != "" {
		params.SetStatusCallback(t.callbackFor(n.Key))
	}
	msg, err := openapi.NewApiServiceWithClient(c).CreateMessage(params)
	status, header := x.answer()
	var restErr *client.TwilioRestError
	// Twilio, or a proxy, may echo the credentials or the number it was sent
	// ("The 'To' number +1... is not a valid phone number").
	hidden := append(t.secrets(), n.Recipient)
	switch {
	case err == nil && msg.Sid != nil:
		return *msg.Sid, nil
	case status/100 == 2:
		// Accepted, even if its answer did not read as a message.
		return "", nil
	case errors.As(err, &restErr):
		detail := restErr.Message
		if restErr.Code != 0 {
			detail = fmt.Sprintf("error %d: %s", restErr.Code, restErr.Message)
		}
		if status == 0 {
			status = restErr.Status // refused before any request (bad credentials' shape)
		}
		f := httpFailure(t.Name(), status, header, redact(detail, hidden...))
		if restErr.Code == twilioUnsubscribed {
			f.class = unsubscribed
		}
		return "", f.redacted(hidden...)
	case status != 0:
		// An error answer that is not Twilio's JSON (a proxy's page).
		return "", httpFailure(t.Name(), status, header, "").redacted(hidden...)
	}
	return "", transportFailure(t.Name(), x.requestWritten(), err).redacted(hidden...)
}

// callbackFor is the status callback URL of one message, carrying its
// ledger key so delivery reports can be matched to it.
func (t *Twilio) callbackFor(key string) string {
	u, _ := url.Parse(t.callback) // checked by NewTwilio
	q := u.Query()
	q.Set("key", key)
	u.RawQuery = q.Encode()
	return u.String()
}

// secrets is what must never appear in an error: the credentials, and the
// Authorization header they make, which a proxy may echo. The header goes
// first: it contains neither credential as such.
func (t *Twilio) secrets() []string {
	return []string{base64.StdEncoding.EncodeToString([]byte(t.accountSID + ":" + t.authToken)), t.authToken, t.accountSID}
}
