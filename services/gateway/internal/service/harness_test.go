package service_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/logging/logtest"
	daprup "github.com/orderflow/orderflow/services/gateway/internal/adapters/dapr"
	redisad "github.com/orderflow/orderflow/services/gateway/internal/adapters/redis"
	gwconfig "github.com/orderflow/orderflow/services/gateway/internal/config"
	"github.com/orderflow/orderflow/services/gateway/internal/service"
)

// API keys of the tests. They must never show up in logs or upstream requests.
const (
	devKey      = "dev-key-0123456789"
	otherKey    = "other-key-0123456789"
	adminKey    = "admin-key-0123456789"
	devClient   = "dev-client"
	otherClient = "other-client"
	adminClient = "ops"
	daprToken   = "dapr-token-for-tests"
)

// recordedCall is one request the fake sidecar received, as the service would see it.
type recordedCall struct {
	App    string
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// fakeSidecar stands in for daprd: it serves /v1.0/invoke/<app>/method/<path> by handing the
// request to the fake service registered for <app>, and answers like Dapr
// (500 ERR_DIRECT_INVOKE) for an app that has none. Every invocation is recorded.
type fakeSidecar struct {
	srv       *httptest.Server
	mu        sync.Mutex
	calls     []recordedCall
	apps      map[string]http.HandlerFunc
	unhealthy atomic.Bool
}

func newFakeSidecar(t *testing.T) *fakeSidecar {
	t.Helper()
	s := &fakeSidecar{apps: map[string]http.HandlerFunc{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1.0/healthz/outbound", func(w http.ResponseWriter, r *http.Request) {
		if s.unhealthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/v1.0/invoke/{app}/method/{path...}", s.invoke)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// handle registers the fake service of app.
func (s *fakeSidecar) handle(app string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[app] = h
}

func (s *fakeSidecar) invoke(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	app := r.PathValue("app")
	call := recordedCall{
		App: app, Method: r.Method, Path: "/" + r.PathValue("path"), Query: r.URL.Query(),
		Header: r.Header.Clone(), Body: body,
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	h := s.apps[app]
	s.mu.Unlock()
	if h == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: `+app+`, err: couldn't find service: `+app+`"}`)
		return
	}
	r.URL.Path = call.Path
	r.Body = io.NopCloser(bytes.NewReader(body))
	h(w, r)
}

// recorded returns the invocations so far.
func (s *fakeSidecar) recorded() []recordedCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recordedCall(nil), s.calls...)
}

// port is the fake sidecar's HTTP port.
func (s *fakeSidecar) port(t *testing.T) int {
	t.Helper()
	_, p, err := net.SplitHostPort(strings.TrimPrefix(s.srv.URL, "http://"))
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return n
}

// gateway is the gateway's echo server with a fake sidecar and Redis at its edges.
type gateway struct {
	t       *testing.T
	srv     *httpserver.Server
	sidecar *fakeSidecar
	logs    *logtest.Buffer
	cfg     gwconfig.Config
}

// setup configures a test gateway.
type setup struct {
	rateLimit       int
	upstreamTimeout time.Duration
	redisDown       bool // Redis at a closed port
	sidecarDown     bool // the sidecar at a closed port
}

func newGateway(t *testing.T, s setup) *gateway {
	t.Helper()
	if s.upstreamTimeout == 0 {
		s.upstreamTimeout = 5 * time.Second
	}
	cfg := gwconfig.Config{
		Port:               8080,
		APIKeys:            devKey + ":" + devClient + "," + otherKey + ":" + otherClient,
		AdminAPIKeys:       adminKey + ":" + adminClient,
		RateLimitPerMinute: s.rateLimit,
		RedisTimeout:       100 * time.Millisecond,
		UpstreamTimeout:    s.upstreamTimeout,
		IdempotencyTTL:     time.Hour,
		IdempotencyLockTTL: 30 * time.Second,
	}
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.DaprHost = "127.0.0.1"
	cfg.DaprAPIToken = daprToken

	sidecar := newFakeSidecar(t)
	cfg.DaprHTTPPort = sidecar.port(t)
	if s.sidecarDown {
		cfg.DaprHTTPPort = daprtest.FreePort(t)
	}

	redisOpts := redisad.Options{Addr: daprtest.RedisAddr(), Timeout: cfg.RedisTimeout}
	if s.redisDown {
		redisOpts.Addr = "127.0.0.1:" + strconv.Itoa(daprtest.FreePort(t))
	} else {
		redisOpts.DB = daprtest.RedisDB(t)
	}
	logs := &logtest.Buffer{}
	log := logging.New("gateway", slog.LevelDebug, logs)
	rdb := redisad.NewClient(redisOpts, log)
	t.Cleanup(func() { _ = rdb.Close() })
	client := dapr.New(dapr.Config{Host: cfg.DaprHost, HTTPPort: cfg.DaprHTTPPort, APIToken: cfg.DaprAPIToken}, log)
	srv, err := service.New(cfg, service.Deps{
		Upstream:   daprup.New(client),
		Store:      redisad.NewIdempotencyStore(rdb, cfg.RedisTimeout),
		Limiter:    redisad.NewLimiter(rdb, cfg.RedisTimeout),
		ReadyCheck: client.Outbound,
	}, log)
	require.NoError(t, err)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs.String())
		}
	})
	return &gateway{t: t, srv: srv, sidecar: sidecar, logs: logs, cfg: cfg}
}

