package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/acme/backorders/internal/notify"
)

// The notifications ledger: one row per intended message, claimed and
// settled around each provider call, and the suppression list. The
// notifier (internal/notify) owns the message and record types and the
// ledger interfaces this implements.

var (
	_ notify.Ledger         = (*Store)(nil)
	_ notify.DeliveryLedger = (*Store)(nil)
)

const recordColumns = `key, order_id, channel, recipient, status, coalesce(provider_message_id, ''),
	attempts, coalesce(last_error, ''), uncertain_sends, coalesce(resent_by, ''), created_at, updated_at`

func scanRecord(row pgx.Row) (notify.LedgerRecord, error) {
	var r notify.LedgerRecord
	err := row.Scan(&r.Key, &r.OrderID, &r.Channel, &r.Recipient, &r.Status, &r.ProviderMessageID,
		&r.Attempts, &r.LastError, &r.UncertainSends, &r.ResentBy, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

// attachmentNames is what the ledger keeps of a message's attachments:
// their names, not their content.
func attachmentNames(n notify.Message) []string {
	names := make([]string, len(n.Attachments))
	for i, a := range n.Attachments {
		names[i] = a.Filename
	}
	return names
}

// RecordNotification writes a ledger row once per key; inserted is false
// when the key has a row already, and rec is the row as it stands (it may
// say failed or unknown if a provider handled the key before).
func (s *Store) RecordNotification(ctx context.Context, n notify.Message) (rec notify.LedgerRecord, inserted bool, err error) {
	rec, err = scanRecord(s.pool.QueryRow(ctx, `
		INSERT INTO notifications (key, order_id, incident_id, channel, recipient, subject, body, html_body, attachments, status, attempts, sent_at)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8, $9, $10, 1, now())
		ON CONFLICT (key) DO NOTHING
		RETURNING `+recordColumns,
		n.Key, n.OrderID, n.IncidentID, n.Channel, n.Recipient, n.Subject, n.Body, n.HTMLBody, attachmentNames(n), n.Status))
	if err == nil {
		return rec, true, nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		rec, err = scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM notifications WHERE key = $1`, n.Key))
	}
	if err != nil {
		return rec, false, fmt.Errorf("recording %s notification %s: %w", n.Channel, n.Key, err)
	}
	return rec, false, nil
}

// lostAttempt is what a pending row says once no attempt holds it.
const lostAttempt = "an earlier attempt ended without a result; the provider may have accepted it"

// ClaimNotification takes n's ledger row for one delivery attempt: a new
// row, or one whose last attempt sent nothing (retrying), becomes pending
// with one more attempt, and claimed is true; rec.Attempts is the claim's
// fencing token for SettleNotification. Otherwise the row holds the result
// and nothing may be sent: sent, failed, recorded, or unknown.
//
// A row found pending belongs to an attempt that ended without settling it
// (the worker died or was cut off mid-call), so it may have reached the
// provider: it counts as an uncertain send and becomes unknown, unless
// policy.NothingTakenBy says that very attempt got nothing through. An
// unknown row is claimed again while its uncertain sends are fewer than
// policy.MaxUncertainSends.
func (s *Store) ClaimNotification(ctx context.Context, n notify.Message, policy notify.ClaimPolicy) (rec notify.LedgerRecord, claimed bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rec, err = scanRecord(tx.QueryRow(ctx, `
			INSERT INTO notifications (key, order_id, incident_id, channel, recipient, subject, body, html_body,
			                           attachments, status, attempts)
			VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8, $9, 'pending', 1)
			ON CONFLICT (key) DO NOTHING
			RETURNING `+recordColumns,
			n.Key, n.OrderID, n.IncidentID, n.Channel, n.Recipient, n.Subject, n.Body, n.HTMLBody, attachmentNames(n)))
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
		nothingTaken := rec.Status == notify.StatusPending && policy.NothingTakenBy > 0 && rec.Attempts == policy.NothingTakenBy
		if rec.Status == notify.StatusPending && !nothingTaken {
			if rec, err = scanRecord(tx.QueryRow(ctx, `
				UPDATE notifications SET status = 'unknown', uncertain_sends = uncertain_sends + 1,
				       last_error = $2, updated_at = now()
				WHERE key = $1 RETURNING `+recordColumns, n.Key, lostAttempt)); err != nil {
				return err
			}
		}
		if rec.Status == notify.StatusRetrying || nothingTaken ||
			(rec.Status == notify.StatusUnknown && rec.UncertainSends < policy.MaxUncertainSends) {
			claimed = true
			rec, err = scanRecord(tx.QueryRow(ctx, `
				UPDATE notifications SET status = 'pending', attempts = attempts + 1, updated_at = now()
				WHERE key = $1 RETURNING `+recordColumns, n.Key))
		}
		return err
	})
	if err != nil {
		return rec, false, fmt.Errorf("claiming %s notification %s: %w", n.Channel, n.Key, err)
	}
	return rec, claimed, nil
}

// SettleNotification records how claimed attempt number attempt ended:
// sent (with the provider's message id), retrying or unknown (with the
// error; unknown counts an uncertain send). It applies only while that
// attempt holds the claim: when a later attempt has taken the row over,
// applied is false, nothing changes, and rec is the row as it stands. A
// row that was sent keeps the last error seen before.
func (s *Store) SettleNotification(ctx context.Context, key string, attempt int, status, providerMessageID, lastError string) (rec notify.LedgerRecord, applied bool, err error) {
	rec, err = scanRecord(s.pool.QueryRow(ctx, `
		UPDATE notifications SET status = $3,
		       provider_message_id = coalesce(NULLIF($4, ''), provider_message_id),
		       last_error = coalesce(NULLIF($5, ''), last_error),
		       uncertain_sends = uncertain_sends + CASE WHEN $3 = 'unknown' THEN 1 ELSE 0 END,
		       sent_at = CASE WHEN $3 = 'sent' THEN now() ELSE sent_at END,
		       updated_at = now()
		WHERE key = $1 AND attempts = $2 AND status = 'pending'
		RETURNING `+recordColumns, key, attempt, status, providerMessageID, lastError))
	if errors.Is(err, pgx.ErrNoRows) {
		rec, err = scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM notifications WHERE key = $1`, key))
		if err == nil {
			return rec, false, nil
		}
	}
	if err != nil {
		return rec, false, fmt.Errorf("recording notification %s as %s: %w", key, status, err)
	}
	return rec, true, nil
}

