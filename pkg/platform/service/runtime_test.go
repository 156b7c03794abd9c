package service_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pgdbtest"
	"github.com/orderflow/orderflow/pkg/platform/service"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestServeStopsWorkersAfterTheServer(t *testing.T) {
	srv := httpserver.New(httpserver.Options{Addr: "127.0.0.1:0", Logger: quiet})
	var serverDone atomic.Bool
	inFlight := make(chan struct{})
	srv.Echo.GET("/slow", func(c echo.Context) error {
		close(inFlight)
		time.Sleep(300 * time.Millisecond)
		serverDone.Store(true) // the last request is handled: the server may stop now
		return c.NoContent(http.StatusNoContent)
	})
	var workerSawServerDone atomic.Bool
	worker := service.Worker{Name: "relay", Run: func(ctx context.Context) error {
		<-ctx.Done()
		workerSawServerDone.Store(serverDone.Load())
		return ctx.Err()
	}}

	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- service.Serve(ctx, srv, quiet, worker) }()
	<-srv.Started()
	reqDone := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + srv.Addr() + "/slow")
		if err != nil {
			reqDone <- 0
			return
		}
		resp.Body.Close()
		reqDone <- resp.StatusCode
	}()
	<-inFlight
	cancel()

	require.NoError(t, <-result)
	assert.Equal(t, http.StatusNoContent, <-reqDone, "the in-flight request finished")
	assert.True(t, workerSawServerDone.Load(), "the worker was stopped after the server's last request")
}

func TestServeStopsTheServerWhenAWorkerFails(t *testing.T) {
	srv := httpserver.New(httpserver.Options{Addr: "127.0.0.1:0", Logger: quiet})
	boom := errors.New("database gone")
	worker := service.Worker{Name: "relay", Run: func(context.Context) error { return boom }}

	done := make(chan error, 1)
	go func() { done <- service.Serve(context.Background(), srv, quiet, worker) }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, boom)
		assert.ErrorContains(t, err, "relay")
	case <-time.After(10 * time.Second):
		t.Fatal("Serve kept running after its worker failed")
	}
}

func TestStartMigratesAndClose(t *testing.T) {
	ctx := context.Background()
	migrations := fstest.MapFS{"00001_things.sql": {Data: []byte("-- +goose Up\nCREATE TABLE things (id int);\n-- +goose Down\nDROP TABLE things;\n")}}
	rt, err := service.Start(ctx, "test", config.Common{DaprHost: "127.0.0.1", DaprHTTPPort: 1, DaprGRPCPort: 1},
		service.Database{URL: pgdbtest.NewDatabase(t), Migrations: migrations}, quiet)
	require.NoError(t, err)

	for _, table := range []string{"things", "outbox", "processed_events", "dead_letters"} {
		var exists bool
		require.NoError(t, rt.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists))
		assert.True(t, exists, table)
	}
	assert.NotNil(t, rt.Sidecar)
	rt.Close()
	assert.Error(t, rt.Pool.Ping(ctx), "the pool is closed")
}

func TestStartFailsOnBadDatabaseURL(t *testing.T) {
	_, err := service.Start(context.Background(), "test", config.Common{}, service.Database{URL: "::not a url"}, quiet)
	assert.Error(t, err)
}
