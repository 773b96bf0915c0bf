package notify

import (
	"time"

	"github.com/acme/backorders/internal/contract"
)

// Statuses of a notifications ledger row: the contract's, since a
// notification's outcome carries its row's status to the workflows.
const (
	// StatusRecorded marks a message the recording notifier kept instead
	// of handing to a provider.
	StatusRecorded = contract.NotificationRecorded
	StatusPending  = contract.NotificationPending
	StatusRetrying = contract.NotificationRetrying
	StatusSent     = contract.NotificationSent
	StatusUnknown  = contract.NotificationUnknown
	StatusFailed   = contract.NotificationFailed
)

// Message is one intended message, as the ledger records it.
type Message struct {
	// Key is deterministic per intent (incident, notice kind, ETA version),
	// never per attempt: the unique constraint that makes sending once work.
	Key        string
	OrderID    string
	IncidentID string
	Channel    string // email or sms
	Recipient  string
	Subject    string
	// Body is the plain-text part (the whole SMS).
	Body string
	// HTMLBody is the optional HTML part of an email.
	HTMLBody    string
	Attachments []Attachment
	Status      string
}

// Attachment is a file sent with an email; Inline ones are shown in the
// HTML body through their ContentID (cid:...).
type Attachment struct {
	Filename    string
	ContentType string
	Content     []byte
	Inline      bool
	ContentID   string
}

// LedgerRecord is a ledger row without its content.
type LedgerRecord struct {
	Key               string
	OrderID           string
	Channel           string
	Recipient         string
	Status            string
	ProviderMessageID string
	// Attempts counts the provider calls claimed; the current claim's
	// number is its fencing token.
	Attempts  int
	LastError string
	// UncertainSends counts the calls whose outcome is not known: each may
	// have delivered a copy.
	UncertainSends int
	// ResentBy is who asked for a manual resend, if anyone did.
	ResentBy  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClaimPolicy says when a message whose earlier outcome is not known may
// be sent again.
type ClaimPolicy struct {
	// MaxUncertainSends is how many calls with an unknown outcome a
	// message may have: it is sent again while it has fewer. 2 for email
	// (a customer gets it at most twice), 1 for SMS (never resent).
	MaxUncertainSends int
	// NothingTakenBy is the attempt that found the provider took nothing
	// but could not record it (the activity's heartbeat details say so);
	// its pending row is sent again. 0 when there is none.
	NothingTakenBy int
}
