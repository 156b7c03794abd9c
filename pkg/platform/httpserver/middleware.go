package httpserver

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/orderflow/orderflow/pkg/platform/logging"
)

// maxRequestIDLength bounds an incoming X-Request-Id; longer or non-printable ids are replaced.
const maxRequestIDLength = 128

// unmatchedRoute labels requests that matched no route, keeping metric cardinality bounded.
const unmatchedRoute = "unmatched"

// requestID takes the request id from the X-Request-Id header, or generates one, echoes it in the
// response and stores it in the request context for logging and propagation.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := req.Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		c.SetRequest(req.WithContext(logging.WithRequestID(req.Context(), id)))
		return next(c)
	}
}

// validRequestID accepts non-empty ids of printable ASCII without spaces, so a client cannot inject
// arbitrary text into logs and headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for i := range len(id) {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// observe hands errors from the rest of the chain to the error handler, so the final status is
// known, then records the request in the metrics and the access log. Headers are never logged.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		req, route, status := c.Request(), routeOf(c), c.Response().Status
		observeRequest(s.opts.Service, req.Method, route, status, elapsed)
		s.log.LogAttrs(req.Context(), accessLogLevel(route), "http request",
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
		)
		return nil
	}
}

// routeOf returns the route template that matched the request, such as "/orders/:id".
func routeOf(c echo.Context) string {
	if route := c.Path(); route != "" {
		return route
	}
	return unmatchedRoute
}

// accessLogLevel keeps probe and scrape requests out of the info-level log.
func accessLogLevel(route string) slog.Level {
	switch route {
	case HealthPath, ReadyPath, MetricsPath:
		return slog.LevelDebug
	default:
		return slog.LevelInfo
	}
}

// recoverPanics turns a panic into an error carrying its stack, which observe hands to the error
// handler: the client gets a 500 and the log gets one record with the stack.
func recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll:     true,
		DisableErrorHandler: true,
		LogErrorFunc: func(_ echo.Context, err error, stack []byte) error {
			return fmt.Errorf("panic: %w\n%s", err, stack)
		},
	})
}

// requestTimeout puts a deadline on each request's context. Handlers that pass the context on fail
// with context.DeadlineExceeded, which the error handler answers with 504.
func requestTimeout(timeout time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}
