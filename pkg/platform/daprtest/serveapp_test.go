package daprtest_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/daprtest"
)

// app is a minimal daprtest.App on 127.0.0.1:0.
type app struct {
	started chan struct{}
	addr    string
	stopped bool
}

func (a *app) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	a.addr = ln.Addr().String()
	close(a.started)
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go func() { _ = srv.Serve(ln) }()
	<-ctx.Done()
	a.stopped = true
	return srv.Close()
}

func (a *app) Started() <-chan struct{} { return a.started }
func (a *app) Addr() string             { return a.addr }

func TestServeApp(t *testing.T) {
	a := &app{started: make(chan struct{})}
	t.Run("serves until the test ends", func(t *testing.T) {
		port := daprtest.ServeApp(t, a)
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.False(t, a.stopped)
	})
	assert.True(t, a.stopped, "stopped at the end of the test that served it")
}
