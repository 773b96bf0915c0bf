package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Statuses of a notifications ledger row.
const (
	// StatusRecorded: kept in the ledger instead of handed to a provider.
	StatusRecorded = "recorded"
	// StatusPending: claimed by an attempt that is calling the provider (or
	// died doing so).
	StatusPending = "pending"
	// StatusRetrying: the last attempt failed without the provider taking
	// the message (429, 5xx, no connection); the next one sends.
	StatusRetrying = "retrying"
	// StatusSent: the provider accepted it; provider_message_id says as what.
	StatusSent = "sent"
	// StatusUnknown: the request went out and no answer came back, so the
	// provider may have accepted it.
	StatusUnknown = "unknown"
	// StatusFailed: it will never be sent (refused, bad or suppressed
	// recipient); last_error says why.
	StatusFailed = "failed"
)

// NotificationRecord is a ledger row without its content.
type NotificationRecord struct {
	Key               string
	OrderID           string
	Channel           string
	Recipient         string
	Status            string
	ProviderMessageID string
	Attempts          int
	LastError         string
	CreatedAt         time.Time
}

const recordColumns = `key, order_id, channel, recipient, status, coalesce(provider_message_id, ''),
	attempts, coalesce(last_error, ''), created_at`

func scanRecord(row pgx.Row) (NotificationRecord, error) {
	var r NotificationRecord
	err := row.Scan(&r.Key, &r.OrderID, &r.Channel, &r.Recipient, &r.Status, &r.ProviderMessageID,
		&r.Attempts, &r.LastError, &r.CreatedAt)
	return r, err
}

// ClaimNotification takes n's ledger row for one delivery attempt: a new
// row, or one whose last attempt sent nothing (retrying), becomes pending
// with one more attempt, and claimed is true. Otherwise the row holds the
// result and nothing may be sent: sent, failed, recorded, or unknown.
//
// A row found pending belongs to an attempt that ended without settling it
// (the worker died mid-call), so it may have reached the provider. With
// resendUnknown (email: a duplicate is tolerable) such rows and unknown
// ones are claimed again; without it (SMS) a pending row becomes unknown.
func (s *Store) ClaimNotification(ctx context.Context, n Notification, resendUnknown bool) (rec NotificationRecord, claimed bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rec, err = scanRecord(tx.QueryRow(ctx, `
			INSERT INTO notifications (key, order_id, incident_id, channel, recipient, subject, body, html_body,
			                           attachments, status, attempts)
			VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8, $9, 'pending', 1)
			ON CONFLICT (key) DO NOTHING
			RETURNING `+recordColumns,
			n.Key, n.OrderID, n.IncidentID, n.Channel, n.Recipient, n.Subject, n.Body, n.HTMLBody, n.attachmentNames()))
		if err == nil {
			claimed = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if rec, err = scanRecord(tx.QueryRow(ctx, `SELECT `+recordColumns+` FROM notifications WHERE key = $1 FOR UPDATE`, n.Key)); err != nil {
			return err
		}
		switch {
		case rec.Status == StatusRetrying, resendUnknown && (rec.Status == StatusPending || rec.Status == StatusUnknown):
			claimed = true
			rec, err = scanRecord(tx.QueryRow(ctx, `
				UPDATE notifications SET status = 'pending', attempts = attempts + 1, updated_at = now()
				WHERE key = $1 RETURNING `+recordColumns, n.Key))
			return err
		case rec.Status == StatusPending:
			rec, err = scanRecord(tx.QueryRow(ctx, `
				UPDATE notifications SET status = 'unknown', updated_at = now(),
				       last_error = 'an earlier attempt ended without a result; the provider may have accepted it'
				WHERE key = $1 RETURNING `+recordColumns, n.Key))
			return err
		}
		return nil
	})
	if err != nil {
		return rec, false, fmt.Errorf("claiming %s notification %s: %w", n.Channel, n.Key, err)
	}
	return rec, claimed, nil
}

// SettleNotification records how a claimed attempt ended: sent (with the
// provider's message id), retrying or unknown (with the error). A row that
// was sent keeps the last error seen before, next to its attempt count.
func (s *Store) SettleNotification(ctx context.Context, key, status, providerMessageID, lastError string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE notifications SET status = $2,
		       provider_message_id = coalesce(NULLIF($3, ''), provider_message_id),
		       last_error = coalesce(NULLIF($4, ''), last_error),
		       sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
		       updated_at = now()
		WHERE key = $1`, key, status, providerMessageID, lastError)
	if err != nil {
		return fmt.Errorf("recording notification %s as %s: %w", key, status, err)
	}
	return nil
}

// FailNotification records that a message will never be sent, on the
// ledger and on its incident's delivery failures, once.
func (s *Store) FailNotification(ctx context.Context, key, lastError string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var incidentID *string
		var channel, recipient string
		err := tx.QueryRow(ctx, `
			UPDATE notifications SET status = 'failed', last_error = $2, updated_at = now()
			WHERE key = $1 AND status <> 'failed'
			RETURNING incident_id, channel, recipient`, key, lastError).Scan(&incidentID, &channel, &recipient)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && incidentID == nil) {
			return nil // failed before, or no incident to tell
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE incidents SET updated_at = now(), delivery_failures = delivery_failures || jsonb_build_array(
			       jsonb_build_object('key', $2::text, 'channel', $3::text, 'recipient', $4::text, 'error', $5::text,
			                          'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
			WHERE id = $1`, *incidentID, key, channel, recipient, lastError)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording notification %s as failed: %w", key, err)
	}
	return nil
}

// Suppress puts a recipient on the suppression list of a channel.
func (s *Store) Suppress(ctx context.Context, channel, recipient, reason, sourceKey string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO suppressions (channel, recipient, reason, source_key) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, recipient) DO NOTHING`, channel, recipient, reason, sourceKey)
	if err != nil {
		return fmt.Errorf("suppressing %s recipient: %w", channel, err)
	}
	return nil
}

// Suppression says why a recipient must not be messaged on a channel;
// suppressed is false when nothing stands in the way.
func (s *Store) Suppression(ctx context.Context, channel, recipient string) (reason string, suppressed bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT reason FROM suppressions WHERE channel = $1 AND recipient = $2`,
		channel, recipient).Scan(&reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("checking the %s suppression list: %w", channel, err)
	}
	return reason, true, nil
}

// ListNotifications lists the ledger, oldest first; orderID narrows it to
// one order.
func (s *Store) ListNotifications(ctx context.Context, orderID string) ([]NotificationRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+` FROM notifications
		WHERE $1 = '' OR order_id = $1 ORDER BY created_at, key`, orderID)
	if err != nil {
		return nil, fmt.Errorf("listing notifications: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (NotificationRecord, error) { return scanRecord(r) })
}
