// Package service is the payment service's composition root: it wires the database, the
// payment provider, the HTTP API, the subscription routes, the dead-letter admin and the
// outbox relay, and runs them.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	platform "github.com/orderflow/orderflow/pkg/platform/service"
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

// Run runs the payment service until ctx is cancelled: tracing, the migrated database, the
// HTTP server with its event routes and the outbox relay, stopped in reverse order (the relay
// outlives the HTTP server, so events handled by the last requests still leave).
func Run(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	rt, err := platform.Start(ctx, contract.AppID, cfg.Common, platform.Database{URL: cfg.DatabaseURL, Migrations: migrations.FS}, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	svc := New(cfg, Deps{Pool: rt.Pool, Provider: simprovider.New(cfg.DeclineAbove), Logger: log})
	svc.Server.AddReadyCheck("dapr", rt.Sidecar.Outbound)
	return platform.Serve(ctx, svc.Server, log, rt.Relay(contract.AppID))
}
