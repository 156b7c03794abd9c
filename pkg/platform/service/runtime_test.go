package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pgdbtest"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
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

func TestConsumer(t *testing.T) {
	ctx := context.Background()
	pool := pooltest.New(t, nil)

	const token = "app-token"
	var sidecarErr error
	var replayed []string
	c := service.NewConsumer(service.ConsumerOptions{
		AppID: "test", AppToken: token, Pool: pool, AdminPrefix: "/admin", Log: quiet,
		Sidecar: func(context.Context) error { return sidecarErr },
	})
	var handled []string
	c.Router.Handle("/events/created", events.TypeOrderCreated, func(_ context.Context, ev events.CloudEvent) error {
		handled = append(handled, ev.ID)
		return nil
	})
	c.Router.DeadLetter("/deadletters/orders", "orders.test.dlq", c.DeadLetters)
	c.Server.Echo.GET("/things", func(e echo.Context) error { return e.NoContent(http.StatusNoContent) }, c.Router.RequireAppToken)
	c.Mount(func(_ context.Context, ev events.CloudEvent) error {
		replayed = append(replayed, ev.ID)
		return nil
	})

	do := func(method, target, tok, body string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if tok != "" {
			req.Header.Set(pubsub.HeaderAPIToken, tok)
		}
		req.Header.Set(echo.HeaderContentType, events.ContentTypeCloudEvents)
		rec := httptest.NewRecorder()
		c.Server.Echo.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	event := func(id string, pad int) string {
		ev := events.CloudEvent{SpecVersion: "1.0", ID: id, Source: "order", Type: events.TypeOrderCreated,
			DataContentType: "application/json", Data: json.RawMessage(`{"pad":"` + strings.Repeat("x", pad) + `"}`)}
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		return string(b)
	}

	t.Run("readiness checks the database and the sidecar", func(t *testing.T) {
		code, body := do(http.MethodGet, "/readyz", "", "")
		assert.Equal(t, http.StatusOK, code)
		assert.JSONEq(t, `{"status":"ready","checks":{"database":"ok","dapr":"ok"}}`, body)
		sidecarErr = errors.New("sidecar down")
		defer func() { sidecarErr = nil }()
		code, body = do(http.MethodGet, "/readyz", "", "")
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.JSONEq(t, `{"status":"unavailable","checks":{"database":"ok","dapr":"sidecar down"}}`, body)
	})
	t.Run("event routes are mounted, behind the app token, with the router's body limits", func(t *testing.T) {
		code, body := do(http.MethodPost, "/events/created", token, event("ev-big", 100<<10))
		require.Equal(t, http.StatusOK, code, "never 413")
		assert.JSONEq(t, `{"status":"SUCCESS"}`, body)
		assert.Equal(t, []string{"ev-big"}, handled)
		code, _ = do(http.MethodPost, "/events/created", "", event("ev-2", 0))
		assert.NotEqual(t, http.StatusOK, code, "no app token")
		assert.Equal(t, []string{"ev-big"}, handled)
	})
	t.Run("the service's API keeps the server's body limit", func(t *testing.T) {
		code, _ := do(http.MethodGet, "/things", token, "")
		assert.Equal(t, http.StatusNoContent, code)
		code, _ = do(http.MethodGet, "/things", "", "")
		assert.Equal(t, http.StatusUnauthorized, code)
		code, _ = do(http.MethodGet, "/things", token, strings.Repeat("x", 100<<10))
		assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	})
	t.Run("dead letters are stored and replayed through the admin API", func(t *testing.T) {
		code, body := do(http.MethodPost, "/deadletters/orders", token, event("ev-dead", 0))
		require.Equal(t, http.StatusOK, code, body)
		code, _ = do(http.MethodGet, "/admin/deadletters", "", "")
		assert.Equal(t, http.StatusUnauthorized, code, "the admin API takes the app token")
		letters, err := c.DeadLetters.List(ctx, deadletter.ListFilter{})
		require.NoError(t, err)
		require.Len(t, letters, 1)
		code, body = do(http.MethodPost, "/admin/deadletters/"+letters[0].ID+"/replay", token, "")
		require.Equal(t, http.StatusOK, code, body)
		assert.Equal(t, []string{"ev-dead"}, replayed, "replayed through the given dispatch")
	})
}
