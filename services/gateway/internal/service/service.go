// Package service is the gateway's composition root: it wires the Dapr upstream, Redis, the use
// cases and the HTTP server, for the real process (Run) and for component tests (New with fakes or
// test servers at the edges).
package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	platform "github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
	"github.com/orderflow/orderflow/services/gateway/contract"
	daprup "github.com/orderflow/orderflow/services/gateway/internal/adapters/dapr"
	redisad "github.com/orderflow/orderflow/services/gateway/internal/adapters/redis"
	"github.com/orderflow/orderflow/services/gateway/internal/app"
	gwconfig "github.com/orderflow/orderflow/services/gateway/internal/config"
	porthttp "github.com/orderflow/orderflow/services/gateway/internal/ports/http"
)

// BodyLimit is the largest request body the public API accepts.
const BodyLimit = "64K"

// Deps are the gateway's edges. Upstream is required; Store and Limiter may be nil (no Redis).
// ReadyCheck, when set, is the sidecar readiness check of /readyz.
type Deps struct {
	Upstream   app.Upstream
	Store      app.IdempotencyStore
	Limiter    app.RateLimiter
	ReadyCheck httpserver.Check
}

// New builds the gateway's HTTP server from cfg and deps without starting it.
func New(cfg gwconfig.Config, deps Deps, log *slog.Logger) (*httpserver.Server, error) {
	auth, err := cfg.Authenticator()
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	gw := app.New(deps.Upstream, deps.Store, deps.Limiter, app.Options{
		UpstreamTimeout:    cfg.UpstreamTimeout,
		RateLimitPerMinute: cfg.RateLimitPerMinute,
		IdempotencyTTL:     cfg.IdempotencyTTL,
		IdempotencyLockTTL: cfg.IdempotencyLockTTL,
		StoreTimeout:       cfg.RedisTimeout,
	}, log)
	srv := httpserver.New(httpserver.Options{
		Service:         contract.AppID,
		Addr:            cfg.Addr(),
		Logger:          log,
		BodyLimit:       BodyLimit,
		RequestTimeout:  requestTimeout(cfg.UpstreamTimeout),
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
	if deps.ReadyCheck != nil {
		srv.AddReadyCheck("dapr", deps.ReadyCheck)
	}
	porthttp.Register(srv.Echo, gw, auth)
	return srv, nil
}

// requestTimeout leaves each request room for its service call plus the gateway's own work
// (Redis, at most a few short operations).
func requestTimeout(upstream time.Duration) time.Duration {
	return max(httpserver.DefaultRequestTimeout, upstream+5*time.Second)
}

// Run serves the gateway until ctx is cancelled (main loads and logs cfg). It starts tracing, the
// sidecar client and the Redis client, and releases them in reverse order. Redis is not a
// readiness dependency: without it the gateway degrades (no rate limit, idempotency left to the
// order service) but keeps serving.
func Run(ctx context.Context, cfg gwconfig.Config, log *slog.Logger) error {
	shutdownTracing, err := telemetry.Setup(ctx, contract.AppID, cfg.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(sctx); err != nil {
			log.Warn("tracing shutdown", "error", err)
		}
	}()

	sidecar := dapr.New(dapr.Config{
		Host: cfg.DaprHost, HTTPPort: cfg.DaprHTTPPort, GRPCPort: cfg.DaprGRPCPort, APIToken: cfg.DaprAPIToken,
	}, log)
	defer sidecar.Close()
	rdb := redisad.NewClient(redisad.Options{
		Addr: cfg.RedisAddr, Password: cfg.RedisPassword, DB: cfg.RedisDB, Timeout: cfg.RedisTimeout,
	}, log)
	defer func() {
		if err := rdb.Close(); err != nil {
			log.Warn("redis close", "error", err)
		}
	}()

	srv, err := New(cfg, Deps{
		Upstream:   daprup.New(sidecar),
		Store:      redisad.NewIdempotencyStore(rdb, cfg.RedisTimeout),
		Limiter:    redisad.NewLimiter(rdb, cfg.RedisTimeout),
		ReadyCheck: sidecar.Outbound,
	}, log)
	if err != nil {
		return err
	}
	return platform.Serve(ctx, srv, log)
}
