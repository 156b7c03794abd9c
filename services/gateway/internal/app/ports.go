// Package app holds the gateway's use cases: forwarding requests to the services through Dapr,
// idempotent order creation with a Redis cache and in-flight lock in front of the order service,
// per-key rate limiting, and the dead-letter fan-out. It depends only on the interfaces below.
package app

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// Call is one request to a service.
type Call struct {
	App    string      // Dapr app id, e.g. "order"
	Method string      // HTTP method
	Path   string      // the service's path, its segments already escaped, e.g. "/orders/o-1"
	Query  url.Values  // may be nil
	Header http.Header // request headers to send (Content-Type, X-Client-Id, Idempotency-Key)
	Body   []byte      // nil for no body
}

// Response is a service's answer, body read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Upstream sends calls to the services. It returns an error only when no answer came from the
// service itself: the sidecar or the service is unreachable, the call timed out, or the sidecar
// answered on its own behalf (a Dapr error such as ERR_DIRECT_INVOKE). Any status the service
// answered is a Response.
type Upstream interface {
	Call(ctx context.Context, c Call) (Response, error)
}

// StoredResponse is a POST /orders answer kept in the idempotency cache.
type StoredResponse struct {
	RequestHash string `json:"requestHash"`
	Status      int    `json:"status"`
	Body        []byte `json:"body"`
	Location    string `json:"location,omitempty"`
}

// IdempotencyStore caches answers to POST /orders by (client, idempotency key) and holds the
// in-flight lock of a key. Implementations bound each operation with a short timeout; any error
// makes the gateway go on without the store.
type IdempotencyStore interface {
	// Get returns the stored answer of (client, key), if any.
	Get(ctx context.Context, client, key string) (StoredResponse, bool, error)
	// Save stores the answer of (client, key) for ttl.
	Save(ctx context.Context, client, key string, r StoredResponse, ttl time.Duration) error
	// Lock takes the in-flight lock of (client, key) for at most ttl; ok is false when another
	// request holds it. The token releases it.
	Lock(ctx context.Context, client, key string, ttl time.Duration) (token string, ok bool, err error)
	// Unlock releases the lock if token still holds it.
	Unlock(ctx context.Context, client, key, token string) error
}

// Decision is a rate limiter's answer for one request.
type Decision struct {
	Allowed    bool
	Limit      int
	Remaining  int           // requests left in the window; -1 when unknown (the limiter failed open)
	RetryAfter time.Duration // when the window ends, for a refused request
}

// RateLimiter counts requests per subject (an API key's id) in windows of one minute.
type RateLimiter interface {
	Allow(ctx context.Context, subject string, limit int) (Decision, error)
}

// Errors the use cases return; the HTTP port maps each to its status.
var (
	// ErrUnavailable: the service could not be reached or did not answer in time (503).
	ErrUnavailable = errors.New("service unavailable")
	// ErrUpstream: the service failed (5xx) or answered something the gateway cannot pass on (502).
	ErrUpstream = errors.New("upstream error")
	// ErrInProgress: a request with the same idempotency key is being processed (409).
	ErrInProgress = errors.New("request with this idempotency key in progress")
	// ErrKeyReused: the idempotency key was used before with another request body (422).
	ErrKeyReused = errors.New("idempotency key reused with a different request")
	// ErrUnknownService: the admin API names no service the gateway knows (404).
	ErrUnknownService = errors.New("unknown service")
)
