package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// The web app's sessions and its sign-in throttle. Sessions are found by
// the SHA-256 of their cookie (internal/web makes both); the throttle
// counts wrong passwords in a row per key (a username, a client address).

// SessionLimits end a session: idle longer than Idle, or older than
// Lifetime however busy.
type SessionLimits struct {
	Idle, Lifetime time.Duration
}

// sessionTouchEvery is how stale last_seen_at may get before a request
// stamps it again: a page load need not write a row every time.
const sessionTouchEvery = time.Minute

// CreateSession starts a session for username, and drops every session
// (of anyone) that has ended, so the table holds live ones only.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, username string, limits SessionLimits) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM web_sessions WHERE last_seen_at < now() - $1::interval OR created_at < now() - $2::interval`,
			limits.Idle, limits.Lifetime); err != nil {
			return fmt.Errorf("dropping ended sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO web_sessions (token_hash, username) VALUES ($1, $2)`, tokenHash, username); err != nil {
			return fmt.Errorf("starting a session for %s: %w", username, err)
		}
		return nil
	})
}

// SessionUser returns the user of a live session and marks it used now;
// ErrNotFound when there is no such session or it has ended.
func (s *Store) SessionUser(ctx context.Context, tokenHash []byte, limits SessionLimits) (User, error) {
	var u User
	err := s.pool.QueryRow(ctx, `
		WITH live AS (
		    SELECT token_hash, username, last_seen_at FROM web_sessions
		    WHERE token_hash = $1 AND last_seen_at >= now() - $2::interval AND created_at >= now() - $3::interval),
		touched AS (
		    UPDATE web_sessions w SET last_seen_at = now() FROM live
		    WHERE w.token_hash = live.token_hash AND live.last_seen_at < now() - $4::interval)
		SELECT u.username, u.role FROM live JOIN users u ON u.username = live.username`,
		tokenHash, limits.Idle, limits.Lifetime, sessionTouchEvery).Scan(&u.Username, &u.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("loading a session: %w", err)
	}
	return u, nil
}

// EndSession deletes a session (sign-out); a session already gone is fine.
func (s *Store) EndSession(ctx context.Context, tokenHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("ending a session: %w", err)
	}
	return nil
}

// SignInThrottle is how wrong passwords slow sign-in down: after Limit in a
// row for a key, that key is refused for Lockout. Failures older than
// Forget no longer count.
type SignInThrottle struct {
	Limit   int
	Lockout time.Duration
	Forget  time.Duration
}

// SignInAttempt is what became of one sign-in attempt.
type SignInAttempt struct {
	// Checked: the password was checked. OK: it was right, and the keys'
	// failures are forgotten.
	Checked, OK bool
	// Busy: another attempt on one of the keys was being checked, so this
	// one was not: attempts on a key go one at a time.
	Busy bool
	// LockedUntil, when set, is until when a key is refused: the attempt
	// was refused unchecked, or this failure reached the limit.
	LockedUntil time.Time
}

// AttemptSignIn runs check (the password check) for keys (a username, a
// client address) under the throttle t, one attempt per key at a time,
// and counts its failure against every key; a key at t.Limit failures in
// a row is refused for t.Lockout, and check is not run while any key is.
// An error from check ends the attempt with nothing counted.
// One at a time, so a burst of guesses in parallel cannot all be checked
// before the first failures are counted; a busy key answers at once
// rather than holding a connection in a queue.
func (s *Store) AttemptSignIn(ctx context.Context, t SignInThrottle, keys []string, check func() (bool, error)) (SignInAttempt, error) {
	var a SignInAttempt
	keys = slices.Sorted(slices.Values(keys))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var all bool
		if err := tx.QueryRow(ctx, `SELECT bool_and(pg_try_advisory_xact_lock(hashtextextended('sign-in/' || k, 0)))
			FROM unnest($1::text[]) AS k`, keys).Scan(&all); err != nil {
			return err
		}
		if !all {
			a.Busy = true
			return nil
		}
		until, err := lockedUntil(ctx, tx, keys)
		if err != nil || !until.IsZero() {
			a.LockedUntil = until
			return err
		}
		a.Checked = true
		if a.OK, err = check(); err != nil {
			return err
		}
		if a.OK {
			_, err := tx.Exec(ctx, `DELETE FROM sign_in_failures WHERE key = ANY($1)`, keys)
			return err
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO sign_in_failures AS f (key, failures, last_failure_at, locked_until)
			SELECT k, 1, now(), CASE WHEN $2 <= 1 THEN now() + $3::interval END FROM unnest($1::text[]) AS k
			ON CONFLICT (key) DO UPDATE SET
			    failures = CASE WHEN f.last_failure_at < now() - $4::interval THEN 1 ELSE f.failures + 1 END,
			    last_failure_at = now(),
			    locked_until = CASE
			        WHEN (CASE WHEN f.last_failure_at < now() - $4::interval THEN 1 ELSE f.failures + 1 END) >= $2
			        THEN now() + $3::interval END`,
			keys, t.Limit, t.Lockout, t.Forget); err != nil {
			return err
		}
		// Counts nobody added to for a while are dropped, so guessed
		// usernames do not pile up.
		if _, err := tx.Exec(ctx, `DELETE FROM sign_in_failures
			WHERE last_failure_at < now() - $1::interval AND (locked_until IS NULL OR locked_until < now())`, t.Forget); err != nil {
			return err
		}
		a.LockedUntil, err = lockedUntil(ctx, tx, keys)
		return err
	})
	if err != nil {
		return a, fmt.Errorf("checking a sign-in: %w", err)
	}
	return a, nil
}

// lockedUntil is the latest time any of keys is refused until, or the
// zero time when none is refused now.
func lockedUntil(ctx context.Context, tx pgx.Tx, keys []string) (time.Time, error) {
	var until *time.Time
	err := tx.QueryRow(ctx, `SELECT max(locked_until) FROM sign_in_failures WHERE key = ANY($1) AND locked_until > now()`, keys).
		Scan(&until)
	if err != nil || until == nil {
		return time.Time{}, err
	}
	return *until, nil
}
