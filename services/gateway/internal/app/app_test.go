package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/gateway/internal/app"
	"github.com/orderflow/orderflow/services/gateway/internal/domain"
	"github.com/orderflow/orderflow/services/gateway/internal/metrics"
)

// fakeUpstream answers every call with its response or error and records the calls.
type fakeUpstream struct {
	mu    sync.Mutex
	calls []app.Call
	resp  app.Response
	err   error
	block bool // wait for the context to end
}

func (f *fakeUpstream) Call(ctx context.Context, c app.Call) (app.Response, error) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return app.Response{}, ctx.Err()
	}
	return f.resp, f.err
}

// fakeStore is an in-memory IdempotencyStore whose operations can be made to fail.
type fakeStore struct {
	mu           sync.Mutex
	saved        map[string]app.StoredResponse
	locks        map[string]string
	fail         map[string]error // by operation: get, save, lock, unlock
	unlocked     []string         // tokens released
	unlockCtxErr error
}

func newFakeStore() *fakeStore {
	return &fakeStore{saved: map[string]app.StoredResponse{}, locks: map[string]string{}, fail: map[string]error{}}
}

func (s *fakeStore) Get(_ context.Context, client, key string) (app.StoredResponse, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail["get"]; err != nil {
		return app.StoredResponse{}, false, err
	}
	r, ok := s.saved[client+"|"+key]
	return r, ok, nil
}

func (s *fakeStore) Save(_ context.Context, client, key string, r app.StoredResponse, _ time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail["save"]; err != nil {
		return err
	}
	s.saved[client+"|"+key] = r
	return nil
}

func (s *fakeStore) Lock(_ context.Context, client, key string, _ time.Duration) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail["lock"]; err != nil {
		return "", false, err
	}
	if _, held := s.locks[client+"|"+key]; held {
		return "", false, nil
	}
	s.locks[client+"|"+key] = "token-1"
	return "token-1", true, nil
}

func (s *fakeStore) Unlock(ctx context.Context, client, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unlockCtxErr = ctx.Err()
	if err := s.fail["unlock"]; err != nil {
		return err
	}
	if s.locks[client+"|"+key] == token {
		delete(s.locks, client+"|"+key)
	}
	s.unlocked = append(s.unlocked, token)
	return nil
}

type fakeLimiter struct {
	calls int
	d     app.Decision
	err   error
}

func (l *fakeLimiter) Allow(context.Context, string, int) (app.Decision, error) {
	l.calls++
	return l.d, l.err
}

func newGateway(up app.Upstream, store app.IdempotencyStore, limiter app.RateLimiter, rateLimit int) *app.Gateway {
	return app.New(up, store, limiter, app.Options{
		UpstreamTimeout: 100 * time.Millisecond, RateLimitPerMinute: rateLimit,
		IdempotencyTTL: time.Hour, IdempotencyLockTTL: time.Minute,
	}, nil)
}

func jsonResponse(status int, body string) app.Response {
	return app.Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

func TestForwardMapsAnswers(t *testing.T) {
	tests := []struct {
		name     string
		resp     app.Response
		err      error
		wantErr  error
		wantBody string
	}{
		{name: "200 JSON", resp: jsonResponse(200, `{"ok":true}`), wantBody: `{"ok":true}`},
		{name: "201 problem+json", resp: app.Response{Status: 201, Header: http.Header{"Content-Type": {"application/problem+json"}}, Body: []byte(`{}`)}, wantBody: `{}`},
		{name: "204 empty", resp: app.Response{Status: 204, Header: http.Header{}}},
		{name: "404 JSON", resp: jsonResponse(404, `{"error":{"code":"not_found","message":"no"}}`), wantBody: `{"error":{"code":"not_found","message":"no"}}`},
		{name: "409 JSON", resp: jsonResponse(409, `{"error":{"code":"invalid_transition","message":"no"}}`), wantBody: `{"error":{"code":"invalid_transition","message":"no"}}`},
		{name: "400 text", resp: app.Response{Status: 400, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("secret detail")}, wantBody: `{"error":{"code":"bad_request","message":"Bad Request"}}`},
		{name: "422 invalid JSON", resp: app.Response{Status: 422, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte("{")}, wantBody: `{"error":{"code":"unprocessable_entity","message":"Unprocessable Entity"}}`},
		{name: "transport error", err: errors.New("connection refused"), wantErr: app.ErrUnavailable},
		{name: "503", resp: jsonResponse(503, `{}`), wantErr: app.ErrUnavailable},
		{name: "500", resp: jsonResponse(500, `{}`), wantErr: app.ErrUpstream},
		{name: "502", resp: jsonResponse(502, `{}`), wantErr: app.ErrUpstream},
		{name: "504", resp: jsonResponse(504, `{}`), wantErr: app.ErrUpstream},
		{name: "401", resp: jsonResponse(401, `{}`), wantErr: app.ErrUpstream},
		{name: "403", resp: jsonResponse(403, `{}`), wantErr: app.ErrUpstream},
		{name: "302", resp: app.Response{Status: 302, Header: http.Header{"Location": {"/x"}}}, wantErr: app.ErrUpstream},
		{name: "200 HTML", resp: app.Response{Status: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>")}, wantErr: app.ErrUpstream},
		{name: "200 JSON type, broken body", resp: app.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte("{")}, wantErr: app.ErrUpstream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := newGateway(&fakeUpstream{resp: tt.resp, err: tt.err}, nil, nil, 0)

			resp, err := gw.Forward(context.Background(), app.Call{App: "order", Method: http.MethodGet, Path: "/orders/o-1"})

			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.resp.Status, resp.Status)
			if tt.wantBody == "" {
				assert.Empty(t, resp.Body)
				return
			}
			assert.JSONEq(t, tt.wantBody, string(resp.Body))
			assert.NotContains(t, string(resp.Body), "secret")
		})
	}
}

