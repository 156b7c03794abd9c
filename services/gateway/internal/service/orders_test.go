package service_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/gateway/internal/metrics"
)

func TestCreateOrderForwardsToOrderService(t *testing.T) {
	g := newGateway(t, setup{})
	orders := &fakeOrderService{}
	g.sidecar.handle("order", orders.ServeHTTP)
	// Same order, other spacing and field order: the gateway forwards the canonical encoding.
	body := `{ "items":[{"unitPrice":1250,"quantity":2,"productId":"p-1"}], "currency":"EUR", "paymentToken":"tok_ok", "customerId":"c-1" }`

	rec := g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: body,
		header: map[string]string{"Idempotency-Key": "key-1", "X-Request-Id": "req-42"}})

	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.JSONEq(t, `{"orderId":"o-1","status":"pending"}`, rec.Body.String())
	assert.Equal(t, "/orders/o-1", rec.Header().Get("Location"))
	assert.Empty(t, rec.Header().Get("Idempotent-Replayed"))
	calls := g.sidecar.recorded()
	require.Len(t, calls, 1)
	c := calls[0]
	assert.Equal(t, "order", c.App)
	assert.Equal(t, http.MethodPost, c.Method)
	assert.Equal(t, "/orders", c.Path)
	assert.JSONEq(t, validOrder, string(c.Body))
	assert.Equal(t, "application/json", c.Header.Get("Content-Type"))
	assert.Equal(t, "key-1", c.Header.Get("Idempotency-Key"))
	assert.Equal(t, devClient, c.Header.Get("X-Client-Id"))
	assert.Equal(t, "req-42", c.Header.Get("X-Request-Id"))
	assert.Equal(t, daprToken, c.Header.Get("dapr-api-token"))
	assert.Empty(t, c.Header.Get("X-API-Key"))
}

func TestCreateOrderWithoutIdempotencyKey(t *testing.T) {
	g := newGateway(t, setup{})
	orders := &fakeOrderService{}
	g.sidecar.handle("order", orders.ServeHTTP)

	first := g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: validOrder})
	second := g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: validOrder})

	require.Equal(t, http.StatusCreated, first.Code)
	require.Equal(t, http.StatusCreated, second.Code)
	assert.NotEqual(t, first.Body.String(), second.Body.String(), "without a key every request is a new order")
	assert.Equal(t, 2, orders.created)
	for _, c := range g.sidecar.recorded() {
		assert.NotContains(t, c.Header, "Idempotency-Key")
	}
}

func TestIdempotencyCache(t *testing.T) {
	g := newGateway(t, setup{})
	orders := &fakeOrderService{}
	g.sidecar.handle("order", orders.ServeHTTP)
	create := func(key, apiKey, body string) *httptest.ResponseRecorder {
		return g.do(request{method: http.MethodPost, path: "/orders", key: apiKey, body: body, header: map[string]string{"Idempotency-Key": key}})
	}
	replayed := testutil.ToFloat64(metrics.IdempotencyCache.WithLabelValues(metrics.CacheReplayed))
	mismatched := testutil.ToFloat64(metrics.IdempotencyCache.WithLabelValues(metrics.CacheMismatch))

	first := create("k-1", devKey, validOrder)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	require.Len(t, g.sidecar.recorded(), 1)

	t.Run("same body is answered from the cache", func(t *testing.T) {
		again := create("k-1", devKey, validOrder)

		assert.Equal(t, http.StatusCreated, again.Code)
		assert.Equal(t, first.Body.String(), again.Body.String())
		assert.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
		assert.Equal(t, "/orders/o-1", again.Header().Get("Location"))
		assert.Len(t, g.sidecar.recorded(), 1, "the order service was not called again")
		assert.Equal(t, replayed+1, testutil.ToFloat64(metrics.IdempotencyCache.WithLabelValues(metrics.CacheReplayed)))
	})
	t.Run("same meaning, other spelling is the same request", func(t *testing.T) {
		again := create("k-1", devKey, `{"paymentToken":"tok_ok","items":[{"productId":"p-1","unitPrice":1250,"quantity":2}],"currency":"EUR","customerId":"c-1"}`)

		assert.Equal(t, http.StatusCreated, again.Code)
		assert.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
		assert.Len(t, g.sidecar.recorded(), 1)
	})
	t.Run("other body is refused", func(t *testing.T) {
		other := create("k-1", devKey, `{"customerId":"c-1","currency":"EUR","items":[{"productId":"p-1","quantity":3,"unitPrice":1250}]}`)

		require.Equal(t, http.StatusUnprocessableEntity, other.Code)
		assert.Equal(t, "idempotency_key_reused", errorOf(t, other).Code)
		assert.Len(t, g.sidecar.recorded(), 1)
		assert.Equal(t, mismatched+1, testutil.ToFloat64(metrics.IdempotencyCache.WithLabelValues(metrics.CacheMismatch)))
	})
	t.Run("keys are scoped to the client", func(t *testing.T) {
		other := create("k-1", otherKey, validOrder)

		require.Equal(t, http.StatusCreated, other.Code)
		assert.Empty(t, other.Header().Get("Idempotent-Replayed"))
		calls := g.sidecar.recorded()
		require.Len(t, calls, 2)
		assert.Equal(t, otherClient, calls[1].Header.Get("X-Client-Id"))
	})
	t.Run("another key is another order", func(t *testing.T) {
		other := create("k-2", devKey, validOrder)

		require.Equal(t, http.StatusCreated, other.Code)
		assert.Empty(t, other.Header().Get("Idempotent-Replayed"))
		assert.Len(t, g.sidecar.recorded(), 3)
	})
}

