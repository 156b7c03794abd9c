package httpserver_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
)

const secret = "s3cr3t-connection-detail"

func TestErrorHandler(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		err         error
		wantStatus  int
		wantCode    string
		wantMessage string
		wantDetails any
		wantLogged  bool
	}{
		{
			name:        "platform error",
			err:         httpserver.NewError(http.StatusNotFound, "order_not_found", "order not found"),
			wantStatus:  http.StatusNotFound,
			wantCode:    "order_not_found",
			wantMessage: "order not found",
		},
		{
			name:        "wrapped platform error",
			err:         fmt.Errorf("get order: %w", httpserver.NewError(http.StatusConflict, "invalid_transition", "order is paid")),
			wantStatus:  http.StatusConflict,
			wantCode:    "invalid_transition",
			wantMessage: "order is paid",
		},
		{
			name:        "validation error",
			err:         httpserver.ValidationError(map[string]string{"amount": "must be positive"}),
			wantStatus:  http.StatusBadRequest,
			wantCode:    "validation_failed",
			wantMessage: "request validation failed",
			wantDetails: map[string]any{"amount": "must be positive"},
		},
		{
			name:        "platform server error keeps its message",
			err:         httpserver.NewError(http.StatusServiceUnavailable, "dependency_unavailable", "payments are unavailable"),
			wantStatus:  http.StatusServiceUnavailable,
			wantCode:    "dependency_unavailable",
			wantMessage: "payments are unavailable",
			wantLogged:  true,
		},
		{
			name:        "echo not found",
			err:         echo.ErrNotFound,
			wantStatus:  http.StatusNotFound,
			wantCode:    "not_found",
			wantMessage: "Not Found",
		},
		{
			name:        "echo error with message",
			err:         echo.NewHTTPError(http.StatusBadRequest, "missing customerId"),
			wantStatus:  http.StatusBadRequest,
			wantCode:    "bad_request",
			wantMessage: "missing customerId",
		},
		{name: "echo unauthorized", err: echo.ErrUnauthorized, wantStatus: http.StatusUnauthorized, wantCode: "unauthorized", wantMessage: "Unauthorized"},
		{name: "echo too many requests", err: echo.ErrTooManyRequests, wantStatus: http.StatusTooManyRequests, wantCode: "too_many_requests", wantMessage: "Too Many Requests"},
		{name: "echo payload too large", err: echo.ErrStatusRequestEntityTooLarge, wantStatus: http.StatusRequestEntityTooLarge, wantCode: "payload_too_large", wantMessage: "Request Entity Too Large"},
		{name: "echo unsupported media type", err: echo.ErrUnsupportedMediaType, wantStatus: http.StatusUnsupportedMediaType, wantCode: "unsupported_media_type", wantMessage: "Unsupported Media Type"},
		{
			name:        "echo error hides internal and non-string message",
			err:         echo.NewHTTPError(http.StatusServiceUnavailable, errors.New(secret)).WithInternal(errors.New(secret)),
			wantStatus:  http.StatusServiceUnavailable,
			wantCode:    "service_unavailable",
			wantMessage: "Service Unavailable",
			wantLogged:  true,
		},
		{
			name:        "deadline exceeded",
			err:         fmt.Errorf("query orders: %w", context.DeadlineExceeded),
			wantStatus:  http.StatusGatewayTimeout,
			wantCode:    "timeout",
			wantMessage: "request timed out",
			wantLogged:  true,
		},
		{
			name:        "internal error never leaks",
			err:         fmt.Errorf("connect to postgres://orders:%s@db: refused", secret),
			wantStatus:  http.StatusInternalServerError,
			wantCode:    "internal",
			wantMessage: "internal error",
			wantLogged:  true,
		},
		{
			name:        "unknown route",
			path:        "/nowhere",
			wantStatus:  http.StatusNotFound,
			wantCode:    "not_found",
			wantMessage: "Not Found",
		},
		{
			name:        "method not allowed",
			method:      http.MethodDelete,
			wantStatus:  http.StatusMethodNotAllowed,
			wantCode:    "method_not_allowed",
			wantMessage: "Method Not Allowed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newServer(t, httpserver.Options{})
			s.Echo.GET("/fail", func(echo.Context) error { return tt.err })
			method, path := tt.method, tt.path
			if method == "" {
				method = http.MethodGet
			}
			if path == "" {
				path = "/fail"
			}

			rec := serve(s, method, path, "", nil)

			require.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, echo.MIMEApplicationJSON, rec.Header().Get("Content-Type"))
			got := decodeError(t, rec)
			assert.Equal(t, tt.wantCode, got.Code)
			assert.Equal(t, tt.wantMessage, got.Message)
			assert.Equal(t, tt.wantDetails, got.Details)
			assert.NotContains(t, rec.Body.String(), secret)
			assert.Equal(t, tt.wantLogged, hasRecord(logs.Records(t), "request failed"))
		})
	}
}

