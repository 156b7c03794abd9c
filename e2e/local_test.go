package e2e_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/e2e/localstack"
	"github.com/orderflow/orderflow/e2e/scenarios"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pgdbtest"
)

// TestE2ELocal runs the scenario suite against the five services and their daprd sidecars
// started as local processes (the `make run` mode) with free ports, private databases and a
// private Redis database. Needs PostgreSQL (TEST_DATABASE_URL), Redis (TEST_REDIS_ADDR) and
// daprd ($DAPRD, PATH or ~/.dapr/bin); without them it skips, or fails when CI=true.
// E2E_LOG_DIR keeps the processes' logs (else they are printed in part when the test fails).
func TestE2ELocal(t *testing.T) {
	daprd := daprtest.Binary(t)
	adminURL := cmp.Or(os.Getenv("TEST_DATABASE_URL"), pgdbtest.DefaultURL)
	requirePostgres(t, adminURL)
	redisDB := daprtest.RedisDB(t)

	logDir := filepath.Join(t.TempDir(), "logs")
	if dir := os.Getenv("E2E_LOG_DIR"); dir != "" {
		logDir = filepath.Join(dir, t.Name())
		require.NoError(t, os.RemoveAll(logDir))
	}
	sys := &localSystem{apiKey: "e2e-key", adminKey: "e2e-admin-key", redisDB: redisDB}
	ctx := context.Background()
	stack, err := localstack.Start(ctx, localstack.Options{
		BinDir:             t.TempDir(),
		Daprd:              daprd,
		DatabaseAdminURL:   adminURL,
		DatabasePrefix:     "e2e_" + strings.ToLower(rand.Text()[:10]) + "_",
		DropDatabases:      true,
		RedisAddr:          daprtest.RedisAddr(),
		RedisDB:            redisDB,
		APIKeys:            sys.apiKey + ":e2e",
		AdminAPIKeys:       sys.adminKey + ":e2e-admin",
		RateLimitPerMinute: 100_000, // the suite is not a rate-limit test
		WorkDir:            t.TempDir(),
		LogDir:             logDir,
		Logger:             slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	})
	require.NoError(t, err)
	sys.stack = stack
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if t.Failed() {
			for _, svc := range localstack.Services {
				t.Log(stack.LogTail(svc, 40))
				t.Log(stack.LogTail(svc+".daprd", 20))
			}
		}
		require.NoError(t, stack.Stop(stopCtx))
	})
	go func() {
		if name, ok := <-stack.Exited(); ok {
			t.Errorf("%s exited during the test:\n%s", name, stack.LogTail(name, 40))
		}
	}()

	scenarios.Run(t, sys)
}

// localSystem is the local-process stack as the scenario suite sees it.
type localSystem struct {
	stack            *localstack.Stack
	apiKey, adminKey string
	redisDB          int
}

func (s *localSystem) Gateway() (string, string, string) {
	return s.stack.GatewayURL(), s.apiKey, s.adminKey
}

func (s *localSystem) DB(t testing.TB, service string) *pgxpool.Pool {
	t.Helper()
	url := s.stack.DatabaseURL(service)
	require.NotEmpty(t, url, "no database for %s", service)
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func (s *localSystem) Kill(t testing.TB, service string) {
	t.Helper()
	require.NoError(t, s.stack.Kill(service))
}

func (s *localSystem) Start(t testing.TB, service string) {
	t.Helper()
	require.NoError(t, s.stack.StartService(context.Background(), service))
}

func (s *localSystem) Broker(t testing.TB) *redis.Client {
	return daprtest.RedisClient(t, s.redisDB)
}

// requirePostgres skips (fails in CI) when the PostgreSQL server is unreachable.
func requirePostgres(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		_ = conn.Close(ctx)
	}
	daprtest.Require(t, err == nil, "PostgreSQL unreachable: set TEST_DATABASE_URL")
}

// testWriter sends the launcher's log lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
