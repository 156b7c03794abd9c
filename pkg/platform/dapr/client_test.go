package dapr_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/dapr"
)

// fakeSidecar answers /v1.0/healthz/outbound with the given status and echoes invocations.
func fakeSidecar(t *testing.T, healthy *atomic.Bool) dapr.Config {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1.0/healthz/outbound":
			if !healthy.Load() {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		case "/v1.0/invoke/order/method/orders/o-1":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Seen-Token", r.Header.Get("dapr-api-token"))
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write(append([]byte(r.Method+" "), body...))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	host, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	p, _ := strconv.Atoi(port)
	return dapr.Config{Host: host, HTTPPort: p, GRPCPort: 1, APIToken: "secret"}
}

func TestOutbound(t *testing.T) {
	var healthy atomic.Bool
	c := dapr.New(fakeSidecar(t, &healthy), nil)
	ctx := context.Background()

	assert.Error(t, c.Outbound(ctx), "unhealthy sidecar")
	healthy.Store(true)
	assert.NoError(t, c.Outbound(ctx))

	down := dapr.New(dapr.Config{Host: "127.0.0.1", HTTPPort: closedPort(t)}, nil)
	assert.Error(t, down.Outbound(ctx), "no sidecar")
}

func TestWaitOutboundGivesUpWithContext(t *testing.T) {
	var healthy atomic.Bool
	c := dapr.New(fakeSidecar(t, &healthy), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	assert.ErrorIs(t, c.WaitOutbound(ctx), context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)

	go func() { time.Sleep(200 * time.Millisecond); healthy.Store(true) }()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	assert.NoError(t, c.WaitOutbound(ctx2))
}

func TestInvokeCarriesTokenAndKeepsStatus(t *testing.T) {
	var healthy atomic.Bool
	c := dapr.New(fakeSidecar(t, &healthy), nil)
	req, err := c.InvokeRequest(context.Background(), http.MethodPut, "order", "/orders/o-1", []byte(`{"status":"cancelled"}`))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "secret", resp.Header.Get("X-Seen-Token"))
	assert.Equal(t, `PUT {"status":"cancelled"}`, string(body))
}

func TestPublishFailsWhenSidecarIsAbsent(t *testing.T) {
	c := dapr.New(dapr.Config{Host: "127.0.0.1", HTTPPort: closedPort(t), GRPCPort: closedPort(t)}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	assert.Error(t, c.Publish(ctx, "pubsub", "orders", []byte(`{}`), nil))
}

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return p
}

func TestDoDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	host, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	p, _ := strconv.Atoi(port)
	c := dapr.New(dapr.Config{Host: host, HTTPPort: p}, nil)

	req, err := c.InvokeRequest(context.Background(), http.MethodGet, "order", "/orders", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.False(t, followed.Load())
}