func TestForwardTimesOut(t *testing.T) {
	up := &fakeUpstream{block: true}
	gw := newGateway(up, nil, nil, 0)

	start := time.Now()
	_, err := gw.Forward(context.Background(), app.Call{App: "order", Method: http.MethodGet, Path: "/orders"})

	require.ErrorIs(t, err, app.ErrUnavailable)
	assert.Less(t, time.Since(start), 2*time.Second)
}

var order = domain.CreateOrder{CustomerID: "c-1", Currency: "EUR", Items: []domain.OrderItem{{ProductID: "p", Quantity: 1, UnitPrice: new(int64)}}}

var client = domain.Client{ID: "shop", KeyID: "key-id"}

func TestCreateOrderWithoutKeyLeavesTheStoreAlone(t *testing.T) {
	up := &fakeUpstream{resp: jsonResponse(201, `{"orderId":"o-1"}`)}
	store := newFakeStore()
	store.fail["get"] = errors.New("must not be called")
	store.fail["lock"] = errors.New("must not be called")

	resp, err := newGateway(up, store, nil, 0).CreateOrder(context.Background(), client, "", order)

	require.NoError(t, err)
	assert.Equal(t, 201, resp.Status)
	require.Len(t, up.calls, 1)
	assert.Empty(t, up.calls[0].Header.Get("Idempotency-Key"))
	assert.Equal(t, "shop", up.calls[0].Header.Get("X-Client-Id"))
	assert.Empty(t, store.saved)
}

func TestCreateOrderStoreFailuresFailOpen(t *testing.T) {
	for _, op := range []string{"get", "lock", "save", "unlock"} {
		t.Run(op, func(t *testing.T) {
			up := &fakeUpstream{resp: jsonResponse(201, `{"orderId":"o-1"}`)}
			store := newFakeStore()
			store.fail[op] = errors.New("redis: connection refused")
			label := map[string]string{"get": metrics.OpIdempotencyGet, "lock": metrics.OpIdempotencyLock, "save": metrics.OpIdempotencySave, "unlock": metrics.OpIdempotencyUnlock}[op]
			before := testutil.ToFloat64(metrics.RedisFailOpen.WithLabelValues(label))

			resp, err := newGateway(up, store, nil, 0).CreateOrder(context.Background(), client, "k-1", order)

			require.NoError(t, err)
			assert.Equal(t, 201, resp.Status)
			assert.Len(t, up.calls, 1, "the order service decides")
			assert.Equal(t, "k-1", up.calls[0].Header.Get("Idempotency-Key"))
			assert.Equal(t, before+1, testutil.ToFloat64(metrics.RedisFailOpen.WithLabelValues(label)))
			if op == "get" {
				assert.Empty(t, store.unlocked, "with Redis down the lock is skipped too")
			}
		})
	}
}