func TestIdempotencyFailuresAreNotCached(t *testing.T) {
	g := newGateway(t, setup{})
	var mu sync.Mutex
	answers := []struct {
		status int
		body   string
	}{
		{http.StatusInternalServerError, `{"error":{"code":"internal","message":"internal error"}}`},
		{http.StatusConflict, `{"error":{"code":"conflict","message":"try again"}}`},
		{http.StatusCreated, `{"orderId":"o-9","status":"pending"}`},
	}
	g.sidecar.handle("order", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := answers[0]
		answers = answers[1:]
		mu.Unlock()
		jsonHandler(a.status, a.body)(w, r)
	})
	create := func() *httptest.ResponseRecorder {
		return g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: validOrder, header: map[string]string{"Idempotency-Key": "k-retry"}})
	}

	assert.Equal(t, http.StatusBadGateway, create().Code)
	assert.Equal(t, http.StatusConflict, create().Code)
	created := create()
	assert.Equal(t, http.StatusCreated, created.Code)
	replay := create()

	assert.Equal(t, http.StatusCreated, replay.Code)
	assert.Equal(t, created.Body.String(), replay.Body.String())
	assert.Equal(t, "true", replay.Header().Get("Idempotent-Replayed"))
	assert.Len(t, g.sidecar.recorded(), 3, "failed answers are not cached and the lock is released after each")
}

func TestIdempotencyConcurrentDuplicate(t *testing.T) {
	g := newGateway(t, setup{})
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var calls int
	var mu sync.Mutex
	g.sidecar.handle("order", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		entered <- struct{}{}
		<-release
		jsonHandler(http.StatusCreated, `{"orderId":"o-1","status":"pending"}`)(w, r)
	})
	create := func() *httptest.ResponseRecorder {
		return g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: validOrder, header: map[string]string{"Idempotency-Key": "k-concurrent"}})
	}
	inProgress := testutil.ToFloat64(metrics.IdempotencyInProgress)

	firstDone := make(chan *httptest.ResponseRecorder, 1)
	go func() { firstDone <- create() }()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the first request never reached the order service")
	}

	duplicate := create()

	require.Equal(t, http.StatusConflict, duplicate.Code, duplicate.Body.String())
	assert.Equal(t, "request_in_progress", errorOf(t, duplicate).Code)
	assert.Equal(t, "1", duplicate.Header().Get("Retry-After"))
	assert.Equal(t, inProgress+1, testutil.ToFloat64(metrics.IdempotencyInProgress))
	close(release)
	first := <-firstDone
	require.Equal(t, http.StatusCreated, first.Code)
	later := create()
	assert.Equal(t, http.StatusCreated, later.Code)
	assert.Equal(t, "true", later.Header().Get("Idempotent-Replayed"))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, calls, "one call reached the order service")
}

