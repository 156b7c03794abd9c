// Package metrics holds the gateway's own Prometheus counters, served on /metrics next to the
// platform's HTTP metrics. They are registered once with the default registry.
package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of an idempotency cache lookup.
const (
	CacheReplayed = "replayed" // same request: the stored answer was returned
	CacheMismatch = "mismatch" // another request body: 422
)

// Redis operations that can fail open.
const (
	OpRateLimit         = "rate_limit"
	OpIdempotencyGet    = "idempotency_get"
	OpIdempotencyLock   = "idempotency_lock"
	OpIdempotencySave   = "idempotency_save"
	OpIdempotencyUnlock = "idempotency_unlock"
)

var (
	// RateLimited counts requests refused with 429.
	RateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gateway_rate_limited_total",
		Help: "Requests refused because their API key exceeded its rate limit.",
	})
	// IdempotencyCache counts idempotency cache hits by outcome (replayed, mismatch).
	IdempotencyCache = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_idempotency_cache_hits_total",
		Help: "POST /orders answered from the idempotency cache, by outcome.",
	}, []string{"outcome"})
	// IdempotencyInProgress counts duplicates refused with 409 while the first request was in flight.
	IdempotencyInProgress = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gateway_idempotency_in_progress_total",
		Help: "POST /orders refused because a request with the same idempotency key was in flight.",
	})
	// RedisFailOpen counts Redis operations that failed, after which the gateway went on without Redis.
	RedisFailOpen = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_redis_fail_open_total",
		Help: "Redis operations that failed or timed out; the request went on without Redis.",
	}, []string{"operation"})
	// UpstreamErrors counts calls to services that ended in 502 or 503, by app and kind.
	UpstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gateway_upstream_errors_total",
		Help: "Service calls answered 502 (upstream_error) or 503 (unavailable), by app.",
	}, []string{"app", "kind"})

	once sync.Once
)

// Register adds the counters to the default registry; calling it again does nothing.
func Register() {
	once.Do(func() {
		prometheus.MustRegister(RateLimited, IdempotencyCache, IdempotencyInProgress, RedisFailOpen, UpstreamErrors)
	})
}
