package redis_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/services/gateway/internal/adapters/redis"
	"github.com/orderflow/orderflow/services/gateway/internal/app"
)

const timeout = 100 * time.Millisecond

func newStores(t *testing.T) (*redis.Limiter, *redis.IdempotencyStore, int) {
	t.Helper()
	db := daprtest.RedisDB(t)
	rdb := redis.NewClient(redis.Options{Addr: daprtest.RedisAddr(), DB: db, Timeout: timeout}, slog.Default())
	t.Cleanup(func() { _ = rdb.Close() })
	return redis.NewLimiter(rdb, timeout), redis.NewIdempotencyStore(rdb, timeout), db
}

func TestLimiter(t *testing.T) {
	limiter, _, db := newStores(t)
	ctx := context.Background()

	for i := range 3 {
		d, err := limiter.Allow(ctx, "key-a", 3)
		require.NoError(t, err)
		assert.True(t, d.Allowed, "request %d", i+1)
		assert.Equal(t, 3, d.Limit)
		assert.Equal(t, 2-i, d.Remaining)
	}
	d, err := limiter.Allow(ctx, "key-a", 3)
	require.NoError(t, err)
	assert.False(t, d.Allowed)
	assert.Equal(t, 0, d.Remaining)
	assert.True(t, d.RetryAfter > 0 && d.RetryAfter <= time.Minute, "retry after %s", d.RetryAfter)

	other, err := limiter.Allow(ctx, "key-b", 3)
	require.NoError(t, err)
	assert.True(t, other.Allowed, "subjects have separate windows")

	ttl, err := daprtest.RedisClient(t, db).PTTL(ctx, "gateway:rl:key-a").Result()
	require.NoError(t, err)
	assert.True(t, ttl > 0 && ttl <= time.Minute, "the window expires: %s", ttl)
}

func TestIdempotencyStore(t *testing.T) {
	_, store, db := newStores(t)
	ctx := context.Background()
	const client, key = "shop", "secret-idempotency-key"

	_, ok, err := store.Get(ctx, client, key)
	require.NoError(t, err)
	assert.False(t, ok)

	want := app.StoredResponse{RequestHash: "h1", Status: 201, Body: []byte(`{"orderId":"o-1"}`), Location: "/orders/o-1"}
	require.NoError(t, store.Save(ctx, client, key, want, time.Hour))
	got, ok, err := store.Get(ctx, client, key)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, want, got)
	_, ok, err = store.Get(ctx, "other-client", key)
	require.NoError(t, err)
	assert.False(t, ok, "keys are scoped to the client")

	rdb := daprtest.RedisClient(t, db)
	keys, err := rdb.Keys(ctx, "*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.True(t, strings.HasPrefix(keys[0], "gateway:idem:"))
	assert.NotContains(t, keys[0], key, "client-chosen keys are hashed")
	ttl, err := rdb.TTL(ctx, keys[0]).Result()
	require.NoError(t, err)
	assert.InDelta(t, time.Hour.Seconds(), ttl.Seconds(), 5)
}

func TestIdempotencyLock(t *testing.T) {
	_, store, _ := newStores(t)
	ctx := context.Background()

	token, ok, err := store.Lock(ctx, "shop", "k", time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	assert.NotEmpty(t, token)
	_, again, err := store.Lock(ctx, "shop", "k", time.Minute)
	require.NoError(t, err)
	assert.False(t, again, "the lock is held")
	_, otherClient, err := store.Lock(ctx, "other", "k", time.Minute)
	require.NoError(t, err)
	assert.True(t, otherClient, "another client's key is another lock")

	require.NoError(t, store.Unlock(ctx, "shop", "k", "not-the-token"))
	_, stillHeld, err := store.Lock(ctx, "shop", "k", time.Minute)
	require.NoError(t, err)
	assert.False(t, stillHeld, "a wrong token does not release the lock")

	require.NoError(t, store.Unlock(ctx, "shop", "k", token))
	token2, free, err := store.Lock(ctx, "shop", "k", 200*time.Millisecond)
	require.NoError(t, err)
	assert.True(t, free, "released")
	assert.NotEqual(t, token, token2)

	time.Sleep(300 * time.Millisecond)
	_, expired, err := store.Lock(ctx, "shop", "k", time.Minute)
	require.NoError(t, err)
	assert.True(t, expired, "a lock expires with its TTL, so a crashed holder frees it")
}

func TestRedisDownFailsFast(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(daprtest.FreePort(t))
	rdb := redis.NewClient(redis.Options{Addr: addr, Timeout: timeout}, slog.Default())
	t.Cleanup(func() { _ = rdb.Close() })
	limiter, store := redis.NewLimiter(rdb, timeout), redis.NewIdempotencyStore(rdb, timeout)
	ctx := context.Background()

	start := time.Now()
	_, errAllow := limiter.Allow(ctx, "k", 1)
	_, _, errGet := store.Get(ctx, "c", "k")
	_, _, errLock := store.Lock(ctx, "c", "k", time.Minute)
	errSave := store.Save(ctx, "c", "k", app.StoredResponse{}, time.Minute)
	errUnlock := store.Unlock(ctx, "c", "k", "t")

	for _, err := range []error{errAllow, errGet, errLock, errSave, errUnlock} {
		assert.Error(t, err)
	}
	assert.Less(t, time.Since(start), 5*timeout, "each operation gives up within its timeout")
}
