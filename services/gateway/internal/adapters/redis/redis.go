// Package redis holds the gateway's Redis adapters: the per-key rate limiter and the idempotency
// cache with its in-flight lock. Every operation is bounded by a short timeout and never retried,
// so a slow or absent Redis costs a request at most that timeout; the caller decides to go on
// without Redis.
package redis

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orderflow/orderflow/services/gateway/internal/app"
)

// keyPrefix namespaces every key the gateway writes.
const keyPrefix = "gateway:"

// Options locate Redis.
type Options struct {
	Addr     string
	Password string
	DB       int
	// Timeout bounds each operation: dial, read, write and waiting for a pooled connection.
	Timeout time.Duration
}

var setLogger sync.Once

// slogLogger passes go-redis's own messages (such as every failed dial while Redis is down) to
// the service's logger at debug level; the gateway logs Redis failures itself, throttled.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), slog.String("component", "go-redis"))
}

// NewClient returns a client that fails fast: short timeouts, no command or dial retries, RESP2
// without the connection handshake extras, contexts respected.
// go-redis logs through a process-wide logger, which the first call points at log.
func NewClient(o Options, log *slog.Logger) *redis.Client {
	setLogger.Do(func() { redis.SetLogger(slogLogger{log: log}) })
	return redis.NewClient(&redis.Options{
		Addr:                  o.Addr,
		Password:              o.Password,
		DB:                    o.DB,
		Protocol:              2,
		DisableIdentity:       true,
		DialTimeout:           o.Timeout,
		ReadTimeout:           o.Timeout,
		WriteTimeout:          o.Timeout,
		PoolTimeout:           o.Timeout,
		MaxRetries:            -1,
		DialerRetries:         1, // one dial attempt per command: a refused connection fails at once
		ContextTimeoutEnabled: true,
	})
}

// window is the rate limiter's fixed window.
const window = time.Minute

// rateScript counts a request in the subject's current window, which starts with the window's
// first request, and returns the count and the milliseconds left in the window.
var rateScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// Limiter implements app.RateLimiter with a fixed one-minute window per subject.
type Limiter struct {
	rdb     *redis.Client
	timeout time.Duration
}

// NewLimiter returns a Limiter on rdb whose operations take at most timeout.
func NewLimiter(rdb *redis.Client, timeout time.Duration) *Limiter {
	return &Limiter{rdb: rdb, timeout: timeout}
}

// Allow counts one request of subject and reports whether it is within limit.
func (l *Limiter) Allow(ctx context.Context, subject string, limit int) (app.Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	res, err := rateScript.Run(ctx, l.rdb, []string{keyPrefix + "rl:" + subject}, window.Milliseconds()).Int64Slice()
	if err != nil {
		return app.Decision{}, fmt.Errorf("rate limit: %w", err)
	}
	if len(res) != 2 {
		return app.Decision{}, fmt.Errorf("rate limit: unexpected script result %v", res)
	}
	count, ttl := res[0], time.Duration(res[1])*time.Millisecond
	d := app.Decision{Allowed: count <= int64(limit), Limit: limit, Remaining: max(0, limit-int(count))}
	if !d.Allowed {
		d.RetryAfter = ttl
	}
	return d, nil
}

// unlockScript deletes the lock only if it still holds the caller's token, so a request whose
// lock expired never releases the lock of the request after it.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// IdempotencyStore implements app.IdempotencyStore.
type IdempotencyStore struct {
	rdb     *redis.Client
	timeout time.Duration
}

// NewIdempotencyStore returns a store on rdb whose operations take at most timeout.
func NewIdempotencyStore(rdb *redis.Client, timeout time.Duration) *IdempotencyStore {
	return &IdempotencyStore{rdb: rdb, timeout: timeout}
}

// keyID hashes (client, key): client-chosen keys of any length and content become fixed-size
// Redis keys, and clients never share one.
func keyID(client, key string) string {
	d := sha256.Sum256([]byte(client + "\x00" + key))
	return hex.EncodeToString(d[:])
}

func responseKey(client, key string) string { return keyPrefix + "idem:" + keyID(client, key) }
func lockKey(client, key string) string     { return keyPrefix + "idem-lock:" + keyID(client, key) }

// Get returns the cached answer of (client, key).
func (s *IdempotencyStore) Get(ctx context.Context, client, key string) (app.StoredResponse, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	raw, err := s.rdb.Get(ctx, responseKey(client, key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return app.StoredResponse{}, false, nil
	}
	if err != nil {
		return app.StoredResponse{}, false, fmt.Errorf("idempotency get: %w", err)
	}
	var r app.StoredResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return app.StoredResponse{}, false, fmt.Errorf("idempotency get: decode: %w", err)
	}
	return r, true, nil
}

// Save caches the answer of (client, key) for ttl.
func (s *IdempotencyStore) Save(ctx context.Context, client, key string, r app.StoredResponse, ttl time.Duration) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("idempotency save: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.rdb.Set(ctx, responseKey(client, key), raw, ttl).Err(); err != nil {
		return fmt.Errorf("idempotency save: %w", err)
	}
	return nil
}

// Lock takes the in-flight lock of (client, key) with SET NX for ttl.
func (s *IdempotencyStore) Lock(ctx context.Context, client, key string, ttl time.Duration) (string, bool, error) {
	token := rand.Text()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ok, err := s.rdb.SetNX(ctx, lockKey(client, key), token, ttl).Result()
	if err != nil {
		return "", false, fmt.Errorf("idempotency lock: %w", err)
	}
	return token, ok, nil
}

// Unlock releases the lock of (client, key) if token still holds it.
func (s *IdempotencyStore) Unlock(ctx context.Context, client, key, token string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := unlockScript.Run(ctx, s.rdb, []string{lockKey(client, key)}, token).Err(); err != nil {
		return fmt.Errorf("idempotency unlock: %w", err)
	}
	return nil
}
