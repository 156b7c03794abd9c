package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/moby/moby/client"
	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/orderflow/orderflow/e2e/composestack"
	"github.com/orderflow/orderflow/e2e/scenarios"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
)

// composeApps are the services of docker-compose.yaml and their ports.
var composeApps = map[string]string{"gateway": "8080", "order": "8081", "payment": "8082", "notification": "8083", "analytics": "8084"}

// composeDatabases maps the suite's service names to their databases in the compose stack.
var composeDatabases = map[string]string{
	scenarios.Order: "orders", scenarios.Payment: "payments", scenarios.Notification: "notifications", scenarios.Analytics: "analytics",
}

// TestE2ECompose brings up docker-compose.yaml (images built from the Dockerfile, Postgres,
// Redis, the five services and their daprd sidecars) through testcontainers' compose module,
// runs the scenario suite against it through the published gateway, the databases and the
// broker (published on ephemeral loopback ports by e2e/testdata/compose.test.yaml), then the
// fault scenarios, and tears everything down, even on failure.
//
// Needs a local Docker daemon and the images the compose file names (GO_IMAGE, RUNTIME_IMAGE,
// POSTGRES_IMAGE, REDIS_IMAGE, DAPRD_IMAGE; public ones by default). Without Docker it skips,
// or fails when CI=true. The builder image gets the host's CA bundle (for machines behind a
// TLS-intercepting proxy) unless E2E_BUILD_HOST_CA=false.
func TestE2ECompose(t *testing.T) {
	requireLocalDocker(t)
	root := daprtest.RepoRoot(t)

	secret := func() string { return strings.ToLower(rand.Text()[:20]) }
	sys := &composeSystem{apiKey: "e2e-key-" + secret(), adminKey: "e2e-admin-" + secret(), postgresPassword: secret(), redisPassword: secret()}
	project := "orderflow-e2e-" + strings.ToLower(rand.Text()[:8])
	env := map[string]string{
		"API_KEYS":                  sys.apiKey + ":e2e",
		"ADMIN_API_KEYS":            sys.adminKey + ":e2e-admin",
		"RATE_LIMIT_PER_MINUTE":     "100000", // the suite is not a rate-limit test
		"APP_API_TOKEN":             secret(),
		"DAPR_API_TOKEN":            secret(),
		"POSTGRES_PASSWORD":         sys.postgresPassword,
		"ORDERS_DB_PASSWORD":        secret(),
		"PAYMENTS_DB_PASSWORD":      secret(),
		"NOTIFICATIONS_DB_PASSWORD": secret(),
		"ANALYTICS_DB_PASSWORD":     secret(),
		"REDIS_PASSWORD":            sys.redisPassword,
		"LOG_LEVEL":                 "info",
		"DAPR_LOG_LEVEL":            "info",
	}
	waits := map[string]wait.Strategy{}
	for svc, port := range composeApps {
		// Ready: database and sidecar reachable (the compose healthcheck only says "alive").
		ready := wait.ForExec([]string{"/app", "-healthcheck", "http://127.0.0.1:" + port + "/readyz"}).
			WithPollInterval(time.Second).WithStartupTimeout(3 * time.Minute)
		if svc == "gateway" {
			waits[svc] = wait.ForAll(wait.ForHTTP("/healthz").WithPort("8080/tcp").WithStartupTimeout(3*time.Minute), ready)
			continue
		}
		waits[svc] = ready
	}

	// The compose library (compose-go, docker/compose) reports through logrus: no warning may
	// come from loading the files, building or bringing the stack up.
	warned := &composeWarnings{}
	logrus.AddHook(warned)
	defer logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})

	var buildLog bytes.Buffer
	startCtx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	start := time.Now()
	stack, err := composestack.Start(startCtx, composestack.Options{
		Dir:         root,
		Files:       []string{"docker-compose.yaml", "e2e/testdata/compose.test.yaml"},
		Project:     project,
		Env:         env,
		Waits:       waits,
		BuildHostCA: os.Getenv("E2E_BUILD_HOST_CA") != "false",
		Logf:        t.Logf,
		BuildLog:    &buildLog,
	})
	if stack != nil {
		t.Cleanup(func() { composeDown(t, stack, project) })
	}
	if err != nil {
		t.Logf("image build output (tail):\n%s", tail(buildLog.String(), 60))
	}
	require.NoError(t, err)
	t.Logf("compose stack %s started in %s", project, time.Since(start).Round(time.Second))
	assert.Empty(t, warned.messages(), "warnings of the compose library")
	// The stack as it runs, one subtest per container (so that the CI log lists them): every
	// service of the compose file runs, healthy when it has a healthcheck.
	t.Run("stack", func(t *testing.T) {
		containers, err := stack.Containers(context.Background())
		require.NoError(t, err)
		require.Len(t, containers, len(stack.Project().Services))
		for _, c := range containers {
			t.Logf("%s", c)
			t.Run(c.Service+" "+c.Image, func(t *testing.T) {
				assert.Equal(t, "running", c.State)
				if hc := stack.Project().Services[c.Service].HealthCheck; hc != nil && !hc.Disable {
					assert.Contains(t, c.Status, "(healthy)")
				}
			})
		}
	})

	sys.stack = stack
	gw, err := stack.HostPort(context.Background(), "gateway", "8080/tcp")
	require.NoError(t, err)
	sys.gatewayURL = "http://" + gw

	t.Run("scenarios", func(t *testing.T) {
		scenarios.Run(t, sys)
	})
	t.Run("faults", func(t *testing.T) {
		runComposeFaults(t, sys)
	})
}

