// Package service runs a service binary: the healthcheck mode, the logger, the signal context and
// the exit code, so that each service's main.go stays a few lines long:
//
//	func main() {
//		service.Main("order", app.Run)
//	}
//
// It also holds what the services' composition roots share: Start (tracing, the migrated
// database, the sidecar client), Serve (the HTTP server and its workers) and, for the services
// that consume events, NewConsumer (router, server, readiness checks, dead-letter admin).
package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/orderflow/orderflow/pkg/platform/healthcheck"
	"github.com/orderflow/orderflow/pkg/platform/logging"
)

// RunFunc runs a service until ctx is cancelled and returns nil after a clean shutdown.
type RunFunc func(ctx context.Context, log *slog.Logger) error

// Main runs the service binary and exits. Given "-healthcheck URL" it only probes that URL and exits
// with the result. Otherwise it logs JSON to standard output at the level in LOG_LEVEL (default info),
// makes that logger the slog default, and calls run with a context cancelled on SIGINT or SIGTERM.
// It exits 1 if run returns an error, 0 otherwise.
func Main(service string, run RunFunc) {
	if code, ok := healthcheck.FromArgs(os.Args[1:]); ok {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := execute(ctx, service, os.Getenv("LOG_LEVEL"), os.Stdout, run)
	stop()
	os.Exit(code)
}

// execute builds the logger, calls run and returns the process exit code.
func execute(ctx context.Context, service, level string, w io.Writer, run RunFunc) int {
	lvl, levelErr := parseLevel(level)
	log := logging.New(service, lvl, w)
	slog.SetDefault(log)
	if levelErr != nil {
		log.Warn("ignoring LOG_LEVEL", "error", levelErr)
	}
	if err := run(ctx, log); err != nil {
		log.Error("service failed", "error", err)
		return 1
	}
	return 0
}

// parseLevel parses a level such as "debug" or "WARN"; an empty or invalid one yields info.
func parseLevel(s string) (slog.Level, error) {
	if s == "" {
		return slog.LevelInfo, nil
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo, fmt.Errorf("invalid log level %q: %w", s, err)
	}
	return lvl, nil
}
