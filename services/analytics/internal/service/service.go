// Package service is the analytics service's composition root: Run wires the database, the
// HTTP server, the bulk subscription routes and the dead-letter admin API; New builds the same
// server on a given pool with fakes at its other edges, for component tests.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
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

// New assembles the service on o.Pool, whose database must be migrated (pgdb.Migrate with
// migrations.FS, as Run does).
func New(o Options) *Service {
	c := platform.NewConsumer(platform.ConsumerOptions{
		AppID:           contract.AppID,
		Addr:            o.Addr,
		AppToken:        o.AppToken,
		Pool:            o.Pool,
		Sidecar:         o.SidecarReady,
		AdminPrefix:     contract.AdminPrefix,
		Log:             o.Log,
		ShutdownTimeout: o.ShutdownTimeout,
	})
	uc := app.New(postgres.NewStore(o.Pool), o.Now)
	handlers := eventsport.New(uc, c.Log)
	handlers.Register(c.Router, c.DeadLetters)
	httpport.Register(c.Server.Echo, uc, c.Router.RequireAppToken)
	// Replays run the bulk handler's logic on one event: the router's Dispatch knows typed
	// routes only.
	c.Mount(handlers.Dispatch)
	return &Service{Server: c.Server, Router: c.Router, App: uc, Handlers: handlers}
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
