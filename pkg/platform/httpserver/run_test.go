package httpserver_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
)

// start runs s in the background and returns its base URL and Run's eventual result.
func start(t *testing.T, ctx context.Context, s *httpserver.Server) (string, <-chan error) {
	t.Helper()
	result := make(chan error, 1)
	go func() { result <- s.Run(ctx) }()
	select {
	case <-s.Started():
	case err := <-result:
		require.FailNow(t, "Run returned before listening", "%v", err)
	case <-time.After(30 * time.Second):
		require.FailNow(t, "server did not start")
	}
	return "http://" + s.Addr(), result
}

func TestRunGracefulShutdown(t *testing.T) {
	s, _ := newServer(t, httpserver.Options{Addr: "127.0.0.1:0", ShutdownTimeout: 30 * time.Second})
	assert.Empty(t, s.Addr(), "no address before Run")
	inFlight := make(chan struct{})
	s.Echo.GET("/slow", func(c echo.Context) error {
		close(inFlight)
		time.Sleep(300 * time.Millisecond)
		return c.String(http.StatusOK, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	baseURL, result := start(t, ctx, s)

	type response struct {
		status int
		body   string
		err    error
	}
	responses := make(chan response, 1)
	go func() {
		resp, err := http.Get(baseURL + "/slow")
		if err != nil {
			responses <- response{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		responses <- response{status: resp.StatusCode, body: string(body), err: err}
	}()
	<-inFlight
	cancel()

	got := <-responses
	require.NoError(t, got.err)
	assert.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, "done", got.body)
	select {
	case err := <-result:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after shutdown")
	}
	_, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	assert.Error(t, err, "the listener is closed")
}

func TestRunShutdownTimeout(t *testing.T) {
	s, _ := newServer(t, httpserver.Options{Addr: "127.0.0.1:0", ShutdownTimeout: 50 * time.Millisecond})
	inFlight, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	s.Echo.GET("/stuck", func(c echo.Context) error {
		close(inFlight)
		<-release
		return c.NoContent(http.StatusOK)
	})
	ctx, cancel := context.WithCancel(context.Background())
	baseURL, result := start(t, ctx, s)
	go func() {
		if resp, err := http.Get(baseURL + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-inFlight

	cancel()

	assert.ErrorContains(t, <-result, "httpserver: shutdown")
}

func TestRunServesOperationalEndpoints(t *testing.T) {
	s, _ := newServer(t, httpserver.Options{Addr: "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	baseURL, result := start(t, ctx, s)

	resp, err := http.Get(baseURL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	assert.NoError(t, <-result)
}

func TestRunAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	s, _ := newServer(t, httpserver.Options{Addr: ln.Addr().String()})

	err = s.Run(context.Background())

	assert.ErrorContains(t, err, "httpserver: listen on "+ln.Addr().String())
	assert.Empty(t, s.Addr())
}
