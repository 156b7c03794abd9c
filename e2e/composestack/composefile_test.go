package composestack_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/daprtest"
)

// apps are the five services and their ports.
var apps = map[string]int{"gateway": 8080, "order": 8081, "payment": 8082, "notification": 8083, "analytics": 8084}

// warnings collects what compose-go logs at warning level or worse (e.g. "variable is not set",
// "attribute version is obsolete").
type warnings struct {
	mu  sync.Mutex
	got []string
}

func (w *warnings) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (w *warnings) Fire(e *logrus.Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, e.Message)
	return nil
}

// load loads compose files of the repository with exactly env as the environment (no process
// environment, no .env file) and returns the project and the warnings logged while loading.
func load(t *testing.T, env map[string]string, files ...string) (*types.Project, []string) {
	t.Helper()
	root := daprtest.RepoRoot(t)
	w := &warnings{}
	logrus.AddHook(w)
	t.Cleanup(func() { logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{}) })

	var pairs []string
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = filepath.Join(root, f)
	}
	po, err := cli.NewProjectOptions(paths, cli.WithWorkingDirectory(root), cli.WithEnv(pairs), cli.WithName("orderflow-test"))
	require.NoError(t, err)
	p, err := po.LoadProject(context.Background())
	require.NoError(t, err)
	return p, w.got
}

func TestComposeFileLoadsWithoutWarningsAndNamesPublicImages(t *testing.T) {
	p, warned := load(t, nil, "docker-compose.yaml")
	assert.Empty(t, warned, "compose-go warnings")

	want := []string{"postgres", "redis"}
	for app := range apps {
		want = append(want, app, app+"-dapr")
	}
	names := p.ServiceNames()
	sort.Strings(want)
	sort.Strings(names)
	require.Equal(t, want, names)

	assert.Equal(t, "postgres:17-alpine", p.Services["postgres"].Image)
	assert.Equal(t, "redis:7-alpine", p.Services["redis"].Image)
	for app := range apps {
		b := p.Services[app].Build
		require.NotNil(t, b, app)
		assert.Equal(t, "golang:1.26-bookworm", deref(b.Args["GO_IMAGE"]), app)
		assert.Equal(t, "gcr.io/distroless/static-debian12:nonroot", deref(b.Args["RUNTIME_IMAGE"]), app)
		assert.Equal(t, app, deref(b.Args["SERVICE"]), app)
		assert.Equal(t, "daprio/daprd:1.18.2", p.Services[app+"-dapr"].Image, app)
	}
}

func TestComposeImagesAndPortFollowTheEnvironment(t *testing.T) {
	p, warned := load(t, map[string]string{
		"GO_IMAGE": "example/go:1", "RUNTIME_IMAGE": "example/run:1", "POSTGRES_IMAGE": "example/pg:1",
		"REDIS_IMAGE": "example/redis:1", "DAPRD_IMAGE": "example/daprd:1", "GATEWAY_PORT": "18080",
	}, "docker-compose.yaml")
	assert.Empty(t, warned)
	assert.Equal(t, "example/pg:1", p.Services["postgres"].Image)
	assert.Equal(t, "example/redis:1", p.Services["redis"].Image)
	for app := range apps {
		assert.Equal(t, "example/go:1", deref(p.Services[app].Build.Args["GO_IMAGE"]))
		assert.Equal(t, "example/run:1", deref(p.Services[app].Build.Args["RUNTIME_IMAGE"]))
		assert.Equal(t, "example/daprd:1", p.Services[app+"-dapr"].Image)
	}
	ports := p.Services["gateway"].Ports
	require.Len(t, ports, 1)
	assert.Equal(t, "18080", ports[0].Published)
	assert.EqualValues(t, 8080, ports[0].Target)
}

