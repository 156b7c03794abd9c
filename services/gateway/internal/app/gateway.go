package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orderflow/orderflow/services/gateway/internal/metrics"
)

// Options tune the gateway's use cases.
type Options struct {
	// UpstreamTimeout bounds each service call, response body included.
	UpstreamTimeout time.Duration
	// RateLimitPerMinute is the requests one API key may make per minute; 0 disables limiting.
	RateLimitPerMinute int
	// IdempotencyTTL is how long POST /orders answers stay cached.
	IdempotencyTTL time.Duration
	// IdempotencyLockTTL bounds the in-flight lock of an idempotency key.
	IdempotencyLockTTL time.Duration
	// StoreTimeout bounds releasing a lock and caching an answer, which run even after the
	// request's own context ended.
	StoreTimeout time.Duration
}

// Gateway runs the use cases.
type Gateway struct {
	upstream Upstream
	store    IdempotencyStore
	limiter  RateLimiter
	opts     Options
	log      *slog.Logger
	warn     *throttledWarner
}

// New returns a Gateway. store and limiter are the Redis adapters; their failures never fail a
// request.
func New(upstream Upstream, store IdempotencyStore, limiter RateLimiter, opts Options, log *slog.Logger) *Gateway {
	if log == nil {
		log = slog.Default()
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = 100 * time.Millisecond
	}
	if opts.UpstreamTimeout <= 0 {
		opts.UpstreamTimeout = 5 * time.Second
	}
	metrics.Register()
	return &Gateway{upstream: upstream, store: store, limiter: limiter, opts: opts, log: log, warn: newThrottledWarner(log, 10*time.Second)}
}

// maxErrorBody bounds the upstream body quoted in the gateway's own log.
const maxErrorBody = 512

// Forward sends c to a service within the upstream timeout and decides what the client sees:
// 2xx and 4xx answers pass through (JSON bodies; a non-JSON 4xx gets a JSON error body); a
// service's 503 and anything that prevented an answer is ErrUnavailable; other 5xx, 3xx, a
// non-JSON 2xx and 401/403 (the services trust the gateway, so these mean misconfiguration,
// not the client's credentials) are ErrUpstream. Calls are never retried: POST /orders carries
// an idempotency key instead.
func (g *Gateway) Forward(ctx context.Context, c Call) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, g.opts.UpstreamTimeout)
	defer cancel()
	resp, err := g.upstream.Call(ctx, c)
	if err != nil {
		metrics.UpstreamErrors.WithLabelValues(c.App, "unavailable").Inc()
		return Response{}, fmt.Errorf("%w: %s %s %s: %w", ErrUnavailable, c.App, c.Method, c.Path, err)
	}
	switch {
	case resp.Status == http.StatusServiceUnavailable:
		metrics.UpstreamErrors.WithLabelValues(c.App, "unavailable").Inc()
		return Response{}, fmt.Errorf("%w: %s %s %s answered %d: %s", ErrUnavailable, c.App, c.Method, c.Path, resp.Status, snippet(resp.Body))
	case resp.Status >= 500, resp.Status < 200, resp.Status/100 == 3,
		resp.Status == http.StatusUnauthorized, resp.Status == http.StatusForbidden,
		resp.Status/100 == 2 && len(resp.Body) > 0 && !isJSON(resp):
		metrics.UpstreamErrors.WithLabelValues(c.App, "upstream_error").Inc()
		return Response{}, fmt.Errorf("%w: %s %s %s answered %d: %s", ErrUpstream, c.App, c.Method, c.Path, resp.Status, snippet(resp.Body))
	case resp.Status/100 == 4 && !isJSON(resp):
		resp.Body = errorBody(resp.Status)
		resp.Header = http.Header{"Content-Type": {"application/json"}}
	}
	return resp, nil
}

// isJSON reports whether the response declares a JSON body (application/json or +json).
func isJSON(r Response) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) && json.Valid(r.Body)
}

// errorBody is the platform error shape for a status whose upstream body was not JSON.
func errorBody(status int) []byte {
	text := http.StatusText(status)
	code := strings.Join(strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}), "_")
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": text}})
	return b
}

// snippet is the start of an upstream body for the gateway's log (never for the client).
func snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > maxErrorBody {
		return string(b[:maxErrorBody]) + "…"
	}
	return string(b)
}

// storeFailed counts and (at most every few seconds per operation) logs a Redis failure after
// which the request goes on without Redis.
func (g *Gateway) storeFailed(ctx context.Context, op string, err error) {
	metrics.RedisFailOpen.WithLabelValues(op).Inc()
	g.warn.warn(ctx, op, "redis unavailable, continuing without it", err)
}

// throttledWarner logs one warning per key per interval, so an outage does not flood the log.
type throttledWarner struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
}

func newThrottledWarner(log *slog.Logger, interval time.Duration) *throttledWarner {
	return &throttledWarner{log: log, interval: interval, last: map[string]time.Time{}}
}

func (w *throttledWarner) warn(ctx context.Context, key, msg string, err error) {
	w.mu.Lock()
	now := time.Now()
	due := now.Sub(w.last[key]) >= w.interval
	if due {
		w.last[key] = now
	}
	w.mu.Unlock()
	if due {
		w.log.WarnContext(ctx, msg, slog.String("operation", key), slog.Any("error", err))
	}
}

// mustJSON encodes a value the gateway built itself, which always encodes.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("app: encode %T: %v", v, err))
	}
	return b
}