// requireLocalDocker makes sure testcontainers talks to a local daemon with
// TESTCONTAINERS_HOST_OVERRIDE set (never a guessed host: inside a container it would dial the
// default gateway), and skips, or fails when CI=true, when that daemon does not answer.
func requireLocalDocker(t *testing.T) {
	t.Helper()
	host := os.Getenv("DOCKER_HOST")
	local := host == "" || strings.HasPrefix(host, "unix://")
	switch v := os.Getenv(composestack.HostOverrideEnv); {
	case v == "" && local:
		// A local daemon publishes ports on this machine; the override file binds them to loopback.
		t.Setenv(composestack.HostOverrideEnv, "127.0.0.1")
	case v == "":
		daprtest.Require(t, false, "DOCKER_HOST names a remote daemon: the compose suite publishes on the daemon's loopback and needs a local one")
	case v != "127.0.0.1" && v != "localhost":
		daprtest.Require(t, false, composestack.HostOverrideEnv+"="+v+": the compose suite publishes its ports on 127.0.0.1 of a local daemon")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err == nil {
		_, err = cli.Ping(ctx, client.PingOptions{})
		_ = cli.Close()
	}
	daprtest.Require(t, err == nil, fmt.Sprintf("Docker unavailable: %v", err))
}

// composeDown prints the services' logs when the test failed, takes the stack down (containers,
// networks, volumes, the images it built) and checks that nothing of the project is left.
func composeDown(t *testing.T, stack *composestack.Stack, project string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if t.Failed() {
		if cs, err := stack.Containers(ctx); err == nil {
			for _, c := range cs {
				t.Logf("container at failure: %s", c)
			}
		}
		for _, svc := range stack.Project().ServiceNames() {
			t.Logf("--- %s (last lines)\n%s", svc, stack.Logs(ctx, svc, 60))
		}
	}
	if err := stack.Down(ctx); err != nil {
		t.Errorf("compose down: %v", err)
	}
	left, err := composestack.Leftovers(ctx, project)
	if err != nil {
		t.Errorf("listing what compose down left: %v", err)
	}
	if len(left) > 0 {
		t.Errorf("compose down left: %s", strings.Join(left, ", "))
	}
}

// composeSystem is the compose stack as the scenario suite sees it.
type composeSystem struct {
	stack                           *composestack.Stack
	gatewayURL, apiKey, adminKey    string
	postgresPassword, redisPassword string
}

func (s *composeSystem) Gateway() (string, string, string) {
	return s.gatewayURL, s.apiKey, s.adminKey
}

// DB connects as the Postgres superuser to a service's database, through the published port
// (looked up at every connection: it changes when the fault scenarios restart Postgres).
func (s *composeSystem) DB(t testing.TB, service string) *pgxpool.Pool {
	t.Helper()
	db, ok := composeDatabases[service]
	require.True(t, ok, "no database for %s", service)
	cfg, err := pgxpool.ParseConfig(fmt.Sprintf("postgres://postgres:%s@127.0.0.1:5432/%s?sslmode=disable&connect_timeout=5", s.postgresPassword, db))
	require.NoError(t, err)
	cfg.ConnConfig.DialFunc = s.stack.Dialer("postgres", "5432/tcp")
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// Broker is a client on Redis database 0, where the sidecars' pub/sub component keeps the
// topics' streams (the gateway's cache is in database 1).
func (s *composeSystem) Broker(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:        "127.0.0.1:6379", // replaced by the dialer
		Dialer:      s.stack.Dialer("redis", "6379/tcp"),
		Password:    s.redisPassword,
		DialTimeout: 5 * time.Second,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// composeWarnings collects the compose library's log entries at warning level or worse.
type composeWarnings struct {
	mu  sync.Mutex
	got []string
}

func (w *composeWarnings) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (w *composeWarnings) Fire(e *logrus.Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, e.Level.String()+": "+e.Message)
	return nil
}

func (w *composeWarnings) messages() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.got)
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
