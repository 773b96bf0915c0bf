package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The bearer tokens of the JSON API: only a token's hash is stored, so the
// rows identify callers without letting anyone who reads them call.

// tokenNamePattern is the api_tokens table's check on a name, the rule
// usernames follow: a letter or digit, then up to 63 letters, digits and
// . _ @ + -. The name is recorded as who acted.
var tokenNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)

// ValidTokenName says whether name can name a token.
func ValidTokenName(name string) bool { return tokenNamePattern.MatchString(name) }

// APIToken is a stored token, without the secret.
type APIToken struct {
	Name       string
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// ErrTokenExists: a token of that name is already stored.
var ErrTokenExists = errors.New("a token of that name exists")

// CreateAPIToken stores a token by the hash of its secret;
// ErrTokenExists when the name is taken.
func (s *Store) CreateAPIToken(ctx context.Context, name string, hash []byte, scopes []string) (APIToken, error) {
	t := APIToken{Name: name, Scopes: scopes}
	err := s.pool.QueryRow(ctx, `INSERT INTO api_tokens (name, token_hash, scopes) VALUES ($1, $2, $3) RETURNING created_at`,
		name, hash, scopes).Scan(&t.CreatedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "api_tokens_pkey" { // unique_violation
		return t, fmt.Errorf("token %s: %w", name, ErrTokenExists)
	}
	if err != nil {
		return t, fmt.Errorf("storing token %s: %w", name, err)
	}
	return t, nil
}

// APITokenByHash finds the token whose secret hashes to hash and stamps
// its last use (at most once a minute); ErrNotFound when there is none.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	var t APIToken
	err := s.pool.QueryRow(ctx, `
		WITH found AS (SELECT name, scopes, created_at, last_used_at FROM api_tokens WHERE token_hash = $1),
		stamped AS (UPDATE api_tokens SET last_used_at = now()
		    WHERE token_hash = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
		SELECT name, scopes, created_at, last_used_at FROM found`, hash).
		Scan(&t.Name, &t.Scopes, &t.CreatedAt, &t.LastUsedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("looking up a token: %w", err)
	}
	return t, nil
}

// APITokens lists the stored tokens by name.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT name, scopes, created_at, last_used_at FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) {
		var t APIToken
		err := r.Scan(&t.Name, &t.Scopes, &t.CreatedAt, &t.LastUsedAt)
		return t, err
	})
}

// DeleteAPIToken revokes a token at once, with its idempotency keys;
// ErrNotFound when there is none of that name.
func (s *Store) DeleteAPIToken(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM api_tokens WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("revoking token %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("token %s: %w", name, ErrNotFound)
	}
	return nil
}
