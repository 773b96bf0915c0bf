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

// The web app's accounts: who may sign in, with which role. Passwords
// arrive hashed (internal/web hashes them); this file never sees one.

// UserRole is what a signed-in person may see and do in the web app.
type UserRole string

// User roles. Procurement managers and inventory clerks work the tasks of
// their contract.Role; the warehouse manager closes orders; an admin may
// do everything.
const (
	UserProcurementManager UserRole = "procurement_manager"
	UserInventoryClerk     UserRole = "inventory_clerk"
	UserWarehouseManager   UserRole = "warehouse_manager"
	UserAdmin              UserRole = "admin"
)

// UserRoles are all of them, in the order the help lists them.
var UserRoles = []UserRole{UserProcurementManager, UserInventoryClerk, UserWarehouseManager, UserAdmin}

// usernamePattern is the users table's check: a letter or digit, then up to
// 63 letters, digits and . _ @ + - (so an email address fits).
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$`)

// ValidUsername says whether name can be a username.
func ValidUsername(name string) bool { return usernamePattern.MatchString(name) }

// User is an account of the web app.
type User struct {
	Username string
	Role     UserRole
	// PasswordHash is empty for an account that signs in through single
	// sign-on only, and in ListUsers' answer.
	PasswordHash string
	HasPassword  bool
	CreatedAt    time.Time
}

// ErrUserExists: AddUser was given a username that is taken.
var ErrUserExists = errors.New("user exists")

// AddUser creates an account; ErrUserExists when the name is taken. With
// replace, an existing account gets the new role and password instead,
// and its sessions end.
func (s *Store) AddUser(ctx context.Context, u User, replace bool) error {
	hash := &u.PasswordHash
	if u.PasswordHash == "" {
		hash = nil
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO users (username, role, password_hash) VALUES ($1, $2, $3)
			ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, password_hash = EXCLUDED.password_hash, updated_at = now()
			WHERE $4`, u.Username, u.Role, hash, replace)
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.Code == "23514": // check_violation
			return fmt.Errorf("user %q: the username or role is not allowed", u.Username)
		case err != nil:
			return fmt.Errorf("adding user %s: %w", u.Username, err)
		case tag.RowsAffected() == 0:
			return fmt.Errorf("user %s: %w", u.Username, ErrUserExists)
		}
		_, err = tx.Exec(ctx, `DELETE FROM web_sessions WHERE username = $1`, u.Username)
		return err
	})
}

// UserByName loads one account; ErrNotFound when there is none.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	var u User
	var hash *string
	err := s.pool.QueryRow(ctx, `SELECT username, role, password_hash, created_at FROM users WHERE username = $1`, username).
		Scan(&u.Username, &u.Role, &hash, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("user %s: %w", username, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("loading user %s: %w", username, err)
	}
	if hash != nil {
		u.PasswordHash, u.HasPassword = *hash, true
	}
	return u, nil
}

// ListUsers lists the accounts by name, without their password hashes.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT username, role, password_hash IS NOT NULL, created_at FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) {
		var u User
		err := r.Scan(&u.Username, &u.Role, &u.HasPassword, &u.CreatedAt)
		return u, err
	})
}

// RemoveUser deletes an account and its sessions; ErrNotFound when there
// is none.
func (s *Store) RemoveUser(ctx context.Context, username string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE username = $1`, username)
	if err != nil {
		return fmt.Errorf("removing user %s: %w", username, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %s: %w", username, ErrNotFound)
	}
	return nil
}
