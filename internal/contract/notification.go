package contract

// Statuses of a message in the notifications ledger, which a
// NotificationOutcome carries (internal/notify names them Status*).
const (
	// NotificationRecorded: kept in the ledger instead of handed to a
	// provider.
	NotificationRecorded = "recorded"
	// NotificationPending: claimed by an attempt that is calling the
	// provider (or died doing so).
	NotificationPending = "pending"
	// NotificationRetrying: the last attempt failed without the provider
	// taking the message (429, 5xx, no connection); the next one sends.
	NotificationRetrying = "retrying"
	// NotificationSent: the provider accepted it; provider_message_id says
	// as what.
	NotificationSent = "sent"
	// NotificationUnknown: the request went out and no answer came back, so
	// the provider may have accepted it.
	NotificationUnknown = "unknown"
	// NotificationFailed: it will never be sent (refused, bad or suppressed
	// recipient); last_error says why.
	NotificationFailed = "failed"
)

// NotificationOutcome is what became of one message the notification
// activities sent (notify.Outcome is this type).
type NotificationOutcome struct {
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
func (o NotificationOutcome) Delivered() bool {
	return o.Status == NotificationSent || o.Status == NotificationRecorded
}
