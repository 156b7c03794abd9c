// Package service is the analytics service's composition root: Run wires the database, the
// HTTP server, the bulk subscription routes and the dead-letter admin API; New builds the same
// server on a given pool with fakes at its other edges, for component tests.
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
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/adapters/postgres"
	"github.com/orderflow/orderflow/services/analytics/internal/app"
	analyticscfg "github.com/orderflow/orderflow/services/analytics/internal/config"
	eventsport "github.com/orderflow/orderflow/services/analytics/internal/ports/events"
	httpport "github.com/orderflow/orderflow/services/analytics/internal/ports/http"
	"github.com/orderflow/orderflow/services/analytics/migrations"
)

// Options configure New.
type Options struct {
	Addr     string // listen address, such as ":8084"; "127.0.0.1:0" picks a free port
	AppToken string // APP_API_TOKEN: required on every route but /healthz, /readyz and /metrics
	Pool     *pgxpool.Pool
	Log      *slog.Logger
	// SidecarReady is the readiness check of the Dapr sidecar (dapr.Client.Outbound); nil
	// registers none.
	SidecarReady    httpserver.Check
	ShutdownTimeout time.Duration
	// Now is the clock of the summary's default period; time.Now when nil.
	Now func() time.Time
}

// Service is the assembled analytics service.
type Service struct {
	Server   *httpserver.Server
	Router   *pubsub.Router
	App      *app.Service
	Handlers *eventsport.Handlers
}

// New assembles the service on o.Pool, whose database must be migrated (Migrate).
func New(o Options) *Service {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	router := pubsub.NewRouter(contract.AppID, o.AppToken, log)
	srv := httpserver.New(httpserver.Options{
		Service: contract.AppID,
		Addr:    o.Addr,
		Logger:  log,
		// Bulk deliveries keep the router's own limit (pubsub.MaxBulkBytes), never 413.
		BodyLimitSkipper: router.Skipper,
		ShutdownTimeout:  o.ShutdownTimeout,
	})
	srv.AddReadyCheck("db", o.Pool.Ping)
	if o.SidecarReady != nil {
		srv.AddReadyCheck("dapr", o.SidecarReady)
	}

	uc := app.New(postgres.NewStore(o.Pool), o.Now)
	dead := deadletter.NewStore(o.Pool, contract.AppID)
	handlers := eventsport.New(uc, log)
	handlers.Register(router, dead)
	router.Register(srv.Echo)
	// The API and the admin API are reached through Dapr service invocation only: the sidecar
	// sends the app token (the gateway checks API and admin keys before invoking). Replays run
	// the bulk handler's logic on one event: the router's Dispatch knows typed routes only.
	httpport.Register(srv.Echo, uc, router.RequireAppToken)
	deadletter.RegisterAdmin(srv.Echo.Group(contract.AdminPrefix, router.RequireAppToken), dead, handlers.Dispatch)
	return &Service{Server: srv, Router: router, App: uc, Handlers: handlers}
}

// Migrate applies the platform's and the service's migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return pgdb.Migrate(ctx, pool, migrations.FS, log)
}

// Run runs the service until ctx is cancelled: tracing, the database pool and its migrations,
// the Dapr client (readiness only: the service publishes nothing) and the HTTP server, stopped
// in reverse order.
func Run(ctx context.Context, cfg analyticscfg.Config, log *slog.Logger) error {
	rt, err := platform.Start(ctx, contract.AppID, cfg.Common, platform.Database{URL: cfg.DatabaseURL, Migrations: migrations.FS}, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	svc := New(Options{
		Addr:            cfg.Addr(),
		AppToken:        cfg.AppAPIToken,
		Pool:            rt.Pool,
		Log:             log,
		SidecarReady:    rt.Sidecar.Outbound,
		ShutdownTimeout: cfg.ShutdownTimeout,
	})
	return platform.Serve(ctx, svc.Server, log)
}
