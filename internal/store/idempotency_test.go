package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/store"
	"github.com/acme/backorders/internal/testing/pgtest"
)

// An Idempotency-Key's life: claimed once, busy while its request runs,
// answered after, refused for another request, free again once released,
// abandoned past its lease, or forgotten after a day.
func TestIdempotencyKeys(t *testing.T) {
	s, _ := pgtest.NewStore(t)
	ctx := context.Background()
	for _, name := range []string{"erp", "shop"} {
		_, err := s.CreateAPIToken(ctx, name, []byte("hash of "+name), []string{"orders:write"})
		require.NoError(t, err)
	}
	request, other := []byte("request"), []byte("another request")
	claim := func(token, key string, hash []byte) store.IdempotencyClaim {
		t.Helper()
		c, err := s.ClaimIdempotencyKey(ctx, token, key, hash)
		require.NoError(t, err)
		return c
	}
	age := func(key, by string) {
		t.Helper()
		_, err := s.Pool().Exec(ctx, `UPDATE api_idempotency_keys SET created_at = created_at - $2::interval WHERE key = $1`, key, by)
		require.NoError(t, err)
	}

	assert.Equal(t, store.KeyClaimed, claim("erp", "k1", request).Outcome)
	assert.Equal(t, store.KeyInProgress, claim("erp", "k1", request).Outcome, "the first is still running")
	assert.Equal(t, store.KeyReused, claim("erp", "k1", other).Outcome)
	assert.Equal(t, store.KeyClaimed, claim("shop", "k1", other).Outcome, "keys are per token")

	require.NoError(t, s.SaveIdempotentAnswer(ctx, "erp", "k1", 200, []byte(`{"orders":1}`)))
	assert.Equal(t, store.IdempotencyClaim{Outcome: store.KeyAnswered, Status: 200, Body: []byte(`{"orders":1}`)}, claim("erp", "k1", request))
	assert.Equal(t, store.KeyReused, claim("erp", "k1", other).Outcome)
	require.NoError(t, s.ReleaseIdempotencyKey(ctx, "erp", "k1"))
	assert.Equal(t, store.KeyAnswered, claim("erp", "k1", request).Outcome, "an answered key is not released")

	assert.Equal(t, store.KeyClaimed, claim("erp", "k2", request).Outcome)
	require.NoError(t, s.ReleaseIdempotencyKey(ctx, "erp", "k2"))
	assert.Equal(t, store.KeyClaimed, claim("erp", "k2", request).Outcome, "a released key runs again")

	age("k2", "3 minutes")
	assert.Equal(t, store.KeyReused, claim("erp", "k2", other).Outcome, "an abandoned claim is not taken by another request")
	assert.Equal(t, store.KeyClaimed, claim("erp", "k2", request).Outcome, "an abandoned claim is taken over by its retry")
	assert.Equal(t, store.KeyInProgress, claim("erp", "k2", request).Outcome)

	age("k1", "25 hours")
	assert.Equal(t, store.KeyClaimed, claim("erp", "k1", other).Outcome, "a key is forgotten after a day")

	require.NoError(t, s.DeleteAPIToken(ctx, "erp"))
	var left int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM api_idempotency_keys WHERE token_name = 'erp'`).Scan(&left))
	assert.Zero(t, left, "a revoked token's keys go with it")
}
