package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

var limits = store.SessionLimits{Idle: 30 * time.Minute, Lifetime: 12 * time.Hour}

func TestUsersAndTheirSessions(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	require.NoError(t, s.AddUser(ctx, store.User{Username: "alice", Role: store.UserProcurementManager, PasswordHash: "h1"}, false))
	require.ErrorIs(t, s.AddUser(ctx, store.User{Username: "alice", Role: store.UserAdmin, PasswordHash: "h2"}, false), store.ErrUserExists)
	u, err := s.UserByName(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, store.UserProcurementManager, u.Role, "a refused add changes nothing")
	assert.Equal(t, "h1", u.PasswordHash)

	require.NoError(t, s.CreateSession(ctx, []byte("token-1"), "alice", limits))
	got, err := s.SessionUser(ctx, []byte("token-1"), limits)
	require.NoError(t, err)
	assert.Equal(t, "alice", got.Username)

	// A reset gives the new role and password and signs the user out.
	require.NoError(t, s.AddUser(ctx, store.User{Username: "alice", Role: store.UserAdmin, PasswordHash: "h2"}, true))
	u, err = s.UserByName(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, store.UserAdmin, u.Role)
	assert.Equal(t, "h2", u.PasswordHash)
	_, err = s.SessionUser(ctx, []byte("token-1"), limits)
	require.ErrorIs(t, err, store.ErrNotFound)

	t.Run("sessions end at their lifetime however busy", func(t *testing.T) {
		require.NoError(t, s.CreateSession(ctx, []byte("token-2"), "alice", limits))
		_, err := s.Pool().Exec(ctx, `UPDATE web_sessions SET created_at = now() - interval '13 hours' WHERE token_hash = 'token-2'`)
		require.NoError(t, err)
		_, err = s.SessionUser(ctx, []byte("token-2"), limits)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("removing a user ends its sessions", func(t *testing.T) {
		require.NoError(t, s.CreateSession(ctx, []byte("token-3"), "alice", limits))
		require.NoError(t, s.RemoveUser(ctx, "alice"))
		_, err := s.SessionUser(ctx, []byte("token-3"), limits)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, s.RemoveUser(ctx, "alice"), store.ErrNotFound)
	})
	t.Run("names and roles the schema refuses", func(t *testing.T) {
		assert.False(t, store.ValidUsername("-dash-first"))
		assert.False(t, store.ValidUsername("has space"))
		assert.True(t, store.ValidUsername("carol@example.com"))
		require.Error(t, s.AddUser(ctx, store.User{Username: "bob", Role: "superuser"}, false))
	})
}

func TestSignInThrottle(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	th := store.SignInThrottle{Limit: 3, Lockout: time.Minute, Forget: time.Hour}
	wrong := func() (bool, error) { return false, nil }
	right := func() (bool, error) { return true, nil }
	attempt := func(check func() (bool, error), keys ...string) store.SignInAttempt {
		t.Helper()
		a, err := s.AttemptSignIn(ctx, th, keys, check)
		require.NoError(t, err)
		return a
	}

	for range 2 {
		a := attempt(wrong, "user:x", "client:1")
		assert.True(t, a.Checked)
		assert.True(t, a.LockedUntil.IsZero(), "fewer than three")
	}
	// Failures from long ago no longer count towards the limit.
	_, err := s.Pool().Exec(ctx, `UPDATE sign_in_failures SET last_failure_at = now() - interval '2 hours'`)
	require.NoError(t, err)
	assert.True(t, attempt(wrong, "user:x", "client:1").LockedUntil.IsZero(), "the count started over")
	attempt(wrong, "user:x", "client:1")
	a := attempt(wrong, "user:x", "client:1")
	assert.WithinDuration(t, time.Now().Add(time.Minute), a.LockedUntil, 10*time.Second, "the third in a row locks")
	a = attempt(right, "user:x", "client:2")
	assert.False(t, a.Checked, "a locked key is not checked")
	assert.False(t, a.OK)
	a = attempt(right, "user:y", "client:1")
	assert.False(t, a.OK, "the client address is locked too")

	_, err = s.Pool().Exec(ctx, `UPDATE sign_in_failures SET locked_until = now() - interval '1 second'`)
	require.NoError(t, err)
	a = attempt(right, "user:x", "client:1")
	assert.True(t, a.OK)
	var left int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM sign_in_failures`).Scan(&left))
	assert.Zero(t, left, "a right password forgets both keys")

	t.Run("an error counts nothing", func(t *testing.T) {
		_, err := s.AttemptSignIn(ctx, th, []string{"user:z"}, func() (bool, error) { return false, assert.AnError })
		require.ErrorIs(t, err, assert.AnError)
		require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM sign_in_failures`).Scan(&left))
		assert.Zero(t, left)
	})
	t.Run("one attempt per key at a time", func(t *testing.T) {
		inside := make(chan struct{})
		release := make(chan struct{})
		done := make(chan store.SignInAttempt)
		go func() {
			a, _ := s.AttemptSignIn(ctx, th, []string{"user:p", "client:9"}, func() (bool, error) {
				close(inside)
				<-release
				return false, nil
			})
			done <- a
		}()
		<-inside
		busy := attempt(right, "user:q", "client:9")
		assert.True(t, busy.Busy, "the same client address is being checked")
		assert.False(t, busy.Checked)
		assert.False(t, attempt(wrong, "user:r", "client:8").Busy, "other keys go ahead")
		close(release)
		assert.True(t, (<-done).Checked)
	})
}
