package localstack

import (
	"net"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFixedPorts(t *testing.T) {
	ports := FixedPorts()
	assert.Equal(t, 8080, ports[Gateway].App)
	assert.Equal(t, 8081, ports[Order].App)
	assert.Equal(t, 8082, ports[Payment].App)
	assert.Equal(t, 8083, ports[Notification].App)
	assert.Equal(t, 8084, ports[Analytics].App)
	seen := map[int]bool{}
	for _, svc := range Services {
		p := ports[svc]
		for _, port := range []int{p.App, p.DaprHTTP, p.DaprGRPC} {
			assert.False(t, seen[port], "port %d used twice", port)
			seen[port] = true
		}
		assert.Zero(t, p.DaprInternal, "internal and metrics ports are chosen free")
		assert.Zero(t, p.DaprMetrics)
	}
}

func TestAllocatePorts(t *testing.T) {
	s := &Stack{opts: Options{Services: Services, Ports: map[string]Ports{Gateway: {App: freeForTest(t)}}}}
	require.NoError(t, s.allocatePorts())
	seen := map[int]string{}
	for _, svc := range Services {
		p := s.Ports(svc)
		for _, port := range []int{p.App, p.DaprHTTP, p.DaprGRPC, p.DaprInternal, p.DaprMetrics} {
			require.NotZero(t, port, svc)
			require.NotContains(t, seen, port, "port %d of %s also given to %s", port, svc, seen[port])
			seen[port] = svc
		}
	}
	assert.Equal(t, s.opts.Ports[Gateway].App, s.Ports(Gateway).App, "a fixed port is kept")

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	taken := busy.Addr().(*net.TCPAddr).Port
	s = &Stack{opts: Options{Services: []string{Order}, Ports: map[string]Ports{Order: {App: taken}}}}
	assert.ErrorContains(t, s.allocatePorts(), "port "+strconv.Itoa(taken)+" is in use")
}

func TestAppEnv(t *testing.T) {
	s := &Stack{
		opts: Options{
			AppToken: "app-token", APIToken: "api-token", APIKeys: "k:c", AdminAPIKeys: "a:admin",
			RedisAddr: "127.0.0.1:6390", RedisDB: 7, RateLimitPerMinute: 5000, PaymentDeclineAbove: 42,
			LogLevel: "debug", Env: map[string][]string{Payment: {"EXTRA=1"}},
		},
		ports:  map[string]Ports{Gateway: {App: 18080, DaprHTTP: 13500, DaprGRPC: 15001}, Payment: {App: 18082, DaprHTTP: 13502, DaprGRPC: 15003}},
		dbURLs: map[string]string{Payment: "postgres://payments@db/payments"},
	}
	gw := s.appEnv(Gateway)
	for _, want := range []string{"APP_PORT=18080", "DAPR_HOST=127.0.0.1", "DAPR_HTTP_PORT=13500", "DAPR_GRPC_PORT=15001",
		"APP_API_TOKEN=app-token", "DAPR_API_TOKEN=api-token", "API_KEYS=k:c", "ADMIN_API_KEYS=a:admin",
		"REDIS_ADDR=127.0.0.1:6390", "REDIS_DB=7", "RATE_LIMIT_PER_MINUTE=5000", "LOG_LEVEL=debug"} {
		assert.Contains(t, gw, want)
	}
	assert.False(t, slices.ContainsFunc(gw, func(v string) bool { return len(v) > 13 && v[:13] == "DATABASE_URL=" }), "the gateway has no database")

	pay := s.appEnv(Payment)
	assert.Contains(t, pay, "DATABASE_URL=postgres://payments@db/payments")
	assert.Contains(t, pay, "PAYMENT_DECLINE_ABOVE=42")
	assert.NotContains(t, pay, "API_KEYS=k:c")
	assert.Equal(t, "EXTRA=1", pay[len(pay)-1], "extra variables come last, so they win")

	d := s.daprOptions(Payment)
	assert.Equal(t, Payment, d.AppID)
	assert.Equal(t, 18082, d.AppPort)
	assert.Equal(t, 7, d.RedisDB)
	assert.Equal(t, "127.0.0.1:6390", d.RedisAddr)
	assert.Equal(t, "app-token", d.AppToken)
}

func TestOrdered(t *testing.T) {
	assert.Equal(t, []string{Order, Payment, Gateway}, ordered([]string{Gateway, Payment, Order, Payment}))
	s := &Stack{}
	err := s.setDefaults(&Options{RepoRoot: t.TempDir(), Daprd: "/bin/true", Services: []string{"billing"}, WorkDir: t.TempDir()})
	assert.ErrorContains(t, err, `unknown service "billing"`)
}

func freeForTest(t *testing.T) int {
	t.Helper()
	p, err := freePort()
	require.NoError(t, err)
	return p
}
