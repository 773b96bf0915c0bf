package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Idempotency keys of the JSON API's writes: the first request with a key
// claims it, runs, and saves its response; a retry with the same key and
// request gets that response again instead of acting twice.

// IdempotencyKeyRetention is how long a key is remembered.
const IdempotencyKeyRetention = 24 * time.Hour

// IdempotencyClaimLease is how long a claimed key whose request never
// finished (the server stopped mid-request) blocks a retry: longer than
// any request runs, so a retry never overlaps its first attempt.
const IdempotencyClaimLease = 2 * time.Minute

// ClaimOutcome is what ClaimIdempotencyKey found.
type ClaimOutcome int

const (
	// KeyClaimed: the key is new (or its earlier claim was abandoned);
	// the caller runs the request, then saves or releases the key.
	KeyClaimed ClaimOutcome = iota
	// KeyAnswered: the same request ran to an answer: Claim.Status and
	// Claim.Body are it.
	KeyAnswered
	// KeyInProgress: the same request is running now.
	KeyInProgress
	// KeyReused: the key was used for a different request.
	KeyReused
)

// IdempotencyClaim is the outcome of claiming a key, with the saved
// answer when there is one.
type IdempotencyClaim struct {
	Outcome ClaimOutcome
	Status  int
	Body    []byte
}

// ClaimIdempotencyKey claims key for the token's request whose hash is
// requestHash, or says why it cannot: a finished request's saved answer,
// one still running, or a different request under the same key. Keys
// older than IdempotencyKeyRetention are forgotten first.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, token, key string, requestHash []byte) (IdempotencyClaim, error) {
	var claim IdempotencyClaim
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM api_idempotency_keys WHERE created_at < now() - $1::interval`,
			IdempotencyKeyRetention); err != nil {
			return err
		}
		// A claim taken over (same request, abandoned) starts afresh.
		var claimed bool
		err := tx.QueryRow(ctx, `
			INSERT INTO api_idempotency_keys (token_name, key, request_hash) VALUES ($1, $2, $3)
			ON CONFLICT (token_name, key) DO UPDATE SET created_at = now()
			WHERE api_idempotency_keys.status_code IS NULL
			  AND api_idempotency_keys.request_hash = EXCLUDED.request_hash
			  AND api_idempotency_keys.created_at < now() - $4::interval
			RETURNING true`, token, key, requestHash, IdempotencyClaimLease).Scan(&claimed)
		if err == nil {
			claim.Outcome = KeyClaimed
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var hash []byte
		var status *int
		if err := tx.QueryRow(ctx, `SELECT request_hash, status_code, response FROM api_idempotency_keys
			WHERE token_name = $1 AND key = $2`, token, key).Scan(&hash, &status, &claim.Body); err != nil {
			return err
		}
		switch {
		case !bytes.Equal(hash, requestHash):
			claim.Outcome = KeyReused
		case status == nil:
			claim.Outcome = KeyInProgress
		default:
			claim.Outcome, claim.Status = KeyAnswered, *status
		}
		return nil
	})
	if err != nil {
		return IdempotencyClaim{}, fmt.Errorf("claiming idempotency key: %w", err)
	}
	return claim, nil
}

// SaveIdempotentAnswer records the answer to the request that claimed key.
func (s *Store) SaveIdempotentAnswer(ctx context.Context, token, key string, status int, body []byte) error {
	_, err := s.pool.Exec(ctx, `UPDATE api_idempotency_keys SET status_code = $3, response = $4
		WHERE token_name = $1 AND key = $2`, token, key, status, body)
	if err != nil {
		return fmt.Errorf("saving the answer to idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotencyKey forgets a claimed key whose request failed without
// an answer worth repeating, so a retry runs it again.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, token, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM api_idempotency_keys
		WHERE token_name = $1 AND key = $2 AND status_code IS NULL`, token, key)
	if err != nil {
		return fmt.Errorf("releasing idempotency key: %w", err)
	}
	return nil
}