func TestComposeServicesAndSidecars(t *testing.T) {
	p, _ := load(t, nil, "docker-compose.yaml")
	root := daprtest.RepoRoot(t)

	for name, svc := range p.Services {
		if name == "gateway" {
			require.Len(t, svc.Ports, 1, "the gateway is published")
			assert.Equal(t, "8080", svc.Ports[0].Published)
			assert.EqualValues(t, 8080, svc.Ports[0].Target)
		} else {
			assert.Empty(t, svc.Ports, "only the gateway is published, not %s", name)
		}
	}
	for _, infra := range []string{"postgres", "redis"} {
		hc := p.Services[infra].HealthCheck
		require.NotNil(t, hc, infra)
		assert.NotEmpty(t, hc.Test, infra)
	}
	assert.Contains(t, strings.Join(p.Services["redis"].Command, " "), "--appendonly yes")

	for app, port := range apps {
		t.Run(app, func(t *testing.T) {
			svc := p.Services[app]
			assert.Equal(t, strconv.Itoa(port), deref(svc.Environment["APP_PORT"]))
			require.NotNil(t, svc.HealthCheck)
			assert.Equal(t, types.HealthCheckTest{"CMD", "/app", "-healthcheck", "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"}, svc.HealthCheck.Test)
			assert.Equal(t, "redis", firstKey(svc.DependsOn, "redis"))
			assert.Equal(t, types.ServiceConditionHealthy, svc.DependsOn["redis"].Condition)
			if app != "gateway" {
				assert.Equal(t, types.ServiceConditionHealthy, svc.DependsOn["postgres"].Condition)
				assert.NotEmpty(t, deref(svc.Environment["DATABASE_URL"]))
			}
			assert.Equal(t, "unless-stopped", svc.Restart)

			side := p.Services[app+"-dapr"]
			assert.Equal(t, "service:"+app, side.NetworkMode)
			dep, ok := side.DependsOn[app]
			require.True(t, ok, "sidecar depends on its app")
			assert.Equal(t, types.ServiceConditionStarted, dep.Condition)
			assert.True(t, dep.Restart, "the sidecar restarts when compose restarts its app")
			assert.Equal(t, "unless-stopped", side.Restart)

			cmd := []string(side.Command)
			require.NotEmpty(t, cmd)
			assert.Equal(t, "./daprd", cmd[0])
			assert.Equal(t, app, flag(cmd, "--app-id"))
			assert.Equal(t, strconv.Itoa(port), flag(cmd, "--app-port"))
			assert.Equal(t, "3500", flag(cmd, "--dapr-http-port"))
			assert.Equal(t, "50001", flag(cmd, "--dapr-grpc-port"))
			assert.Equal(t, "/dapr/config.yaml", flag(cmd, "--config"))
			assert.Equal(t, "", flag(cmd, "--placement-host-address"))
			assert.ElementsMatch(t, []string{"/dapr/components", "/dapr/resiliency", "/dapr/subscriptions"}, flags(cmd, "--resources-path"))

			mounts := map[string]string{}
			for _, v := range side.Volumes {
				assert.True(t, v.ReadOnly, "%s is mounted read-only", v.Target)
				rel, err := filepath.Rel(root, v.Source)
				require.NoError(t, err)
				mounts[v.Target] = filepath.ToSlash(rel)
				_, err = os.Stat(v.Source)
				assert.NoError(t, err, "mount source of %s", v.Target)
			}
			assert.Equal(t, map[string]string{
				"/dapr/components":    "deploy/dapr/components/compose",
				"/dapr/resiliency":    "deploy/dapr/resiliency",
				"/dapr/subscriptions": "deploy/dapr/subscriptions",
				"/dapr/config.yaml":   "deploy/dapr/config/compose.yaml",
			}, mounts)

			// The tokens the sidecar uses are the ones its app knows.
			assert.Equal(t, deref(svc.Environment["APP_API_TOKEN"]), deref(side.Environment["APP_API_TOKEN"]))
			assert.Equal(t, deref(svc.Environment["DAPR_API_TOKEN"]), deref(side.Environment["DAPR_API_TOKEN"]))
			assert.NotEmpty(t, deref(side.Environment["APP_API_TOKEN"]))
			assert.Equal(t, "redis:6379", deref(side.Environment["REDIS_HOST"]))
			assert.Equal(t, "0", deref(side.Environment["REDIS_DB"]))
			assert.Equal(t, deref(p.Services["redis"].Environment["REDISCLI_AUTH"]), deref(side.Environment["REDIS_PASSWORD"]))
		})
	}
}

