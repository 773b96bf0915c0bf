package contract

// Error types of the activities' application errors: what workflows and
// retry policies tell apart.
const (
	// Non-retryable: bad data that no retry can fix.
	ErrTypeOrderNotFound = "OrderNotFound"
	ErrTypeTaskNotFound  = "TaskNotFound"
	ErrTypeInvalidInput  = "InvalidInput"

	// ErrTypeDatabaseUnavailable is the retryable error type of a
	// notification step that failed on the database (loading the order,
	// the ledger) rather than on the provider.
	ErrTypeDatabaseUnavailable = "DatabaseUnavailable"
	// ErrTypeProviderUnavailable is the type of the retryable error a send
	// returns when the provider took nothing (429, 5xx, no connection) or,
	// for email, may have: Temporal tries again, after the provider's
	// Retry-After when it gave one.
	ErrTypeProviderUnavailable = "ProviderUnavailable"
	// ErrTypeUnknownChannel: a message for a channel no notifier sends
	// (non-retryable).
	ErrTypeUnknownChannel = "UnknownChannel"
)

// BadDataErrorTypes are the non-retryable error types: bad data never
// heals by retrying.
var BadDataErrorTypes = []string{ErrTypeOrderNotFound, ErrTypeTaskNotFound, ErrTypeInvalidInput}
