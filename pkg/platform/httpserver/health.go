package httpserver

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Paths of the operational endpoints. They are logged at debug level only.
const (
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"
)

// Check reports whether a dependency is usable; a nil error means ready. It should honour ctx, but
// /readyz reports a check as failed once its timeout passes even if it does not.
type Check func(ctx context.Context) error

// AddReadyCheck registers a readiness check under name, replacing any check of that name.
func (s *Server) AddReadyCheck(name string, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = c
}

// statusResponse is the body of /healthz.
type statusResponse struct {
	Status string `json:"status"`
}

// readinessResponse is the body of /readyz: the overall status and each check's "ok" or error text.
type readinessResponse struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func (s *Server) addOperationalRoutes() {
	s.Echo.GET(HealthPath, healthz)
	s.Echo.GET(ReadyPath, s.readyz)
	s.Echo.GET(MetricsPath, echo.WrapHandler(promhttp.HandlerFor(prometheus.DefaultGatherer, promhttp.HandlerOpts{})))
}

// healthz reports that the process serves requests; it never checks dependencies.
func healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, statusResponse{Status: "ok"})
}

// readyz runs every readiness check concurrently and answers 503 if any of them fails.
func (s *Server) readyz(c echo.Context) error {
	checks, ready := s.runChecks(c.Request().Context())
	if !ready {
		return c.JSON(http.StatusServiceUnavailable, readinessResponse{Status: "unavailable", Checks: checks})
	}
	return c.JSON(http.StatusOK, readinessResponse{Status: "ready", Checks: checks})
}

// runChecks runs the registered checks concurrently and returns each one's outcome and whether all
// of them passed.
func (s *Server) runChecks(ctx context.Context) (map[string]string, bool) {
	s.mu.RLock()
	checks := maps.Clone(s.checks)
	s.mu.RUnlock()

	type outcome struct {
		name string
		err  error
	}
	outcomes := make(chan outcome, len(checks))
	for name, check := range checks {
		go func() { outcomes <- outcome{name, runCheck(ctx, check, s.opts.ReadyTimeout)} }()
	}
	results := make(map[string]string, len(checks))
	ready := true
	for range len(checks) {
		o := <-outcomes
		results[o.name] = "ok"
		if o.err != nil {
			results[o.name] = o.err.Error()
			ready = false
		}
	}
	return results, ready
}

// runCheck runs c with a deadline and gives up waiting for it when the deadline passes.
func runCheck(ctx context.Context, c Check, timeout time.Duration) error {
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("timed out after %s", timeout))
	defer cancel()
	done := make(chan error, 1) // buffered: a check that ignores ctx must not block forever
	go func() { done <- c(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