func TestErrorHandlerLogsInternalCause(t *testing.T) {
	s, logs := newServer(t, httpserver.Options{})
	s.Echo.GET("/fail", func(echo.Context) error { return errors.New(secret) })
	req := httptest.NewRequest(http.MethodGet, "/fail", nil)
	req.Header.Set(echo.HeaderXRequestID, "req-500")

	rec := serveRequest(s, req)

	require.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), secret)
	rec500 := findRecord(t, logs.Records(t), "request failed")
	assert.Equal(t, secret, rec500["error"])
	assert.Equal(t, "req-500", rec500["request_id"])
	assert.Equal(t, "/fail", rec500["route"])
}

func TestErrorHandlerPanic(t *testing.T) {
	s, logs := newServer(t, httpserver.Options{})
	s.Echo.GET("/panic", func(echo.Context) error { panic(secret) })

	rec := serve(s, http.MethodGet, "/panic", "", nil)

	require.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "internal", decodeError(t, rec).Code)
	assert.NotContains(t, rec.Body.String(), secret)
	logged := findRecord(t, logs.Records(t), "request failed")
	assert.Contains(t, logged["error"], "panic: "+secret)
	assert.Contains(t, logged["error"], "goroutine", "the stack is logged")
}

func TestErrorHandlerHead(t *testing.T) {
	s, _ := newServer(t, httpserver.Options{})
	s.Echo.HEAD("/fail", func(echo.Context) error { return echo.ErrForbidden })

	rec := serve(s, http.MethodHead, "/fail", "", nil)

	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Empty(t, rec.Body.String())
}

func TestErrorHandlerAfterCommit(t *testing.T) {
	s, logs := newServer(t, httpserver.Options{})
	s.Echo.GET("/partial", func(c echo.Context) error {
		if err := c.String(http.StatusOK, "partial"); err != nil {
			return err
		}
		return errors.New("stream broke")
	})

	rec := serve(s, http.MethodGet, "/partial", "", nil)

	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "partial", rec.Body.String(), "the response is written once")
	assert.Equal(t, "stream broke", findRecord(t, logs.Records(t), "request failed")["error"])
}

func TestErrorWithDetailsCopies(t *testing.T) {
	base := httpserver.NewError(http.StatusBadRequest, "bad", "bad request")

	detailed := base.WithDetails("x")

	assert.Nil(t, base.Details)
	assert.Equal(t, "x", detailed.Details)
	assert.Equal(t, "400 bad: bad request", base.Error())
}

func hasRecord(recs []map[string]any, msg string) bool {
	for _, r := range recs {
		if r["msg"] == msg {
			return true
		}
	}
	return false
}

func findRecord(t *testing.T, recs []map[string]any, msg string) map[string]any {
	t.Helper()
	for _, r := range recs {
		if r["msg"] == msg {
			return r
		}
	}
	require.Failf(t, "log record not found", "no record %q in %v", msg, recs)
	return nil
}
