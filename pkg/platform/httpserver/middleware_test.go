package httpserver_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name          string
		header        string
		wantEchoed    bool
		wantGenerated bool
	}{
		{name: "echoed", header: "req-123", wantEchoed: true},
		{name: "generated when absent", header: "", wantGenerated: true},
		{name: "replaced when too long", header: strings.Repeat("x", 129), wantGenerated: true},
		{name: "replaced when not printable", header: "bad id\twith spaces", wantGenerated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, httpserver.Options{})
			var inContext string
			s.Echo.GET("/id", func(c echo.Context) error {
				inContext = logging.RequestID(c.Request().Context())
				return c.NoContent(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodGet, "/id", nil)
			if tt.header != "" {
				req.Header.Set(echo.HeaderXRequestID, tt.header)
			}

			rec := serveRequest(s, req)

			got := rec.Header().Get(echo.HeaderXRequestID)
			assert.Equal(t, inContext, got, "the handler sees the id the client gets")
			if tt.wantEchoed {
				assert.Equal(t, tt.header, got)
			}
			if tt.wantGenerated {
				_, err := uuid.Parse(got)
				assert.NoError(t, err, "generated id %q", got)
			}
		})
	}
}

func TestAccessLog(t *testing.T) {
	shutdown, err := telemetry.Setup(context.Background(), "order", "")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, shutdown(context.Background())) })
	s, logs := newServer(t, httpserver.Options{Service: "order"})
	s.Echo.GET("/orders/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	req := httptest.NewRequest(http.MethodGet, "/orders/42?customerId=c-1", nil)
	req.Header.Set(echo.HeaderXRequestID, "req-log")
	req.Header.Set("Authorization", "Bearer top-secret-token")
	req.Header.Set("X-API-Key", "top-secret-key")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")

	serveRequest(s, req)

	rec := findRecord(t, logs.Records(t), "http request")
	assert.Equal(t, "INFO", rec["level"])
	assert.Equal(t, "order", rec["service"])
	assert.Equal(t, "GET", rec["method"])
	assert.Equal(t, "/orders/:id", rec["route"])
	assert.Equal(t, float64(http.StatusNoContent), rec["status"])
	assert.Contains(t, rec, "latency_ms")
	assert.Equal(t, "req-log", rec["request_id"])
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", rec["trace_id"])
	assert.NotContains(t, logs.String(), "top-secret", "headers are never logged")
}

func TestAccessLogProbesAtDebug(t *testing.T) {
	s, logs := newServer(t, httpserver.Options{})

	serve(s, http.MethodGet, "/healthz", "", nil)

	rec := findRecord(t, logs.Records(t), "http request")
	assert.Equal(t, "DEBUG", rec["level"])
	assert.Equal(t, "/healthz", rec["route"])
}

func TestMetrics(t *testing.T) {
	s, _ := newServer(t, httpserver.Options{Service: "metrics-test"})
	httpserver.New(httpserver.Options{Service: "metrics-test"}) // registering twice must not panic
	s.Echo.GET("/orders/:id", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })

	serve(s, http.MethodGet, "/orders/42", "", nil)
	serve(s, http.MethodGet, "/unknown/path", "", nil)
	serve(s, "BREW", "/orders/42", "", nil)
	rec := serve(s, http.MethodGet, "/metrics", "", nil)

	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, `http_requests_total{method="GET",route="/orders/:id",service="metrics-test",status="204"} 1`)
	assert.Contains(t, body, `http_requests_total{method="GET",route="unmatched",service="metrics-test",status="404"} 1`)
	assert.Contains(t, body, `http_requests_total{method="other",route="/orders/:id",service="metrics-test",status="405"} 1`)
	assert.Contains(t, body, `http_request_duration_seconds_count{method="GET",route="/orders/:id",service="metrics-test"} 1`)
	assert.NotContains(t, body, "/orders/42", "raw paths are never labels")
}

func TestRequestTimeout(t *testing.T) {
	s, _ := newServer(t, httpserver.Options{RequestTimeout: 50 * time.Millisecond})
	s.Echo.GET("/slow", func(c echo.Context) error {
		ctx := c.Request().Context()
		deadline, ok := ctx.Deadline()
		require.True(t, ok)
		require.WithinDuration(t, time.Now().Add(50*time.Millisecond), deadline, 50*time.Millisecond)
		<-ctx.Done()
		return ctx.Err()
	})

	rec := serve(s, http.MethodGet, "/slow", "", nil)

	assert.Equal(t, http.StatusGatewayTimeout, rec.Code)
	assert.Equal(t, "timeout", decodeError(t, rec).Code)
}

func TestBodyLimitSkipper(t *testing.T) {
	s, _ := newServer(t, httpserver.Options{
		BodyLimit:        "1K",
		BodyLimitSkipper: func(c echo.Context) bool { return c.Path() == "/events" },
	})
	ok := func(c echo.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, strconv.Itoa(len(b)))
	}
	s.Echo.POST("/events", ok)
	s.Echo.POST("/orders", ok)
	big := strings.Repeat("x", 4096)

	tests := []struct {
		path string
		want int
	}{
		{"/events", http.StatusOK},
		{"/orders", http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := serve(s, http.MethodPost, tt.path, "text/plain", strings.NewReader(big))
			assert.Equal(t, tt.want, rec.Code)
		})
	}
}
