// Command orderflow-local runs Orderflow as local processes (`make run`): the
// five services and their daprd sidecars on fixed ports, against the PostgreSQL and Redis named
// by the environment, until Ctrl-C.
//
// Environment (defaults in brackets):
//
//	DATABASE_ADMIN_URL  a role that may create databases and roles [postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable]
//	REDIS_ADDR          Redis for the broker and the gateway [127.0.0.1:6379]
//	REDIS_PASSWORD, REDIS_DB [0]
//	API_KEYS            gateway API keys, key:client,... [orderflow-dev-key:dev-client]
//	ADMIN_API_KEYS      gateway admin keys [orderflow-dev-admin-key:dev-admin]
//	RATE_LIMIT_PER_MINUTE, PAYMENT_DECLINE_ABOVE  (the services' defaults when unset)
//	APP_API_TOKEN, DAPR_API_TOKEN  sidecar tokens [random per run]
//	LOG_LEVEL [info], DAPR_LOG_LEVEL [info]
//	DAPRD               the daprd binary [daprd on PATH, then ~/.dapr/bin/daprd]
//	RUN_DIR             binaries, logs and the sidecars' name-resolution file [.run]
//	SERVICES            a subset to run, e.g. order,payment [all five]
package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orderflow/orderflow/e2e/localstack"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := run(log); err != nil {
		log.Error("orderflow-local failed", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := daprtest.FindRepoRoot(wd)
	if err != nil {
		return err
	}
	runDir, err := filepath.Abs(cmp.Or(os.Getenv("RUN_DIR"), filepath.Join(root, ".run")))
	if err != nil {
		return err
	}
	logDir := filepath.Join(runDir, "logs")
	if err := os.RemoveAll(logDir); err != nil { // each run starts with fresh logs
		return err
	}
	redisDB, err := envInt("REDIS_DB", 0)
	if err != nil {
		return err
	}
	rateLimit, err := envInt("RATE_LIMIT_PER_MINUTE", 0)
	if err != nil {
		return err
	}
	declineAbove, err := envInt("PAYMENT_DECLINE_ABOVE", 0)
	if err != nil {
		return err
	}
	opts := localstack.Options{
		RepoRoot:            root,
		BinDir:              filepath.Join(runDir, "bin"),
		Ports:               localstack.FixedPorts(),
		DatabaseAdminURL:    cmp.Or(os.Getenv("DATABASE_ADMIN_URL"), localstack.DefaultDatabaseAdminURL),
		RedisAddr:           cmp.Or(os.Getenv("REDIS_ADDR"), localstack.DefaultRedisAddr),
		RedisPassword:       os.Getenv("REDIS_PASSWORD"),
		RedisDB:             redisDB,
		AppToken:            os.Getenv("APP_API_TOKEN"),
		APIToken:            os.Getenv("DAPR_API_TOKEN"),
		APIKeys:             cmp.Or(os.Getenv("API_KEYS"), localstack.DefaultAPIKeys),
		AdminAPIKeys:        cmp.Or(os.Getenv("ADMIN_API_KEYS"), localstack.DefaultAdminAPIKeys),
		RateLimitPerMinute:  rateLimit,
		PaymentDeclineAbove: int64(declineAbove),
		WorkDir:             runDir,
		LogDir:              logDir,
		LogLevel:            cmp.Or(os.Getenv("LOG_LEVEL"), "info"),
		DaprLogLevel:        cmp.Or(os.Getenv("DAPR_LOG_LEVEL"), "info"),
		Logger:              log,
	}
	if v := os.Getenv("SERVICES"); v != "" {
		opts.Services = strings.Split(v, ",")
	}
	log.Info("starting Orderflow as local processes", "run_dir", runDir)
	stack, err := localstack.Start(ctx, opts)
	if err != nil {
		return err
	}
	printUsage(stack)

	var crashed string
	select {
	case <-ctx.Done():
		log.Info("stopping (Ctrl-C)")
	case crashed = <-stack.Exited():
		log.Error("a process exited; stopping everything", "process", crashed)
		fmt.Fprintln(os.Stderr, stack.LogTail(crashed, 30))
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := stack.Stop(stopCtx); err != nil {
		return err
	}
	log.Info("stopped")
	if crashed != "" {
		return fmt.Errorf("%s exited unexpectedly (log: %s)", crashed, filepath.Join(logDir, crashed+".log"))
	}
	return nil
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

// firstKey returns the first key of a key:client,... list.
func firstKey(keys string) string {
	entry, _, _ := strings.Cut(keys, ",")
	key, _, _ := strings.Cut(entry, ":")
	return strings.TrimSpace(key)
}

func printUsage(s *localstack.Stack) {
	o := s.Options()
	gw, key := s.GatewayURL(), firstKey(o.APIKeys)
	fmt.Printf(`
Orderflow is running: gateway %[1]s   (logs: %[3]s; Ctrl-C stops everything)

Place an order (a new Idempotency-Key per order: repeating a key returns the first answer):
  curl -sS -X POST %[1]s/orders \
    -H 'Content-Type: application/json' -H 'X-API-Key: %[2]s' -H "Idempotency-Key: demo-$RANDOM" \
    -d '{"customerId":"c-1","currency":"EUR","items":[{"productId":"p-1","quantity":2,"unitPrice":1250}]}'

Read it back (a moment later its status is "paid"):
  curl -sS %[1]s/orders/<orderId> -H 'X-API-Key: %[2]s'

More: %[1]s/openapi.yaml, GET /orders/<orderId>/payments, GET /notifications?customerId=c-1,
GET /analytics/summary; admin (X-API-Key: %[4]s): GET /admin/deadletters

`, gw, key, s.LogDir(), firstKey(o.AdminAPIKeys))
}