func TestIdempotencyBurstOfDuplicates(t *testing.T) {
	g := newGateway(t, setup{})
	orders := &fakeOrderService{delay: 200 * time.Millisecond}
	g.sidecar.handle("order", orders.ServeHTTP)
	const n = 8
	results := make(chan *httptest.ResponseRecorder, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			<-start
			results <- g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: validOrder, header: map[string]string{"Idempotency-Key": "k-burst"}})
		})
	}
	close(start)
	wg.Wait()
	close(results)

	statuses := map[int]int{}
	for rec := range results {
		statuses[rec.Code]++
		if rec.Code == http.StatusCreated {
			assert.JSONEq(t, `{"orderId":"o-1","status":"pending"}`, rec.Body.String())
		}
	}
	assert.Equal(t, n, statuses[http.StatusCreated]+statuses[http.StatusConflict], "%v", statuses)
	assert.GreaterOrEqual(t, statuses[http.StatusCreated], 1)
	assert.Len(t, g.sidecar.recorded(), 1, "exactly one request reached the order service")
	assert.Equal(t, 1, orders.created)
}

func TestRedisDownOrdersStillAccepted(t *testing.T) {
	g := newGateway(t, setup{redisDown: true, rateLimit: 1})
	orders := &fakeOrderService{}
	g.sidecar.handle("order", orders.ServeHTTP)
	failOpenGet := testutil.ToFloat64(metrics.RedisFailOpen.WithLabelValues(metrics.OpIdempotencyGet))
	failOpenRate := testutil.ToFloat64(metrics.RedisFailOpen.WithLabelValues(metrics.OpRateLimit))
	create := func(body string) *httptest.ResponseRecorder {
		return g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: body, header: map[string]string{"Idempotency-Key": "k-down"}})
	}

	start := time.Now()
	first := create(validOrder)
	repeat := create(validOrder)
	other := create(`{"customerId":"c-1","currency":"EUR","items":[{"productId":"p-1","quantity":9,"unitPrice":1}]}`)
	elapsed := time.Since(start)

	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	assert.Empty(t, first.Header().Get("Idempotent-Replayed"))
	require.Equal(t, http.StatusCreated, repeat.Code, "the rate limit (1/min) fails open")
	assert.Equal(t, "true", repeat.Header().Get("Idempotent-Replayed"), "the order service answered the repeat")
	assert.Equal(t, first.Body.String(), repeat.Body.String())
	require.Equal(t, http.StatusUnprocessableEntity, other.Code)
	assert.Equal(t, "idempotency_key_reused", errorOf(t, other).Code)
	assert.Len(t, g.sidecar.recorded(), 3, "every request went to the order service")
	assert.Equal(t, 1, orders.created)
	assert.Less(t, elapsed, time.Second, "a down Redis costs at most its short timeouts")
	assert.GreaterOrEqual(t, testutil.ToFloat64(metrics.RedisFailOpen.WithLabelValues(metrics.OpIdempotencyGet)), failOpenGet+3)
	assert.GreaterOrEqual(t, testutil.ToFloat64(metrics.RedisFailOpen.WithLabelValues(metrics.OpRateLimit)), failOpenRate+3)
	assert.Contains(t, g.logs.String(), "redis unavailable")
	assert.Empty(t, first.Header().Get("X-RateLimit-Remaining"), "no rate-limit headers when the limiter is down")

	ready := g.do(request{method: http.MethodGet, path: "/readyz"})
	assert.Equal(t, http.StatusOK, ready.Code, "Redis is not a readiness dependency: %s", ready.Body.String())
}

