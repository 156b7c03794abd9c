// Package service is the notification service's composition root: Run wires the database,
// the HTTP server, the subscription routes and the dead-letter admin API; New builds the same
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
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/adapters/postgres"
	"github.com/orderflow/orderflow/services/notification/internal/app"
	notifcfg "github.com/orderflow/orderflow/services/notification/internal/config"
	eventsport "github.com/orderflow/orderflow/services/notification/internal/ports/events"
	httpport "github.com/orderflow/orderflow/services/notification/internal/ports/http"
	"github.com/orderflow/orderflow/services/notification/migrations"
)

// Options configure New.
type Options struct {
	Addr     string // listen address, such as ":8083"; "127.0.0.1:0" picks a free port
	AppToken string // APP_API_TOKEN: required on every route but /healthz, /readyz and /metrics
	Pool     *pgxpool.Pool
	Log      *slog.Logger
	// SidecarReady is the readiness check of the Dapr sidecar (dapr.Client.Outbound); nil
	// registers none.
	SidecarReady    httpserver.Check
	ShutdownTimeout time.Duration
}

// Service is the assembled notification service.
type Service struct {
	Server *httpserver.Server
	Router *pubsub.Router
	App    *app.Service
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
	uc := app.New(postgres.NewStore(o.Pool, contract.AppID))
	eventsport.Register(c.Router, uc, c.DeadLetters, c.Log)
	httpport.Register(c.Server.Echo, uc, c.Router.RequireAppToken)
	c.Mount(nil)
	return &Service{Server: c.Server, Router: c.Router, App: uc}
}

// Run runs the service until ctx is cancelled: tracing, the database pool and its migrations,
// the Dapr client (readiness only: the service publishes nothing) and the HTTP server, stopped
// in reverse order.
func Run(ctx context.Context, cfg notifcfg.Config, log *slog.Logger) error {
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
