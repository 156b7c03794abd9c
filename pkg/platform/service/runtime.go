package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
)

// MainConfig is Main for a service with a configuration: it loads the configuration with load,
// logs it (secrets masked) and calls run with it.
//
//	func main() {
//		service.MainConfig("order", config.Load, orderservice.Run)
//	}
func MainConfig[C any](service string, load func() (C, error), run func(ctx context.Context, cfg C, log *slog.Logger) error) {
	Main(service, func(ctx context.Context, log *slog.Logger) error {
		cfg, err := load()
		if err != nil {
			return err
		}
		log.Info("config loaded", "config", config.LogValue(cfg))
		return run(ctx, cfg, log)
	})
}

// Runtime is what every service with a database and a Dapr sidecar starts before its own parts:
// tracing, the migrated database pool and the sidecar client. Close releases them in reverse order.
type Runtime struct {
	Pool    *pgxpool.Pool
	Sidecar *dapr.Client
	Log     *slog.Logger

	closers []func()
}

// Database locates a service's database and the migrations it owns.
type Database struct {
	URL        string
	Migrations fs.FS // the service's goose migrations; the platform's tables are always applied first
}

// Start sets up tracing for app, opens and migrates db and prepares (lazily) the sidecar client.
func Start(ctx context.Context, app string, common config.Common, db Database, log *slog.Logger) (_ *Runtime, err error) {
	r := &Runtime{Log: log}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	shutdownTracing, err := telemetry.Setup(ctx, app, common.OTLPEndpoint)
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, func() {
		flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(flushCtx); err != nil {
			log.Warn("flushing traces failed", "error", err)
		}
	})
	if r.Pool, err = pgdb.Open(ctx, db.URL); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, r.Pool.Close)
	if err := pgdb.Migrate(ctx, r.Pool, db.Migrations, log); err != nil {
		return nil, err
	}
	r.Sidecar = dapr.New(dapr.Config{
		Host: common.DaprHost, HTTPPort: common.DaprHTTPPort, GRPCPort: common.DaprGRPCPort, APIToken: common.DaprAPIToken,
	}, log)
	r.closers = append(r.closers, r.Sidecar.Close)
	return r, nil
}

// Close releases what Start opened, in reverse order: sidecar client, pool, tracing.
func (r *Runtime) Close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
	r.closers = nil
}

// Relay is the background worker publishing the service's outbox through its sidecar.
func (r *Runtime) Relay(app string) Worker {
	relay := outbox.NewRelay(r.Pool, r.Sidecar, outbox.RelayOptions{Source: app, Logger: r.Log})
	return Worker{Name: "outbox relay", Run: relay.Run}
}

// ConsumerOptions configure NewConsumer.
type ConsumerOptions struct {
	// AppID is the service's Dapr app id: it names the service in metrics and spans, the
	// router's inbox consumer and the dead letters' owner.
	AppID string
	// Addr is the listen address of Server.Run; default httpserver.DefaultAddr.
	Addr string
	// AppToken is APP_API_TOKEN: the sidecar sends it in dapr-api-token, and every route but
	// /healthz, /readyz and /metrics requires it.
	AppToken string
	// Pool is the service's migrated database: the "database" readiness check pings it and it
	// holds the dead letters.
	Pool *pgxpool.Pool
	// Sidecar is the "dapr" readiness check (dapr.Client.Outbound); nil registers none.
	Sidecar httpserver.Check
	// AdminPrefix is the path of the dead-letter admin API, such as "/admin".
	AdminPrefix string
	// Log defaults to slog.Default().
	Log *slog.Logger
	// ShutdownTimeout bounds the wait for in-flight requests; default httpserver's.
	ShutdownTimeout time.Duration
}

// Consumer is the HTTP side every service that consumes events assembles the same way: the
// subscription router, the HTTP server, its readiness checks and the dead-letter store. The
// service registers its event routes on Router (with DeadLetters for its dead-letter routes)
// and its API on Server.Echo (behind Router.RequireAppToken), then calls Mount.
type Consumer struct {
	Server      *httpserver.Server
	Router      *pubsub.Router
	DeadLetters *deadletter.Store
	Log         *slog.Logger // ConsumerOptions.Log or the default logger

	adminPrefix string
}

// NewConsumer builds the router and the server: the server's body limit leaves event
// deliveries to the router's own limits (an oversized event is answered DROP, never 413), and
// /readyz checks the database and, when given, the sidecar.
func NewConsumer(o ConsumerOptions) *Consumer {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	router := pubsub.NewRouter(o.AppID, o.AppToken, log)
	srv := httpserver.New(httpserver.Options{
		Service:          o.AppID,
		Addr:             o.Addr,
		Logger:           log,
		BodyLimitSkipper: router.Skipper,
		ShutdownTimeout:  o.ShutdownTimeout,
	})
	srv.AddReadyCheck("database", pgdb.Ping(o.Pool))
	if o.Sidecar != nil {
		srv.AddReadyCheck("dapr", o.Sidecar)
	}
	return &Consumer{
		Server:      srv,
		Router:      router,
		DeadLetters: deadletter.NewStore(o.Pool, o.AppID),
		Log:         log,
		adminPrefix: o.AdminPrefix,
	}
}

// Mount mounts the event routes registered on Router and, under ConsumerOptions.AdminPrefix
// and behind the app token, the dead-letter admin API, whose replays go through replay (nil:
// Router.Dispatch, which knows the typed routes). The service registers its own API on
// Server.Echo behind Router.RequireAppToken too: every route but /healthz, /readyz and
// /metrics requires the app token, which the sidecar adds to every delivery and service
// invocation, so the API and the admin API are reached through Dapr (the gateway checks API
// and admin keys), never around it.
func (c *Consumer) Mount(replay func(context.Context, events.CloudEvent) error) {
	if replay == nil {
		replay = c.Router.Dispatch
	}
	c.Router.Register(c.Server.Echo)
	deadletter.RegisterAdmin(c.Server.Echo.Group(c.adminPrefix, c.Router.RequireAppToken), c.DeadLetters, replay)
}

// Worker is a background loop of a service, such as the outbox relay. Run returns when its
// context is cancelled (nil) or when it cannot go on (an error).
type Worker struct {
	Name string
	Run  func(ctx context.Context) error
}

// Serve runs srv until ctx is cancelled, together with workers. The workers outlive the server:
// they are stopped only after it has finished its in-flight requests and events, so that the
// events of the last requests still leave promptly. A worker that fails stops the server.
func Serve(ctx context.Context, srv *httpserver.Server, log *slog.Logger, workers ...Worker) error {
	srvCtx, stopServer := context.WithCancel(ctx)
	defer stopServer()
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()

	done := make(chan error, len(workers))
	for _, w := range workers {
		go func() {
			err := w.Run(workCtx)
			if errors.Is(err, context.Canceled) && workCtx.Err() != nil {
				err = nil
			}
			if err != nil {
				err = fmt.Errorf("%s: %w", w.Name, err)
				log.Error("worker stopped", "worker", w.Name, "error", err)
				stopServer()
			}
			done <- err
		}()
	}

	errs := []error{srv.Run(srvCtx)}
	stopWork()
	for range workers {
		errs = append(errs, <-done)
	}
	return errors.Join(errs...)
}