// FailNotification records that a message will never be sent, on the
// ledger and on its incident's delivery failures, once, if claimed
// attempt number attempt still holds it; applied says whether it did.
func (s *Store) FailNotification(ctx context.Context, key string, attempt int, lastError string) (applied bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var incidentID *string
		var channel, recipient string
		err := tx.QueryRow(ctx, `
			UPDATE notifications SET status = 'failed', last_error = $3, updated_at = now()
			WHERE key = $1 AND attempts = $2 AND status = 'pending'
			RETURNING incident_id, channel, recipient`, key, attempt, lastError).Scan(&incidentID, &channel, &recipient)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // another attempt holds it
		}
		if err != nil {
			return err
		}
		applied = true
		if incidentID == nil {
			return nil // no incident to tell
		}
		_, err = tx.Exec(ctx, `
			UPDATE incidents SET updated_at = now(), delivery_failures = delivery_failures || jsonb_build_array(
			       jsonb_build_object('key', $2::text, 'channel', $3::text, 'recipient', $4::text, 'error', $5::text,
			                          'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
			WHERE id = $1`, *incidentID, key, channel, recipient, lastError)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("recording notification %s as failed: %w", key, err)
	}
	return applied, nil
}

// ErrNotResendable is returned by ClaimResend for a message that must not
// be sent again by hand: sent, recorded, or being sent right now.
var ErrNotResendable = errors.New("not resendable")

// ClaimResend claims a message a person decided to send again (starter
// notifications resend): an unknown, failed, retrying or stuck pending row
// (untouched for longer than stuckAfter) becomes pending with one more
// attempt, recording who asked. It returns the message with its content
// and the claimed row.
func (s *Store) ClaimResend(ctx context.Context, key, by string, stuckAfter time.Duration) (n notify.Message, rec notify.LedgerRecord, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if rec, err = scanRecord(tx.QueryRow(ctx, `SELECT `+recordColumns+` FROM notifications WHERE key = $1 FOR UPDATE`, key)); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("no notification has key %q: see starter notifications: %w", key, ErrNotFound)
			}
			return err
		}
		switch rec.Status {
		case notify.StatusSent, notify.StatusRecorded:
			return fmt.Errorf("%s is %s already; resending would deliver it twice: %w", key, rec.Status, ErrNotResendable)
		case notify.StatusPending:
			if time.Since(rec.UpdatedAt) < stuckAfter {
				return fmt.Errorf("%s is being sent right now (attempt %d); try again if it is still pending in %s: %w",
					key, rec.Attempts, stuckAfter, ErrNotResendable)
			}
		}
		var attachments []string
		if err := tx.QueryRow(ctx, `
			SELECT coalesce(incident_id, ''), subject, body, html_body, attachments FROM notifications WHERE key = $1`, key).
			Scan(&n.IncidentID, &n.Subject, &n.Body, &n.HTMLBody, &attachments); err != nil {
			return err
		}
		if len(attachments) > 0 {
			return fmt.Errorf("%s has attachments (%v), which the ledger does not keep; run its report again instead: %w",
				key, attachments, ErrNotResendable)
		}
		n.Key, n.OrderID, n.Channel, n.Recipient = rec.Key, rec.OrderID, rec.Channel, rec.Recipient
		rec, err = scanRecord(tx.QueryRow(ctx, `
			UPDATE notifications SET status = 'pending', attempts = attempts + 1, resent_by = $2, resent_at = now(),
			       updated_at = now()
			WHERE key = $1 RETURNING `+recordColumns, key, by))
		return err
	})
	return n, rec, err
}

// NotificationByKey is the ledger row of key.
func (s *Store) NotificationByKey(ctx context.Context, key string) (notify.LedgerRecord, error) {
	rec, err := scanRecord(s.pool.QueryRow(ctx, `SELECT `+recordColumns+` FROM notifications WHERE key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return rec, fmt.Errorf("no notification has key %q: see starter notifications: %w", key, ErrNotFound)
	}
	return rec, err
}

// StuckNotifications lists the rows not settled (pending, retrying or
// unknown) for longer than olderThan, oldest first: messages a workflow
// stopped waiting for, or whose outcome a person must decide.
func (s *Store) StuckNotifications(ctx context.Context, olderThan time.Duration) ([]notify.LedgerRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+` FROM notifications
		WHERE status IN ('pending', 'retrying', 'unknown') AND updated_at < now() - $1::interval
		ORDER BY updated_at, key`, olderThan)
	if err != nil {
		return nil, fmt.Errorf("listing stuck notifications: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.LedgerRecord, error) { return scanRecord(r) })
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
func (s *Store) ListNotifications(ctx context.Context, orderID string) ([]notify.LedgerRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+recordColumns+` FROM notifications
		WHERE $1 = '' OR order_id = $1 ORDER BY created_at, key`, orderID)
	if err != nil {
		return nil, fmt.Errorf("listing notifications: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.LedgerRecord, error) { return scanRecord(r) })
}