func TestCreateOrderReleasesTheLockAfterTheClientLeft(t *testing.T) {
	up := &fakeUpstream{resp: jsonResponse(201, `{"orderId":"o-1"}`)}
	store := newFakeStore()
	ctx, cancel := context.WithCancel(context.Background())
	gw := newGateway(&cancelAfterCall{up: up, cancel: cancel}, store, nil, 0)

	_, err := gw.CreateOrder(ctx, client, "k-1", order)

	require.NoError(t, err)
	assert.Equal(t, []string{"token-1"}, store.unlocked)
	assert.NoError(t, store.unlockCtxErr, "the release does not use the ended request context")
	assert.Empty(t, store.locks)
	assert.Contains(t, store.saved, "shop|k-1", "the answer is cached for the client's retry")
}

// cancelAfterCall cancels the request's context once the service answered, as a client that
// hangs up would.
type cancelAfterCall struct {
	up     app.Upstream
	cancel context.CancelFunc
}

func (c *cancelAfterCall) Call(ctx context.Context, call app.Call) (app.Response, error) {
	defer c.cancel()
	return c.up.Call(ctx, call)
}

func TestCreateOrderStoresOnlySuccess(t *testing.T) {
	for _, resp := range []app.Response{jsonResponse(400, `{}`), jsonResponse(409, `{}`), jsonResponse(422, `{}`)} {
		store := newFakeStore()
		_, err := newGateway(&fakeUpstream{resp: resp}, store, nil, 0).CreateOrder(context.Background(), client, "k-1", order)
		require.NoError(t, err)
		assert.Empty(t, store.saved, "status %d is not cached", resp.Status)
		assert.Empty(t, store.locks, "the lock is released")
	}
	store := newFakeStore()
	resp := jsonResponse(201, `{"orderId":"o-1"}`)
	resp.Header.Set("Location", "/orders/o-1")
	_, err := newGateway(&fakeUpstream{resp: resp}, store, nil, 0).CreateOrder(context.Background(), client, "k-1", order)
	require.NoError(t, err)
	saved := store.saved["shop|k-1"]
	assert.Equal(t, 201, saved.Status)
	assert.Equal(t, "/orders/o-1", saved.Location)
	assert.Equal(t, domain.RequestHash(order.Canonical()), saved.RequestHash)
	assert.JSONEq(t, `{"orderId":"o-1"}`, string(saved.Body))
}

func TestCheckRateLimit(t *testing.T) {
	t.Run("disabled", func(t *testing.T) {
		l := &fakeLimiter{err: errors.New("must not be called")}
		d := newGateway(&fakeUpstream{}, nil, l, 0).CheckRateLimit(context.Background(), client)
		assert.True(t, d.Allowed)
		assert.Zero(t, l.calls)
	})
	t.Run("fails open", func(t *testing.T) {
		before := testutil.ToFloat64(metrics.RedisFailOpen.WithLabelValues(metrics.OpRateLimit))
		l := &fakeLimiter{err: errors.New("i/o timeout")}
		d := newGateway(&fakeUpstream{}, nil, l, 5).CheckRateLimit(context.Background(), client)
		assert.True(t, d.Allowed)
		assert.Equal(t, -1, d.Remaining)
		assert.Equal(t, before+1, testutil.ToFloat64(metrics.RedisFailOpen.WithLabelValues(metrics.OpRateLimit)))
	})
	t.Run("refused", func(t *testing.T) {
		before := testutil.ToFloat64(metrics.RateLimited)
		l := &fakeLimiter{d: app.Decision{Allowed: false, Limit: 5, RetryAfter: time.Second}}
		d := newGateway(&fakeUpstream{}, nil, l, 5).CheckRateLimit(context.Background(), client)
		assert.False(t, d.Allowed)
		assert.Equal(t, before+1, testutil.ToFloat64(metrics.RateLimited))
	})
}

func TestListDeadLettersOrdersLettersWithoutTimeLast(t *testing.T) {
	up := &fakeUpstream{resp: jsonResponse(200, `{"deadLetters":[{"id":"x"},{"id":"y","receivedAt":"2026-01-01T00:00:00Z"}]}`)}

	got, err := newGateway(up, nil, nil, 0).ListDeadLetters(context.Background(), client, app.DeadLetterFilter{Limit: 100})

	require.NoError(t, err)
	require.Len(t, got.DeadLetters, 8, "two letters from each of four services")
	for i, l := range got.DeadLetters {
		var v map[string]any
		require.NoError(t, json.Unmarshal(l, &v))
		want := "y"
		if i >= 4 {
			want = "x"
		}
		assert.Equal(t, want, v["id"], "letter %d", i)
		assert.NotEmpty(t, v["service"])
	}
}
