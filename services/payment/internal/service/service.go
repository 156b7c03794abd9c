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
	// Sidecar is the readiness check of the Dapr sidecar (dapr.Client.Outbound); nil: none.
	Sidecar httpserver.Check
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
	c := platform.NewConsumer(platform.ConsumerOptions{
		AppID:           contract.AppID,
		Addr:            cfg.Addr(),
		AppToken:        cfg.AppAPIToken,
		Pool:            deps.Pool,
		Sidecar:         deps.Sidecar,
		AdminPrefix:     contract.AdminPrefix,
		Log:             deps.Logger,
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
	store := postgres.NewStore(deps.Pool, contract.AppID)
	uc := app.New(store, store, deps.Provider, app.Options{Now: deps.Now, Logger: c.Log})
	eventsport.New(uc, c.Log).Register(c.Router, c.DeadLetters)
	httpport.Register(c.Server.Echo, uc, c.Router.RequireAppToken)
	c.Mount(nil)
	return &Service{Server: c.Server, Router: c.Router, App: uc, DeadLetters: c.DeadLetters}
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
	svc := New(cfg, Deps{Pool: rt.Pool, Provider: simprovider.New(cfg.DeclineAbove), Logger: log, Sidecar: rt.Sidecar.Outbound})
	return platform.Serve(ctx, svc.Server, log, rt.Relay(contract.AppID))
}
