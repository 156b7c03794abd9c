package daprtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisAddr is the Redis the tests use: $TEST_REDIS_ADDR or 127.0.0.1:6379.
func RedisAddr() string {
	if a := os.Getenv("TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

const leaseTTL = 15 * time.Minute

// RedisDB leases a Redis database number (1-15) for the test, empties it, and empties and
// releases it at the end. Topics are Redis streams, so tests in parallel packages never see
// each other's events. Leases live in DB 0 with a TTL, so a crashed test frees its DB.
func RedisDB(t testing.TB) int {
	t.Helper()
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: RedisAddr()})
	t.Cleanup(func() { _ = admin.Close() })
	if err := admin.Ping(ctx).Err(); err != nil {
		Require(t, false, fmt.Sprintf("redis at %s: %v", RedisAddr(), err))
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for n := 1; n <= 15; n++ {
			key := fmt.Sprintf("orderflow:test:redisdb:%d", n)
			ok, err := admin.SetNX(ctx, key, t.Name(), leaseTTL).Result()
			if err != nil {
				t.Fatalf("redis lease: %v", err)
			}
			if !ok {
				continue
			}
			flush(t, n)
			t.Cleanup(func() {
				flush(t, n)
				admin.Del(context.Background(), key)
			})
			return n
		}
		if time.Now().After(deadline) {
			t.Fatal("no free Redis database for the test")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func flush(t testing.TB, n int) {
	c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: n})
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Logf("redis flush db %d: %v", n, err)
	}
}

// RedisClient returns a client on database n, closed at the end of the test.
func RedisClient(t testing.TB, n int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: RedisAddr(), DB: n})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
