package service_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/logging/logtest"
	daprup "github.com/orderflow/orderflow/services/gateway/internal/adapters/dapr"
	redisad "github.com/orderflow/orderflow/services/gateway/internal/adapters/redis"
	gwconfig "github.com/orderflow/orderflow/services/gateway/internal/config"
	"github.com/orderflow/orderflow/services/gateway/internal/service"
)

// TestDaprdGatewayInvokesServices runs the gateway behind a real daprd that invokes a stand-in
// order app behind its own daprd (sqlite name resolution, the repository's resiliency): status
// codes, bodies and headers cross both sidecars, the callee sees its APP_API_TOKEN and the
// gateway's headers, and an app that is not running is a quick 503, alone or in the fan-out.
func TestDaprdGatewayInvokesServices(t *testing.T) {
	const appToken = "test-app-token"
	redisDB := daprtest.RedisDB(t)
	dir := t.TempDir() // both sidecars resolve names through the same sqlite file here

	var mu sync.Mutex
	var seen []*http.Request
	order := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(r.Context()))
		mu.Unlock()
		if r.Header.Get("dapr-api-token") != appToken {
			jsonHandler(http.StatusUnauthorized, `{"error":{"code":"unauthorized","message":"no app token"}}`)(w, r)
			return
		}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/orders":
			body, _ := io.ReadAll(r.Body)
			if !json.Valid(body) {
				jsonHandler(http.StatusBadRequest, `{"error":{"code":"invalid_json","message":"bad"}}`)(w, r)
				return
			}
			w.Header().Set("Location", "/orders/o-1")
			jsonHandler(http.StatusCreated, `{"orderId":"o-1","status":"pending"}`)(w, r)
		case r.URL.Path == "/orders":
			jsonHandler(http.StatusOK, `{"orders":[],"query":"`+r.URL.RawQuery+`"}`)(w, r)
		case r.URL.Path == "/orders/broken":
			jsonHandler(http.StatusInternalServerError, `{"error":{"code":"internal","message":"pq: connection to 10.9.9.9 refused"}}`)(w, r)
		case r.URL.Path == "/admin/deadletters":
			jsonHandler(http.StatusOK, `{"deadLetters":[{"id":"dl-1","receivedAt":"2026-03-01T10:00:00Z"}]}`)(w, r)
		default:
			jsonHandler(http.StatusNotFound, `{"error":{"code":"not_found","message":"order not found"}}`)(w, r)
		}
	}))
	t.Cleanup(order.Close)
	orderPort, err := strconv.Atoi(order.URL[strings.LastIndex(order.URL, ":")+1:])
	require.NoError(t, err)
	resources := daprtest.ResourcesPathsWithoutSubscriptions(t)
	daprtest.Start(t, daprtest.Options{AppID: "order", AppPort: orderPort, AppToken: appToken, APIToken: daprToken,
		RedisDB: redisDB, Dir: dir, ResourcesPaths: resources})
	sidecar := daprtest.Start(t, daprtest.Options{AppID: "gateway", AppToken: appToken, APIToken: daprToken,
		RedisDB: redisDB, Dir: dir, ResourcesPaths: resources})

	cfg := gwconfig.Config{
		Port: 8080, APIKeys: devKey + ":" + devClient, AdminAPIKeys: adminKey + ":" + adminClient,
		RedisTimeout: 100 * time.Millisecond, UpstreamTimeout: 5 * time.Second,
		IdempotencyTTL: time.Hour, IdempotencyLockTTL: 30 * time.Second,
	}
	cfg.DaprHost, cfg.DaprHTTPPort, cfg.DaprAPIToken = "127.0.0.1", sidecar.HTTPPort, daprToken
	logs := &logtest.Buffer{}
	log := logging.New("gateway", slog.LevelDebug, logs)
	rdb := redisad.NewClient(redisad.Options{Addr: daprtest.RedisAddr(), DB: daprtest.RedisDB(t), Timeout: cfg.RedisTimeout}, log)
	t.Cleanup(func() { _ = rdb.Close() })
	client := dapr.New(dapr.Config{Host: cfg.DaprHost, HTTPPort: cfg.DaprHTTPPort, APIToken: cfg.DaprAPIToken}, log)
	srv, err := service.New(cfg, service.Deps{
		Upstream: daprup.New(client), Store: redisad.NewIdempotencyStore(rdb, cfg.RedisTimeout),
		Limiter: redisad.NewLimiter(rdb, cfg.RedisTimeout), ReadyCheck: client.Outbound,
	}, log)
	require.NoError(t, err)
	g := &gateway{t: t, srv: srv, logs: logs, cfg: cfg}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs.String())
		}
	})

	ready := g.do(request{method: http.MethodGet, path: "/readyz"})
	require.Equal(t, http.StatusOK, ready.Code, ready.Body.String())

	// The order sidecar may need a moment before its app id resolves.
	var created *httptest.ResponseRecorder
	require.Eventually(t, func() bool {
		created = g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: validOrder, header: map[string]string{"Idempotency-Key": "k-daprd"}})
		return created.Code != http.StatusServiceUnavailable
	}, 30*time.Second, 200*time.Millisecond)
	require.Equal(t, http.StatusCreated, created.Code, created.Body.String())
	assert.JSONEq(t, `{"orderId":"o-1","status":"pending"}`, created.Body.String())
	assert.Equal(t, "/orders/o-1", created.Header().Get("Location"))
	mu.Lock()
	post := seen[len(seen)-1]
	mu.Unlock()
	assert.Equal(t, "k-daprd", post.Header.Get("Idempotency-Key"))
	assert.Equal(t, devClient, post.Header.Get("X-Client-Id"))
	assert.NotEmpty(t, post.Header.Get("traceparent"))

	replay := g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: validOrder, header: map[string]string{"Idempotency-Key": "k-daprd"}})
	assert.Equal(t, http.StatusCreated, replay.Code)
	assert.Equal(t, "true", replay.Header().Get("Idempotent-Replayed"))

	list := g.do(request{method: http.MethodGet, path: "/orders?customerId=c-1&limit=5", key: devKey})
	require.Equal(t, http.StatusOK, list.Code, list.Body.String())
	assert.JSONEq(t, `{"orders":[],"query":"customerId=c-1&limit=5"}`, list.Body.String())

	missing := g.do(request{method: http.MethodGet, path: "/orders/o-404", key: devKey})
	require.Equal(t, http.StatusNotFound, missing.Code, missing.Body.String())
	assert.JSONEq(t, `{"error":{"code":"not_found","message":"order not found"}}`, missing.Body.String())

	broken := g.do(request{method: http.MethodGet, path: "/orders/broken", key: devKey})
	require.Equal(t, http.StatusBadGateway, broken.Code, broken.Body.String())
	assert.NotContains(t, broken.Body.String(), "10.9.9.9")

	start := time.Now()
	noPayment := g.do(request{method: http.MethodGet, path: "/payments?customerId=c-1", key: devKey})
	assert.Equal(t, http.StatusServiceUnavailable, noPayment.Code, noPayment.Body.String())
	assert.Equal(t, "service_unavailable", errorOf(t, noPayment).Code)
	assert.Less(t, time.Since(start), cfg.UpstreamTimeout+time.Second)

	fanOut := g.do(request{method: http.MethodGet, path: "/admin/deadletters", key: adminKey})
	require.Equal(t, http.StatusOK, fanOut.Code, fanOut.Body.String())
	var merged mergedDeadLetters
	require.NoError(t, json.Unmarshal(fanOut.Body.Bytes(), &merged))
	require.Len(t, merged.DeadLetters, 1)
	assert.Equal(t, "order", merged.DeadLetters[0]["service"])
	assert.Equal(t, map[string]string{"payment": "unavailable", "notification": "unavailable", "analytics": "unavailable"}, merged.Errors)
	assert.Contains(t, g.logs.String(), "ERR_DIRECT_INVOKE", "the sidecar's reason stays in the gateway's log")

	order.Close() // the app goes away while its sidecar stays
	start = time.Now()
	gone := g.do(request{method: http.MethodGet, path: "/orders/o-1", key: devKey})
	assert.Equal(t, http.StatusServiceUnavailable, gone.Code, gone.Body.String())
	assert.Less(t, time.Since(start), cfg.UpstreamTimeout+time.Second)
}