// Every DATABASE_URL names a database and role that the Postgres init script creates, with the
// password the postgres container gets for it.
func TestComposeDatabasesMatchTheInitScript(t *testing.T) {
	p, _ := load(t, nil, "docker-compose.yaml")
	script, err := os.ReadFile(filepath.Join(daprtest.RepoRoot(t), "deploy/compose/postgres-init.sh"))
	require.NoError(t, err)
	pg := p.Services["postgres"]
	var mounted bool
	for _, v := range pg.Volumes {
		mounted = mounted || (strings.HasSuffix(v.Source, "deploy/compose/postgres-init.sh") && strings.HasPrefix(v.Target, "/docker-entrypoint-initdb.d/"))
	}
	assert.True(t, mounted, "init script mounted into /docker-entrypoint-initdb.d/")

	for app := range apps {
		if app == "gateway" {
			continue
		}
		u, err := url.Parse(deref(p.Services[app].Environment["DATABASE_URL"]))
		require.NoError(t, err, app)
		db := strings.TrimPrefix(u.Path, "/")
		pass, _ := u.User.Password()
		assert.Equal(t, "postgres:5432", u.Host, app)
		assert.Equal(t, db, u.User.Username(), "%s: role and database share a name", app)
		line := regexp.MustCompile(`(?m)^create_service_db ` + db + ` "\$\{([A-Z_]+):\?\}"$`).FindSubmatch(script)
		require.NotNil(t, line, "init script creates %s", db)
		assert.Equal(t, pass, deref(pg.Environment[string(line[1])]), "%s password", db)
	}
}

// .env.example documents every variable the compose file reads, and nothing else.
func TestEnvExampleDocumentsEveryComposeVariable(t *testing.T) {
	root := daprtest.RepoRoot(t)
	compose, err := os.ReadFile(filepath.Join(root, "docker-compose.yaml"))
	require.NoError(t, err)
	example, err := os.ReadFile(filepath.Join(root, ".env.example"))
	require.NoError(t, err)

	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`).FindAllSubmatch(compose, -1) {
		used[string(m[1])] = true
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#?\s*([A-Z_][A-Z0-9_]*)=`).FindAllSubmatch(example, -1) {
		documented[string(m[1])] = true
	}
	assert.Equal(t, sortedKeys(used), sortedKeys(documented))

	_, err = os.Stat(filepath.Join(root, ".env"))
	if err == nil {
		out, _ := os.ReadFile(filepath.Join(root, ".gitignore"))
		assert.Contains(t, string(out), ".env", ".env must stay out of git")
	}
}

// The Dockerfile compiles every service that has a main package, and compose runs each of them.
func TestDockerfileBuildsEveryService(t *testing.T) {
	root := daprtest.RepoRoot(t)
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	require.NoError(t, err)
	mains, err := filepath.Glob(filepath.Join(root, "services", "*", "main.go"))
	require.NoError(t, err)
	var services []string
	for _, m := range mains {
		services = append(services, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(services)
	require.Equal(t, sortedKeys(apps), services)

	loops := regexp.MustCompile(`for svc in ([a-z ]+); do`).FindAllSubmatch(dockerfile, -1)
	require.Len(t, loops, 2, "download and build loops")
	for _, l := range loops {
		got := strings.Fields(string(l[1]))
		sort.Strings(got)
		assert.Equal(t, services, got)
	}
	var lines []string // the instructions, without comments
	for _, l := range strings.Split(string(dockerfile), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	text := strings.Join(lines, "\n")
	require.Contains(t, text, "ARG SERVICE")
	assert.Less(t, strings.Index(text, "go build"), strings.Index(text, "ARG SERVICE"), "binaries compiled before ARG SERVICE")
	assert.Contains(t, text, "ARG GO_IMAGE=golang:1.26-bookworm")
	assert.Contains(t, text, "ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot")
	assert.NotContains(t, text, "--mount", "the classic builder has no RUN --mount")
	assert.Contains(t, text, "USER 65532")
}

// The test override publishes Postgres, Redis and the gateway on ephemeral loopback ports, and
// nothing else.
func TestComposeTestOverride(t *testing.T) {
	p, warned := load(t, nil, "docker-compose.yaml", "e2e/testdata/compose.test.yaml")
	assert.Empty(t, warned)
	for name, svc := range p.Services {
		want := map[string]uint32{"postgres": 5432, "redis": 6379, "gateway": 8080}[name]
		if want == 0 {
			assert.Empty(t, svc.Ports, name)
			continue
		}
		require.Len(t, svc.Ports, 1, name)
		assert.Equal(t, "127.0.0.1", svc.Ports[0].HostIP, name)
		assert.Empty(t, svc.Ports[0].Published, "%s: ephemeral host port", name)
		assert.Equal(t, want, svc.Ports[0].Target, name)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func flag(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return "(missing)"
}

func flags(args []string, name string) []string {
	var out []string
	for i, a := range args {
		if a == name && i+1 < len(args) {
			out = append(out, args[i+1])
		}
	}
	return out
}

func firstKey(m types.DependsOnConfig, key string) string {
	if _, ok := m[key]; ok {
		return key
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