// request describes one call to the gateway.
type request struct {
	method      string
	path        string
	key         string // X-API-Key; "" sends none
	body        string
	contentType string // defaults to application/json when there is a body
	header      map[string]string
}

// do sends r through the gateway's router.
func (g *gateway) do(r request) *httptest.ResponseRecorder {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.key != "" {
		req.Header.Set("X-API-Key", r.key)
	}
	switch {
	case r.contentType != "":
		req.Header.Set("Content-Type", r.contentType)
	case r.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	g.srv.Echo.ServeHTTP(rec, req)
	return rec
}

// errorOf decodes an error response and checks its shape.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) httpserver.Error {
	t.Helper()
	require.Equal(t, "application/json", strings.Split(rec.Header().Get("Content-Type"), ";")[0], rec.Body.String())
	var body httpserver.ErrorResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	require.NotNil(t, body.Error, rec.Body.String())
	require.NotEmpty(t, body.Error.Code)
	require.NotEmpty(t, body.Error.Message)
	return *body.Error
}

// jsonHandler answers every request with status and body.
func jsonHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

const validOrder = `{"customerId":"c-1","currency":"EUR","items":[{"productId":"p-1","quantity":2,"unitPrice":1250}],"paymentToken":"tok_ok"}`

// fakeOrderService imitates the order service's POST /orders, including its own idempotency:
// a repeated (client, key) with the same body answers the stored response with
// Idempotent-Replayed: true, another body 422. created counts orders really created.
type fakeOrderService struct {
	mu      sync.Mutex
	created int
	byKey   map[string]string // client+key -> body
	delay   time.Duration
	entered chan struct{} // receives once per request, before the delay, when not nil
}

func (f *fakeOrderService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	time.Sleep(f.delay)
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byKey == nil {
		f.byKey = map[string]string{}
	}
	w.Header().Set("Content-Type", "application/json")
	key := r.Header.Get("X-Client-Id") + "|" + r.Header.Get("Idempotency-Key")
	if prev, ok := f.byKey[key]; ok && r.Header.Get("Idempotency-Key") != "" {
		if prev != string(body) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = io.WriteString(w, `{"error":{"code":"idempotency_key_reused","message":"key reused"}}`)
			return
		}
		w.Header().Set("Location", "/orders/o-1")
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"orderId":"o-1","status":"pending"}`)
		return
	}
	f.byKey[key] = string(body)
	f.created++
	id := "o-" + strconv.Itoa(f.created)
	w.Header().Set("Location", "/orders/"+id)
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, `{"orderId":"`+id+`","status":"pending"}`)
}
