package dapr_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
	daprup "github.com/orderflow/orderflow/services/gateway/internal/adapters/dapr"
	"github.com/orderflow/orderflow/services/gateway/internal/app"
)

// sidecar starts a fake sidecar answering with h and returns an Upstream pointed at it.
func sidecar(t *testing.T, h http.HandlerFunc) *daprup.Upstream {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	host, p, err := net.SplitHostPort(u.Host)
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return daprup.New(dapr.New(dapr.Config{Host: host, HTTPPort: port, APIToken: "tok"}, nil))
}

func TestCallThroughTheSidecar(t *testing.T) {
	shutdown, err := telemetry.Setup(context.Background(), "gateway-test", "")
	require.NoError(t, err)
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	var got *http.Request
	var gotBody string
	up := sidecar(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/orders/o-1")
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Set-Cookie", "internal=1")
		w.Header().Set("Server", "order/1.0")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"orderId":"o-1"}`)
	})
	ctx := logging.WithRequestID(context.Background(), "req-7")
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled,
	})
	ctx = trace.ContextWithSpanContext(ctx, sc)

	resp, err := up.Call(ctx, app.Call{
		App: "order", Method: http.MethodPost, Path: "/orders", Query: url.Values{"a": {"1 2"}},
		Header: http.Header{"Idempotency-Key": {"k-1"}, "Content-Type": {"application/json"}}, Body: []byte(`{"x":1}`),
	})

	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, resp.Status)
	assert.Equal(t, `{"orderId":"o-1"}`, string(resp.Body))
	assert.Equal(t, "/orders/o-1", resp.Header.Get("Location"))
	assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
	assert.Empty(t, resp.Header.Get("Set-Cookie"), "only known headers pass")
	assert.Empty(t, resp.Header.Get("Server"))

	assert.Equal(t, "/v1.0/invoke/order/method/orders", got.URL.Path)
	assert.Equal(t, "a=1+2", got.URL.RawQuery)
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "tok", got.Header.Get("dapr-api-token"))
	assert.Equal(t, "k-1", got.Header.Get("Idempotency-Key"))
	assert.Equal(t, "req-7", got.Header.Get("X-Request-Id"))
	assert.True(t, strings.HasPrefix(got.Header.Get("traceparent"), "00-"+sc.TraceID().String()), got.Header.Get("traceparent"))
	assert.Equal(t, `{"x":1}`, gotBody)
}

func TestSidecarErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr bool
		status  int
	}{
		{name: "app not reachable", handler: respond(500, `{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: order"}`), wantErr: true},
		{name: "app id unknown", handler: respond(404, `{"errorCode":"ERR_DIRECT_INVOKE","message":"app id not found"}`), wantErr: true},
		{name: "service error with an errorCode field of its own", handler: respond(500, `{"error":{"code":"internal"},"errorCode":"x"}`), status: 500},
		{name: "service 500", handler: respond(500, `{"error":{"code":"internal","message":"internal error"}}`), status: 500},
		{name: "service 404", handler: respond(404, `{"error":{"code":"not_found","message":"order not found"}}`), status: 404},
		{name: "redirect is not followed", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/elsewhere" {
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
				return
			}
			respond(200, `{"followed":true}`)(w, r)
		}, status: 302},
		{name: "oversized body", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`"` + strings.Repeat("x", daprup.MaxResponseBytes) + `"`))
		}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := sidecar(t, tt.handler)

			resp, err := up.Call(context.Background(), app.Call{App: "order", Method: http.MethodGet, Path: "/orders/o-1"})

			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.status, resp.Status)
		})
	}
}

func TestSidecarUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	up := daprup.New(dapr.New(dapr.Config{Host: "127.0.0.1", HTTPPort: port}, nil))

	_, err = up.Call(context.Background(), app.Call{App: "order", Method: http.MethodGet, Path: "/orders"})

	assert.Error(t, err)
}

func respond(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}