func TestOrderRoutesPassThrough(t *testing.T) {
	g := newGateway(t, setup{})
	g.sidecar.handle("order", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut:
			var req map[string]string
			body, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(body, &req)
			if req["status"] == "paid" {
				jsonHandler(http.StatusConflict, `{"error":{"code":"invalid_transition","message":"order cannot become paid"}}`)(w, r)
				return
			}
			jsonHandler(http.StatusOK, `{"orderId":"o-1","status":"`+req["status"]+`"}`)(w, r)
		case r.URL.Path == "/orders/missing":
			jsonHandler(http.StatusNotFound, `{"error":{"code":"not_found","message":"order not found"}}`)(w, r)
		case r.URL.Path == "/orders":
			jsonHandler(http.StatusOK, `{"orders":[{"orderId":"o-1"}]}`)(w, r)
		default:
			jsonHandler(http.StatusOK, `{"orderId":"o-1","status":"pending"}`)(w, r)
		}
	})
	g.sidecar.handle("payment", jsonHandler(http.StatusOK, `{"payments":[{"id":"pay-1"}]}`))
	g.sidecar.handle("notification", jsonHandler(http.StatusOK, `{"notifications":[{"id":"n-1"}]}`))
	g.sidecar.handle("analytics", jsonHandler(http.StatusOK, `{"orders":{"created":3}}`))

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantBody   string
		wantApp    string
		wantPath   string
		wantQuery  string
		wantSent   string
	}{
		{name: "get order", method: http.MethodGet, path: "/orders/o-1", wantStatus: 200, wantBody: `{"orderId":"o-1","status":"pending"}`, wantApp: "order", wantPath: "/orders/o-1"},
		{name: "order not found", method: http.MethodGet, path: "/orders/missing", wantStatus: 404, wantBody: `{"error":{"code":"not_found","message":"order not found"}}`, wantApp: "order", wantPath: "/orders/missing"},
		{name: "list orders", method: http.MethodGet, path: "/orders?customerId=c-1&limit=5", wantStatus: 200, wantBody: `{"orders":[{"orderId":"o-1"}]}`, wantApp: "order", wantPath: "/orders", wantQuery: "customerId=c-1&limit=5"},
		{name: "cancel", method: http.MethodPut, path: "/orders/o-1/status", body: `{"status":"cancelled","reason":"changed my mind"}`, wantStatus: 200, wantBody: `{"orderId":"o-1","status":"cancelled"}`, wantApp: "order", wantPath: "/orders/o-1/status", wantSent: `{"status":"cancelled","reason":"changed my mind"}`},
		{name: "paid is the order service's 409", method: http.MethodPut, path: "/orders/o-1/status", body: `{"status":"paid"}`, wantStatus: 409, wantBody: `{"error":{"code":"invalid_transition","message":"order cannot become paid"}}`, wantApp: "order", wantPath: "/orders/o-1/status", wantSent: `{"status":"paid"}`},
		{name: "order payments", method: http.MethodGet, path: "/orders/o-1/payments", wantStatus: 200, wantBody: `{"payments":[{"id":"pay-1"}]}`, wantApp: "payment", wantPath: "/payments", wantQuery: "orderId=o-1"},
		{name: "customer payments", method: http.MethodGet, path: "/payments?customerId=c-1", wantStatus: 200, wantBody: `{"payments":[{"id":"pay-1"}]}`, wantApp: "payment", wantPath: "/payments", wantQuery: "customerId=c-1"},
		{name: "order notifications", method: http.MethodGet, path: "/orders/o-1/notifications", wantStatus: 200, wantBody: `{"notifications":[{"id":"n-1"}]}`, wantApp: "notification", wantPath: "/notifications", wantQuery: "orderId=o-1"},
		{name: "customer notifications", method: http.MethodGet, path: "/notifications?customerId=c%201", wantStatus: 200, wantBody: `{"notifications":[{"id":"n-1"}]}`, wantApp: "notification", wantPath: "/notifications", wantQuery: "customerId=c+1"},
		{name: "analytics summary", method: http.MethodGet, path: "/analytics/summary?from=2026-01-01", wantStatus: 200, wantBody: `{"orders":{"created":3}}`, wantApp: "analytics", wantPath: "/analytics/summary", wantQuery: "from=2026-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(g.sidecar.recorded())

			rec := g.do(request{method: tt.method, path: tt.path, key: devKey, body: tt.body})

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			assert.JSONEq(t, tt.wantBody, rec.Body.String())
			calls := g.sidecar.recorded()[before:]
			require.Len(t, calls, 1)
			assert.Equal(t, tt.wantApp, calls[0].App)
			assert.Equal(t, tt.method, calls[0].Method)
			assert.Equal(t, tt.wantPath, calls[0].Path)
			assert.Equal(t, tt.wantQuery, calls[0].Query.Encode())
			assert.Equal(t, devClient, calls[0].Header.Get("X-Client-Id"))
			if tt.wantSent != "" {
				assert.JSONEq(t, tt.wantSent, string(calls[0].Body))
			}
		})
	}
}
