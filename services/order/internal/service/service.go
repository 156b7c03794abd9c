// Package service is the order service's composition root: Run wires the database, the HTTP
// server, the subscription router, the dead-letter admin API, the outbox relay and the
// idempotency-key pruner; New builds the same server over a given pool with the Dapr sidecar
// left out, for component tests.
package service

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	platform "github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/order/contract"
	"github.com/orderflow/orderflow/services/order/internal/adapters/postgres"
	"github.com/orderflow/orderflow/services/order/internal/app"
	orderconfig "github.com/orderflow/orderflow/services/order/internal/config"
	eventsport "github.com/orderflow/orderflow/services/order/internal/ports/events"
	httpport "github.com/orderflow/orderflow/services/order/internal/ports/http"
	"github.com/orderflow/orderflow/services/order/migrations"
)

// pruneInterval is how often expired idempotency keys are deleted.
const pruneInterval = 10 * time.Minute

// Deps are what New builds the service from.
type Deps struct {
	Pool *pgxpool.Pool
	Log  *slog.Logger
	// Addr is the listen address of Server.Run; default contract.DefaultPort on all interfaces.
	Addr string
	// AppToken is APP_API_TOKEN: the sidecar sends it in dapr-api-token, and every route but
	// /healthz, /readyz and /metrics requires it.
	AppToken string
	// Sidecar is the readiness check of the Dapr sidecar (dapr.Client.Outbound); nil: none.
	Sidecar httpserver.Check
	// ShutdownTimeout bounds the wait for in-flight requests; default httpserver's.
	ShutdownTimeout time.Duration
	// App tunes the use cases (clock, ids); the zero value is production's.
	App app.Options
}

// Service is the assembled order service.
type Service struct {
	Server *httpserver.Server
	Router *pubsub.Router
	App    *app.Service
}

// New assembles the service over d.Pool, whose database must be migrated.
func New(d Deps) *Service {
	addr := d.Addr
	if addr == "" {
		addr = config.ListenAddr(contract.DefaultPort)
	}
	c := platform.NewConsumer(platform.ConsumerOptions{
		AppID:           contract.AppID,
		Addr:            addr,
		AppToken:        d.AppToken,
		Pool:            d.Pool,
		Sidecar:         d.Sidecar,
		AdminPrefix:     contract.AdminPrefix,
		Log:             d.Log,
		ShutdownTimeout: d.ShutdownTimeout,
	})
	opts := d.App
	if opts.Log == nil {
		opts.Log = c.Log
	}
	svc := app.New(postgres.New(d.Pool), opts)
	eventsport.Register(c.Router, svc, c.DeadLetters, c.Log)
	httpport.Register(c.Server.Echo, svc, c.Router.RequireAppToken)
	c.Mount(nil)
	return &Service{Server: c.Server, Router: c.Router, App: svc}
}

// Handler is the service's HTTP handler, for tests that do not listen on a port.
func (s *Service) Handler() http.Handler {
	return s.Server.Echo
}

// Run runs the order service until ctx is cancelled. Start: tracing, database pool and
// migrations, HTTP server, outbox relay and key pruner. Stop, in reverse: the HTTP server
// (in-flight requests and events finish), the relay and pruner, the Dapr client, the pool.
func Run(ctx context.Context, cfg orderconfig.Config, log *slog.Logger) error {
	rt, err := platform.Start(ctx, contract.AppID, cfg.Common, platform.Database{URL: cfg.DatabaseURL, Migrations: migrations.FS}, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	svc := New(Deps{
		Pool:            rt.Pool,
		Log:             log,
		Addr:            cfg.Addr(),
		AppToken:        cfg.AppAPIToken,
		Sidecar:         rt.Sidecar.Outbound,
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
	pruner := platform.Worker{Name: "idempotency key pruner", Run: func(ctx context.Context) error {
		pruneIdempotencyKeys(ctx, svc.App, cfg.IdempotencyTTL, log)
		return nil
	}}
	return platform.Serve(ctx, svc.Server, log, rt.Relay(contract.AppID), pruner)
}

// pruneIdempotencyKeys deletes expired idempotency keys every pruneInterval until ctx ends.
func pruneIdempotencyKeys(ctx context.Context, svc *app.Service, ttl time.Duration, log *slog.Logger) {
	ticker := time.NewTicker(pruneInterval)
	defer ticker.Stop()
	for {
		n, err := svc.PruneIdempotencyKeys(ctx, ttl)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("pruning idempotency keys failed", "error", err)
		case n > 0:
			log.Info("idempotency keys pruned", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
