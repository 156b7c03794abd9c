// Package httpserver is the HTTP server every Orderflow service runs: an echo router with the shared
// middleware (panic recovery, request id, tracing, access log, metrics, body limit, request timeout),
// one JSON error format, strict JSON binding, the /healthz, /readyz and /metrics endpoints and
// graceful shutdown.
//
//	srv := httpserver.New(httpserver.Options{Service: "order", Addr: ":8081", Logger: log})
//	srv.AddReadyCheck("db", pool.Ping)
//	srv.Echo.POST("/orders", h.create)
//	return srv.Run(ctx) // returns once ctx is cancelled and in-flight requests have finished
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/orderflow/orderflow/pkg/platform/telemetry"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultAddr            = ":8080"
	DefaultBodyLimit       = "64K"
	DefaultRequestTimeout  = 15 * time.Second
	DefaultReadyTimeout    = 2 * time.Second
	DefaultShutdownTimeout = 20 * time.Second
)

// Timeouts of the underlying http.Server that are not per request.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// Options configures a Server. Zero fields take the Default values.
type Options struct {
	// Service names the service in metrics and spans.
	Service string
	// Addr is the address to listen on, such as ":8081"; "127.0.0.1:0" picks a free port.
	Addr string
	// Logger receives the access log and server errors. It should come from logging.New so that
	// records carry request_id and trace_id. Defaults to slog.Default().
	Logger *slog.Logger
	// BodyLimit is the largest accepted request body, such as "64K" or "1M". New panics if it does
	// not parse.
	BodyLimit string
	// BodyLimitSkipper exempts requests from BodyLimit — pass the pub/sub Router's Skipper, so
	// event deliveries get the router's own limits and are never answered 413.
	BodyLimitSkipper middleware.Skipper
	// RequestTimeout is the deadline put on every request's context.
	RequestTimeout time.Duration
	// ReadyTimeout bounds each readiness check.
	ReadyTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits for in-flight requests once its context is cancelled.
	ShutdownTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.BodyLimit == "" {
		o.BodyLimit = DefaultBodyLimit
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	return o
}

// Server is an HTTP server with the platform's middleware and operational endpoints.
type Server struct {
	// Echo is the router. Register the service's routes on it before calling Run.
	Echo *echo.Echo

	opts    Options
	log     *slog.Logger
	started chan struct{}
	addr    string // set once, before started is closed

	mu     sync.RWMutex
	checks map[string]Check
}

// New returns a Server with the platform middleware and the /healthz, /readyz and /metrics routes.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	registerMetrics()
	s := &Server{
		Echo:    echo.New(),
		opts:    opts,
		log:     opts.Logger,
		started: make(chan struct{}),
		checks:  make(map[string]Check),
	}
	e := s.Echo
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	// Outermost first: the request id and the span are in the context before anything logs; observe
	// sees the final status of every request, panics and oversized bodies included.
	e.Use(
		requestID,
		telemetry.EchoMiddleware(opts.Service),
		s.observe,
		recoverPanics(),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: opts.BodyLimit, Skipper: opts.BodyLimitSkipper}),
		requestTimeout(opts.RequestTimeout),
	)
	s.addOperationalRoutes()
	return s
}

// Run listens on Options.Addr and serves until ctx is cancelled, then shuts down gracefully: it stops
// accepting connections and waits up to Options.ShutdownTimeout for in-flight requests. It returns
// nil after a clean shutdown and an error if the address cannot be bound, serving fails or in-flight
// requests outlast the timeout. Run must be called at most once.
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("httpserver: listen on %s: %w", s.opts.Addr, err)
	}
	s.addr = ln.Addr().String()
	close(s.started)

	srv := &http.Server{
		Handler:           s.Echo,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.log.InfoContext(ctx, "http server listening", "addr", s.addr)

	select {
	case err := <-served:
		return fmt.Errorf("httpserver: serve: %w", err)
	case <-ctx.Done():
	}
	return s.shutdown(srv, served)
}

// shutdown stops srv gracefully and waits for its Serve call to return.
func (s *Server) shutdown(srv *http.Server, served <-chan error) error {
	s.log.Info("http server shutting down", "timeout", s.opts.ShutdownTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("httpserver: shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpserver: serve: %w", err)
	}
	s.log.Info("http server stopped")
	return nil
}

// Started returns a channel that is closed once Run is listening; it stays open if Run cannot listen.
func (s *Server) Started() <-chan struct{} {
	return s.started
}

// Addr returns the address Run is listening on, with the actual port when Options.Addr asked for
// port 0, or "" before Run is listening.
func (s *Server) Addr() string {
	select {
	case <-s.started:
		return s.addr
	default:
		return ""
	}
}
