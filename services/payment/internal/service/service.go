// Package service is the payment service's composition root: it wires the database, the
// payment provider, the HTTP API, the subscription routes, the dead-letter admin and the
// outbox relay, and runs them.
package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	platformconfig "github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/internal/adapters/postgres"
	"github.com/orderflow/orderflow/services/payment/internal/adapters/simprovider"
	"github.com/orderflow/orderflow/services/payment/internal/app"
	"github.com/orderflow/orderflow/services/payment/internal/config"
	eventsport "github.com/orderflow/orderflow/services/payment/internal/ports/events"
	httpport "github.com/orderflow/orderflow/services/payment/internal/ports/http"
	"github.com/orderflow/orderflow/services/payment/migrations"
)

// Deps are the service's edges. Tests pass fakes for the provider.
type Deps struct {
	Pool     *pgxpool.Pool // migrated payments database
	Provider app.Provider
	Logger   *slog.Logger
	Now      func() time.Time // optional clock
}

// Service is the wired payment service.
type Service struct {
	Server      *httpserver.Server
	Router      *pubsub.Router
	App         *app.Service
	DeadLetters *deadletter.Store
}

// New wires the service over deps: the HTTP server (API, subscription routes, dead-letter
// admin under /admin, database readiness check). It starts nothing. cfg.AppAPIToken is
// required on every route but the operational ones.
func New(cfg config.Config, deps Deps) *Service {
	log := deps.Logger
	if log == nil {
		log = slog.Default()
	}
	store := postgres.NewStore(deps.Pool, contract.AppID)
	uc := app.New(store, store, deps.Provider, app.Options{Now: deps.Now, Logger: log})
	router := pubsub.NewRouter(contract.AppID, cfg.AppAPIToken, log)
	dead := deadletter.NewStore(deps.Pool, contract.AppID)
	eventsport.New(uc, log).Register(router, dead)

	srv := httpserver.New(httpserver.Options{
		Service:          contract.AppID,
		Addr:             cfg.Addr(),
		Logger:           log,
		BodyLimitSkipper: router.Skipper,
		ShutdownTimeout:  cfg.ShutdownTimeout,
	})
	srv.AddReadyCheck("database", pgdb.Ping(deps.Pool))
	router.Register(srv.Echo)
	// Every route but /healthz, /readyz and /metrics requires the app token: the sidecar adds
	// it to every delivery and service invocation, so the API and the dead-letter admin are
	// reached through Dapr (the gateway checks API and admin keys) and not around it.
	httpport.Register(srv.Echo, uc, router.RequireAppToken)
	deadletter.RegisterAdmin(srv.Echo.Group(contract.AdminPrefix, router.RequireAppToken), dead, router.Dispatch)
	return &Service{Server: srv, Router: router, App: uc, DeadLetters: dead}
}

// Run runs the payment service until ctx is cancelled: it opens and migrates the database,
// starts the outbox relay and then the HTTP server. On shutdown it stops them in reverse
// order: HTTP (in-flight requests and events finish), relay, Dapr client, pool.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	log.Info("config loaded", "config", platformconfig.LogValue(cfg))

	shutdownTracing, err := telemetry.Setup(ctx, contract.AppID, cfg.OTLPEndpoint)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(flushCtx); err != nil {
			log.Warn("flushing traces failed", "error", err)
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

	sidecar := dapr.New(dapr.Config{Host: cfg.DaprHost, HTTPPort: cfg.DaprHTTPPort, GRPCPort: cfg.DaprGRPCPort, APIToken: cfg.DaprAPIToken}, log)
	defer sidecar.Close()
	svc := New(cfg, Deps{Pool: pool, Provider: simprovider.New(cfg.DeclineAbove), Logger: log})
	svc.Server.AddReadyCheck("dapr", sidecar.Outbound)

	// The relay outlives the HTTP server: events handled by the last requests still leave.
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRelay()
	relay := outbox.NewRelay(pool, sidecar, outbox.RelayOptions{Source: contract.AppID, Logger: log})
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Run(relayCtx) }()

	serveErr := svc.Server.Run(ctx)
	stopRelay()
	relayErr := <-relayDone
	if serveErr != nil || relayErr != nil {
		return errors.Join(serveErr, relayErr)
	}
	log.Info("payment service stopped")
	return nil
}
