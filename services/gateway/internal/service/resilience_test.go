package service_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/gateway/internal/metrics"
)

func TestRateLimit(t *testing.T) {
	g := newGateway(t, setup{rateLimit: 3})
	g.sidecar.handle("order", jsonHandler(http.StatusOK, `{"orderId":"o-1"}`))
	get := func(key string) *http.Response {
		return g.do(request{method: http.MethodGet, path: "/orders/o-1", key: key}).Result()
	}
	limited := testutil.ToFloat64(metrics.RateLimited)

	for i := range 3 {
		resp := get(devKey)
		require.Equal(t, http.StatusOK, resp.StatusCode, "request %d", i+1)
		assert.Equal(t, "3", resp.Header.Get("X-RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(2-i), resp.Header.Get("X-RateLimit-Remaining"))
	}
	rec := g.do(request{method: http.MethodGet, path: "/orders/o-1", key: devKey})

	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "too_many_requests", errorOf(t, rec).Code)
	retryAfter, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	require.NoError(t, err)
	assert.True(t, retryAfter >= 1 && retryAfter <= 60, "Retry-After %d", retryAfter)
	assert.Equal(t, "0", rec.Header().Get("X-RateLimit-Remaining"))
	assert.Len(t, g.sidecar.recorded(), 3, "the refused request reached no service")
	assert.Equal(t, limited+1, testutil.ToFloat64(metrics.RateLimited))

	assert.Equal(t, http.StatusOK, get(otherKey).StatusCode, "each key has its own budget")
	unauthenticated := g.do(request{method: http.MethodGet, path: "/orders/o-1", key: "wrong"})
	assert.Equal(t, http.StatusUnauthorized, unauthenticated.Code, "authentication comes before the limit")
}

func TestRateLimitDisabled(t *testing.T) {
	g := newGateway(t, setup{rateLimit: 0})
	g.sidecar.handle("order", jsonHandler(http.StatusOK, `{"orderId":"o-1"}`))

	for i := range 20 {
		rec := g.do(request{method: http.MethodGet, path: "/orders/o-1", key: devKey})
		require.Equal(t, http.StatusOK, rec.Code, "request %d", i+1)
		assert.Empty(t, rec.Header().Get("X-RateLimit-Limit"))
	}
	assert.Len(t, g.sidecar.recorded(), 20)
}

func TestUpstreamUnavailable(t *testing.T) {
	tests := []struct {
		name    string
		setup   setup
		handler http.HandlerFunc // the order service; nil: the sidecar cannot reach it
	}{
		{name: "sidecar down", setup: setup{sidecarDown: true}},
		{name: "service not reachable through the sidecar"},
		{
			name:  "service too slow",
			setup: setup{upstreamTimeout: 200 * time.Millisecond},
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
				jsonHandler(http.StatusOK, `{}`)(w, r)
			},
		},
		{name: "service answers 503", handler: jsonHandler(http.StatusServiceUnavailable, `{"error":{"code":"unavailable","message":"database at 10.0.0.7 is down"}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t, tt.setup)
			if tt.handler != nil {
				g.sidecar.handle("order", tt.handler)
			}
			unavailable := testutil.ToFloat64(metrics.UpstreamErrors.WithLabelValues("order", "unavailable"))
			for _, r := range []request{
				{method: http.MethodGet, path: "/orders/o-1", key: devKey},
				{method: http.MethodPost, path: "/orders", key: devKey, body: validOrder},
			} {
				start := time.Now()
				rec := g.do(r)
				elapsed := time.Since(start)

				require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
				assert.Equal(t, "service_unavailable", errorOf(t, rec).Code)
				assert.Less(t, elapsed, 2*time.Second, "answered within the upstream timeout")
				assert.NotContains(t, rec.Body.String(), "10.0.0.7")
				assert.NotContains(t, rec.Body.String(), "ERR_DIRECT_INVOKE")
			}
			assert.Equal(t, unavailable+2, testutil.ToFloat64(metrics.UpstreamErrors.WithLabelValues("order", "unavailable")))
		})
	}
}

func TestUpstreamErrorsDoNotLeak(t *testing.T) {
	const secret = "pq: password authentication failed for user orders at 10.1.2.3"
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantCode   string
	}{
		{name: "500", handler: jsonHandler(http.StatusInternalServerError, `{"error":{"code":"internal","message":"`+secret+`"}}`), wantStatus: 502, wantCode: "upstream_error"},
		{name: "500 as text", handler: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, secret, http.StatusInternalServerError) }, wantStatus: 502, wantCode: "upstream_error"},
		{name: "502", handler: jsonHandler(http.StatusBadGateway, `{"error":{"code":"bad_gateway","message":"`+secret+`"}}`), wantStatus: 502, wantCode: "upstream_error"},
		{name: "401 from the service means misconfiguration", handler: jsonHandler(http.StatusUnauthorized, `{"error":{"code":"unauthorized","message":"missing dapr-api-token `+secret+`"}}`), wantStatus: 502, wantCode: "upstream_error"},
		{name: "redirect", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/v1.0/healthz/outbound", http.StatusFound)
		}, wantStatus: 502, wantCode: "upstream_error"},
		{name: "2xx that is not JSON", handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>" + secret)) }, wantStatus: 502, wantCode: "upstream_error"},
		{name: "4xx that is not JSON gets a JSON body", handler: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, secret, http.StatusNotFound) }, wantStatus: 404, wantCode: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t, setup{})
			g.sidecar.handle("order", tt.handler)

			rec := g.do(request{method: http.MethodGet, path: "/orders/o-1", key: devKey})

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			assert.Equal(t, tt.wantCode, errorOf(t, rec).Code)
			assert.NotContains(t, rec.Body.String(), "10.1.2.3")
			assert.NotContains(t, rec.Body.String(), "password")
			if tt.wantStatus >= 500 {
				assert.Contains(t, g.logs.String(), "request failed", "the cause is logged for operators")
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	g := newGateway(t, setup{redisDown: true})

	ok := g.do(request{method: http.MethodGet, path: "/readyz"})
	g.sidecar.unhealthy.Store(true)
	notReady := g.do(request{method: http.MethodGet, path: "/readyz"})
	health := g.do(request{method: http.MethodGet, path: "/healthz"})

	assert.Equal(t, http.StatusOK, ok.Code, ok.Body.String())
	assert.Equal(t, http.StatusServiceUnavailable, notReady.Code, notReady.Body.String())
	assert.Contains(t, notReady.Body.String(), `"dapr"`)
	assert.Equal(t, http.StatusOK, health.Code, "liveness never checks dependencies")

	down := newGateway(t, setup{sidecarDown: true})
	rec := down.do(request{method: http.MethodGet, path: "/readyz"})
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
}

func TestMetricsEndpoint(t *testing.T) {
	g := newGateway(t, setup{rateLimit: 1})
	g.sidecar.handle("order", jsonHandler(http.StatusOK, `{}`))
	g.do(request{method: http.MethodGet, path: "/orders/o-1", key: devKey})
	g.do(request{method: http.MethodGet, path: "/orders/o-1", key: devKey})

	rec := g.do(request{method: http.MethodGet, path: "/metrics"})

	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	for _, name := range []string{
		"gateway_rate_limited_total", "gateway_idempotency_cache_hits_total", "gateway_redis_fail_open_total",
		"gateway_upstream_errors_total", `http_requests_total{method="GET",route="/orders/:id",service="gateway",status="429"}`,
	} {
		assert.True(t, strings.Contains(body, name), "metrics lack %s", name)
	}
}
