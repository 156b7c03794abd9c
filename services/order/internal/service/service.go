// Package service is the order service's composition root: Run wires the database, the HTTP
// server, the subscription router, the dead-letter admin API, the outbox relay and the
// idempotency-key pruner; New builds the same server over a given pool with the Dapr sidecar
// left out, for component tests.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
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
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	addr := d.Addr
	if addr == "" {
		addr = fmt.Sprintf(":%d", contract.DefaultPort)
	}
	opts := d.App
	if opts.Log == nil {
		opts.Log = log
	}
	svc := app.New(postgres.New(d.Pool), opts)

	router := pubsub.NewRouter(contract.AppID, d.AppToken, log)
	deadLetters := deadletter.NewStore(d.Pool, contract.AppID)
	eventsport.Register(router, svc, deadLetters, log)

	srv := httpserver.New(httpserver.Options{
		Service:          contract.AppID,
		Addr:             addr,
		Logger:           log,
		ShutdownTimeout:  d.ShutdownTimeout,
		BodyLimitSkipper: router.Skipper, // event routes enforce their own limits, answering DROP
	})
	srv.AddReadyCheck("database", d.Pool.Ping)
	if d.Sidecar != nil {
		srv.AddReadyCheck("dapr", d.Sidecar)
	}

	// Every route but /healthz, /readyz and /metrics requires the app token: the sidecar adds it
	// to every delivery and service invocation, so the API and the dead-letter admin are reached
	// through Dapr (the gateway checks API and admin keys), never around it.
	router.Register(srv.Echo)
	httpport.Register(srv.Echo, svc, router.RequireAppToken)
	deadletter.RegisterAdmin(srv.Echo.Group(contract.AdminPrefix, router.RequireAppToken), deadLetters, router.Dispatch)

	return &Service{Server: srv, Router: router, App: svc}
}

// Handler is the service's HTTP handler, for tests that do not listen on a port.
func (s *Service) Handler() http.Handler {
	return s.Server.Echo
}

// Run runs the order service until ctx is cancelled. Start: telemetry, database pool and
// migrations, outbox relay and key pruner, HTTP server. Stop, in reverse: the HTTP server
// (in-flight requests and events finish), the relay and pruner, the Dapr client, the pool.
func Run(ctx context.Context, cfg orderconfig.Config, log *slog.Logger) error {
	log.Info("config loaded", "config", config.LogValue(cfg))

	shutdownTelemetry, err := telemetry.Setup(ctx, contract.AppID, cfg.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := shutdownTelemetry(flushCtx); err != nil {
			log.Warn("telemetry shutdown", "error", err)
		}
	}()

	pool, err := pgdb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pgdb.Migrate(ctx, pool, migrations.FS, log); err != nil {
		return err
	}

	sidecar := dapr.New(dapr.Config{
		Host: cfg.DaprHost, HTTPPort: cfg.DaprHTTPPort, GRPCPort: cfg.DaprGRPCPort, APIToken: cfg.DaprAPIToken,
	}, log)
	defer sidecar.Close()

	svc := New(Deps{
		Pool:            pool,
		Log:             log,
		Addr:            cfg.Addr(),
		AppToken:        cfg.AppAPIToken,
		Sidecar:         sidecar.Outbound,
		ShutdownTimeout: cfg.ShutdownTimeout,
	})

	// The background workers outlive ctx until the HTTP server has stopped, so that the events
	// of the last requests are still published promptly.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	srvCtx, stopServer := context.WithCancel(ctx)
	defer stopServer()

	relay := outbox.NewRelay(pool, sidecar, outbox.RelayOptions{Source: contract.AppID, Logger: log})
	relayDone := make(chan error, 1)
	go func() {
		err := relay.Run(workCtx)
		if err != nil && workCtx.Err() == nil {
			log.Error("outbox relay stopped", "error", err)
			stopServer()
		}
		relayDone <- err
	}()
	prunerDone := make(chan struct{})
	go func() {
		defer close(prunerDone)
		pruneIdempotencyKeys(workCtx, svc.App, cfg.IdempotencyTTL, log)
	}()

	serveErr := svc.Server.Run(srvCtx)
	stopWork()
	relayErr := <-relayDone
	<-prunerDone
	if errors.Is(relayErr, context.Canceled) {
		relayErr = nil
	}
	if relayErr != nil {
		relayErr = fmt.Errorf("outbox relay: %w", relayErr)
	}
	return errors.Join(serveErr, relayErr)
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
