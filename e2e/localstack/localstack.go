// Package localstack runs Orderflow as local processes: the five service
// binaries, each with its own daprd sidecar, against a PostgreSQL and a Redis given by URL.
// `make run` uses it with fixed ports, and the local e2e suite with free ports, private
// databases and a private Redis database per test.
//
// A Stack:
//   - creates the services' databases and roles (orders, payments, notifications, analytics,
//     optionally with a prefix so that parallel tests never share one) when they are missing;
//   - builds the service binaries once per process and BinDir (go build, workspace mode);
//   - starts each service with its environment and a daprd with the local components, the
//     shared resiliency and subscriptions and the local configuration (sqlite name resolution:
//     all sidecars of a stack share one working directory, hence one sqlite file);
//   - waits until every service answers /readyz and every sidecar /v1.0/healthz;
//   - stops everything in reverse order (SIGTERM, then SIGKILL after StopTimeout), and can
//     kill, stop and start a single service for fault tests.
package localstack

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderflow/orderflow/pkg/platform/daprtest"
)

// Service names (Dapr app ids).
const (
	Gateway      = "gateway"
	Order        = "order"
	Payment      = "payment"
	Notification = "notification"
	Analytics    = "analytics"
)

// Services lists every service in start order: the gateway, which calls the others, last.
var Services = []string{Order, Payment, Notification, Analytics, Gateway}

// Databases maps each service with a database to the database's (and its role's) base name.
var Databases = map[string]string{
	Order:        "orders",
	Payment:      "payments",
	Notification: "notifications",
	Analytics:    "analytics",
}

// Defaults of Options.
const (
	DefaultDatabaseAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultRedisAddr        = "127.0.0.1:6379"
	DefaultAPIKeys          = "orderflow-dev-key:dev-client"
	DefaultAdminAPIKeys     = "orderflow-dev-admin-key:dev-admin"
	DefaultReadyTimeout     = 120 * time.Second
	DefaultStopTimeout      = 15 * time.Second
)

// Ports are the ports of one service and its sidecar. A zero port is chosen free at start.
type Ports struct {
	App          int
	DaprHTTP     int
	DaprGRPC     int
	DaprInternal int
	DaprMetrics  int
}

// FixedPorts are the ports of `make run`: apps on 8080-8084, Dapr HTTP on
// 3500-3504 and gRPC on 50001-50005 in the same order; internal and metrics ports are free.
func FixedPorts() map[string]Ports {
	ports := map[string]Ports{}
	for i, svc := range []string{Gateway, Order, Payment, Notification, Analytics} {
		ports[svc] = Ports{App: 8080 + i, DaprHTTP: 3500 + i, DaprGRPC: 50001 + i}
	}
	return ports
}

// Options configure a Stack. Zero values take the defaults documented on each field.
type Options struct {
	// RepoRoot is the repository (holding go.work); default: found above the working directory.
	RepoRoot string
	// BinDir receives the service binaries; default RepoRoot/.run/bin. They are built once per
	// process and BinDir, unless SkipBuild is set (then they must exist).
	BinDir    string
	SkipBuild bool
	// Daprd is the daprd binary; default daprtest.Find ($DAPRD, PATH, ~/.dapr/bin/daprd).
	Daprd string
	// Services to run; default Services (all five).
	Services []string
	// Ports per service; missing services and zero fields get free ports.
	Ports map[string]Ports

	// DatabaseAdminURL is a role allowed to create databases and roles; default
	// DefaultDatabaseAdminURL.
	DatabaseAdminURL string
	// DatabasePrefix is put before each database and role name (e.g. "e2e_x1_" → "e2e_x1_orders");
	// empty: orders, payments, notifications, analytics.
	DatabasePrefix string
	// DropDatabases drops the databases and roles when the stack stops (private test databases).
	DropDatabases bool

	// RedisAddr, RedisPassword and RedisDB locate the Redis used as the broker (Redis Streams,
	// through the sidecars) and by the gateway (idempotency cache, rate limits).
	RedisAddr     string
	RedisPassword string
	RedisDB       int

	// AppToken (APP_API_TOKEN, sidecar → app) and APIToken (DAPR_API_TOKEN, app → sidecar);
	// default: random per stack.
	AppToken string
	APIToken string
	// APIKeys and AdminAPIKeys are the gateway's API_KEYS and ADMIN_API_KEYS ("key:client,...");
	// default DefaultAPIKeys and DefaultAdminAPIKeys.
	APIKeys      string
	AdminAPIKeys string
	// RateLimitPerMinute is the gateway's RATE_LIMIT_PER_MINUTE; 0 keeps the gateway's default.
	RateLimitPerMinute int
	// PaymentDeclineAbove is payment's PAYMENT_DECLINE_ABOVE; 0 keeps payment's default.
	PaymentDeclineAbove int64
	// Env holds extra variables per service ("NAME=value"), applied last.
	Env map[string][]string

	// WorkDir is the sidecars' working directory (the sqlite name-resolution file lives here);
	// default a temporary directory, removed at Stop (with the logs, if LogDir is inside it).
	WorkDir string
	// LogDir receives <service>.log and <service>.daprd.log; default WorkDir/logs.
	LogDir string
	// LogLevel is the services' LOG_LEVEL (default info); DaprLogLevel daprd's (default info).
	LogLevel     string
	DaprLogLevel string

	// ReadyTimeout bounds the wait for every service to be ready; default DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// StopTimeout is how long a process may take after SIGTERM before SIGKILL; default
	// DefaultStopTimeout.
	StopTimeout time.Duration

	// Logger receives the stack's progress; default discards.
	Logger *slog.Logger
}

// Stack is a running set of services and sidecars.
type Stack struct {
	opts      Options
	dbURLs    map[string]string
	ports     map[string]Ports
	ownWork   bool
	log       *slog.Logger
	exited    chan string
	mu        sync.Mutex
	pairs     map[string]*pair
	stopped   bool
	dbCleanup func(context.Context) error
}

// pair is a service and its sidecar.
type pair struct {
	app, dapr *process
}

// Start prepares the databases, builds the binaries and starts the stack; it returns when every
// service is ready. On error everything started is stopped again.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	s := &Stack{pairs: map[string]*pair{}, exited: make(chan string, 32)}
	if err := s.setDefaults(&opts); err != nil {
		return nil, err
	}
	s.opts, s.log = opts, opts.Logger
	defer func() {
		if err != nil {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*opts.StopTimeout)
			defer cancel()
			_ = s.Stop(stopCtx)
		}
	}()
	if err := os.MkdirAll(opts.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("localstack: log dir: %w", err)
	}
	if err := s.allocatePorts(); err != nil {
		return nil, err
	}
	s.dbURLs, s.dbCleanup, err = prepareDatabases(ctx, opts, s.log)
	if err != nil {
		return nil, err
	}
	if !opts.SkipBuild {
		if err := Build(ctx, opts.RepoRoot, opts.BinDir, opts.Services, s.log); err != nil {
			return nil, err
		}
	}
	for _, svc := range opts.Services {
		if err := s.launch(svc); err != nil {
			return nil, err
		}
	}
	if err := s.waitReady(ctx, opts.Services...); err != nil {
		return nil, err
	}
	s.log.Info("stack ready", "gateway", s.GatewayURL(), "logs", opts.LogDir)
	return s, nil
}

func (s *Stack) setDefaults(o *Options) error {
	if o.RepoRoot == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		if o.RepoRoot, err = daprtest.FindRepoRoot(wd); err != nil {
			return fmt.Errorf("localstack: %w", err)
		}
	}
	o.BinDir = cmp.Or(o.BinDir, filepath.Join(o.RepoRoot, ".run", "bin"))
	if o.Daprd == "" {
		p, err := daprtest.Find()
		if err != nil {
			return fmt.Errorf("localstack: %w", err)
		}
		o.Daprd = p
	}
	if len(o.Services) == 0 {
		o.Services = Services
	}
	o.Services = ordered(o.Services)
	for _, svc := range o.Services {
		if !slices.Contains(Services, svc) {
			return fmt.Errorf("localstack: unknown service %q", svc)
		}
	}
	o.DatabaseAdminURL = cmp.Or(o.DatabaseAdminURL, DefaultDatabaseAdminURL)
	o.RedisAddr = cmp.Or(o.RedisAddr, DefaultRedisAddr)
	o.AppToken = cmp.Or(o.AppToken, randomToken())
	o.APIToken = cmp.Or(o.APIToken, randomToken())
	o.APIKeys = cmp.Or(o.APIKeys, DefaultAPIKeys)
	o.AdminAPIKeys = cmp.Or(o.AdminAPIKeys, DefaultAdminAPIKeys)
	if o.WorkDir == "" {
		dir, err := os.MkdirTemp("", "orderflow-local-*")
		if err != nil {
			return fmt.Errorf("localstack: work dir: %w", err)
		}
		o.WorkDir, s.ownWork = dir, true
	}
	if err := os.MkdirAll(o.WorkDir, 0o755); err != nil {
		return fmt.Errorf("localstack: work dir: %w", err)
	}
	o.LogDir = cmp.Or(o.LogDir, filepath.Join(o.WorkDir, "logs"))
	o.LogLevel = cmp.Or(o.LogLevel, "info")
	o.DaprLogLevel = cmp.Or(o.DaprLogLevel, "info")
	o.ReadyTimeout = cmp.Or(o.ReadyTimeout, DefaultReadyTimeout)
	o.StopTimeout = cmp.Or(o.StopTimeout, DefaultStopTimeout)
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// ordered returns svcs in start order (the order of Services), without duplicates.
func ordered(svcs []string) []string {
	var out []string
	for _, svc := range Services {
		if slices.Contains(svcs, svc) {
			out = append(out, svc)
		}
	}
	for _, svc := range svcs {
		if !slices.Contains(Services, svc) {
			out = append(out, svc) // rejected by the caller
		}
	}
	return out
}

func randomToken() string { return strings.ToLower(rand.Text()) }

// allocatePorts fills every zero port with a free one and checks that fixed ports are free.
func (s *Stack) allocatePorts() error {
	s.ports = map[string]Ports{}
	taken := map[int]string{}
	for _, svc := range s.opts.Services {
		p := s.opts.Ports[svc]
		for _, f := range []*int{&p.App, &p.DaprHTTP, &p.DaprGRPC, &p.DaprInternal, &p.DaprMetrics} {
			if *f == 0 {
				for {
					port, err := freePort()
					if err != nil {
						return fmt.Errorf("localstack: free port: %w", err)
					}
					if _, dup := taken[port]; !dup {
						*f = port
						break
					}
				}
			} else if err := checkFree(*f); err != nil {
				return fmt.Errorf("localstack: %s: port %d is in use (another `make run`?): %w", svc, *f, err)
			}
			if other, dup := taken[*f]; dup {
				return fmt.Errorf("localstack: port %d given to %s and %s", *f, other, svc)
			}
			taken[*f] = svc
		}
		s.ports[svc] = p
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func checkFree(port int) error {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return err
	}
	return l.Close()
}

// appEnv is the environment of a service process (added to the launcher's environment).
func (s *Stack) appEnv(svc string) []string {
	o, p := s.opts, s.ports[svc]
	env := []string{
		"APP_PORT=" + strconv.Itoa(p.App),
		"DAPR_HOST=127.0.0.1",
		"DAPR_HTTP_PORT=" + strconv.Itoa(p.DaprHTTP),
		"DAPR_GRPC_PORT=" + strconv.Itoa(p.DaprGRPC),
		"APP_API_TOKEN=" + o.AppToken,
		"DAPR_API_TOKEN=" + o.APIToken,
		"LOG_LEVEL=" + o.LogLevel,
	}
	if url, ok := s.dbURLs[svc]; ok {
		env = append(env, "DATABASE_URL="+url)
	}
	switch svc {
	case Gateway:
		env = append(env,
			"API_KEYS="+o.APIKeys,
			"ADMIN_API_KEYS="+o.AdminAPIKeys,
			"REDIS_ADDR="+o.RedisAddr,
			"REDIS_PASSWORD="+o.RedisPassword,
			"REDIS_DB="+strconv.Itoa(o.RedisDB),
		)
		if o.RateLimitPerMinute > 0 {
			env = append(env, "RATE_LIMIT_PER_MINUTE="+strconv.Itoa(o.RateLimitPerMinute))
		}
	case Payment:
		if o.PaymentDeclineAbove > 0 {
			env = append(env, "PAYMENT_DECLINE_ABOVE="+strconv.FormatInt(o.PaymentDeclineAbove, 10))
		}
	}
	return append(env, o.Env[svc]...)
}

// daprOptions are the sidecar's settings, in daprtest's terms.
func (s *Stack) daprOptions(svc string) daprtest.Options {
	o := s.opts
	return daprtest.Options{
		AppID:          svc,
		AppPort:        s.ports[svc].App,
		ResourcesPaths: daprtest.DefaultResourcesPaths(o.RepoRoot),
		Config:         daprtest.DefaultConfig(o.RepoRoot),
		AppToken:       o.AppToken,
		APIToken:       o.APIToken,
		RedisAddr:      o.RedisAddr,
		RedisDB:        o.RedisDB,
		Dir:            o.WorkDir,
		Env:            []string{"REDIS_PASSWORD=" + o.RedisPassword},
		LogLevel:       o.DaprLogLevel,
	}
}

// launch starts a service and its sidecar without waiting for them.
func (s *Stack) launch(svc string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.pairs[svc]; p != nil && (p.app.running() || p.dapr.running()) {
		return fmt.Errorf("localstack: %s is running", svc)
	}
	p := s.ports[svc]
	app, err := startProcess(svc, filepath.Join(s.opts.BinDir, svc), nil, s.appEnv(svc), s.opts.WorkDir,
		filepath.Join(s.opts.LogDir, svc+".log"), s.exited)
	if err != nil {
		return fmt.Errorf("localstack: start %s: %w", svc, err)
	}
	dopts := s.daprOptions(svc)
	args := daprtest.Args(dopts, daprtest.Ports{HTTP: p.DaprHTTP, GRPC: p.DaprGRPC, Internal: p.DaprInternal, Metrics: p.DaprMetrics})
	dapr, err := startProcess(svc+".daprd", s.opts.Daprd, args, daprtest.Env(dopts), s.opts.WorkDir,
		filepath.Join(s.opts.LogDir, svc+".daprd.log"), s.exited)
	if err != nil {
		app.stop(s.opts.StopTimeout)
		return fmt.Errorf("localstack: start %s sidecar: %w", svc, err)
	}
	s.pairs[svc] = &pair{app: app, dapr: dapr}
	s.log.Info("started", "service", svc, "app_port", p.App, "dapr_http_port", p.DaprHTTP, "pid", app.pid(), "daprd_pid", dapr.pid())
	return nil
}

// waitReady waits until each service answers /readyz with 2xx and its sidecar /v1.0/healthz.
func (s *Stack) waitReady(ctx context.Context, svcs ...string) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadyTimeout)
	defer cancel()
	errs := make(chan error, len(svcs))
	for _, svc := range svcs {
		go func() { errs <- s.waitOne(ctx, svc) }()
	}
	var all []error
	for range svcs {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

func (s *Stack) waitOne(ctx context.Context, svc string) error {
	s.mu.Lock()
	p := s.pairs[svc]
	s.mu.Unlock()
	ports := s.ports[svc]
	checks := []struct {
		proc *process
		url  string
	}{
		{p.app, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports.App)},
		{p.dapr, fmt.Sprintf("http://127.0.0.1:%d/v1.0/healthz", ports.DaprHTTP)},
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for _, c := range checks {
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
			resp, err := client.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					break
				}
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			select {
			case <-c.proc.done:
				return fmt.Errorf("localstack: %s exited before it was ready (%s)\n%s", c.proc.name, c.proc.exitState(), s.LogTail(c.proc.name, 40))
			case <-ctx.Done():
				return fmt.Errorf("localstack: %s not ready at %s: %v\n%s\n%s", svc, c.url, err,
					s.LogTail(svc, 30), s.LogTail(svc+".daprd", 30))
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// GatewayURL is the gateway's base URL, e.g. http://127.0.0.1:8080.
func (s *Stack) GatewayURL() string { return s.URL(Gateway) }

// URL is a service's own base URL (not through Dapr).
func (s *Stack) URL(svc string) string {
	return "http://127.0.0.1:" + strconv.Itoa(s.ports[svc].App)
}

// Ports returns the ports of a service and its sidecar.
func (s *Stack) Ports(svc string) Ports { return s.ports[svc] }

// DatabaseURL is the DATABASE_URL of a service ("" for the gateway).
func (s *Stack) DatabaseURL(svc string) string { return s.dbURLs[svc] }

// Options returns the effective options (defaults filled in).
func (s *Stack) Options() Options { return s.opts }

// LogDir is where the processes' logs are.
func (s *Stack) LogDir() string { return s.opts.LogDir }

// Exited reports the name of a process that ended although nobody stopped it (a crash). The
// processes of Kill and StopService are not reported.
func (s *Stack) Exited() <-chan string { return s.exited }

// Kill ends a service and its sidecar at once with SIGKILL, as a crash of its pod would.
func (s *Stack) Kill(svc string) error {
	p, err := s.pair(svc)
	if err != nil {
		return err
	}
	p.dapr.kill()
	p.app.kill()
	s.log.Info("killed", "service", svc)
	return nil
}

// StopService stops a service's sidecar and then the service (SIGTERM, SIGKILL after
// StopTimeout).
func (s *Stack) StopService(svc string) error {
	p, err := s.pair(svc)
	if err != nil {
		return err
	}
	p.dapr.stop(s.opts.StopTimeout)
	p.app.stop(s.opts.StopTimeout)
	s.log.Info("stopped", "service", svc)
	return nil
}

// StartService starts a stopped or killed service and its sidecar again, on the same ports and
// databases, and waits until both are ready.
func (s *Stack) StartService(ctx context.Context, svc string) error {
	if _, err := s.pair(svc); err != nil {
		return err
	}
	if err := s.launch(svc); err != nil {
		return err
	}
	return s.waitReady(ctx, svc)
}

// Restart stops a service and its sidecar gracefully and starts them again.
func (s *Stack) Restart(ctx context.Context, svc string) error {
	if err := s.StopService(svc); err != nil {
		return err
	}
	return s.StartService(ctx, svc)
}

func (s *Stack) pair(svc string) (*pair, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pairs[svc]
	if p == nil {
		return nil, fmt.Errorf("localstack: %s is not part of the stack", svc)
	}
	return p, nil
}

// Stop stops every service in reverse start order — each sidecar first, then its service —
// drops private databases (DropDatabases) and removes a temporary WorkDir. It may be called
// more than once.
func (s *Stack) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	pairs := s.pairs
	s.mu.Unlock()
	svcs := slices.Clone(s.opts.Services)
	slices.Reverse(svcs)
	for _, svc := range svcs {
		if p := pairs[svc]; p != nil {
			p.dapr.stop(s.opts.StopTimeout)
			p.app.stop(s.opts.StopTimeout)
			s.log.Info("stopped", "service", svc)
		}
	}
	var errs []error
	if s.dbCleanup != nil {
		errs = append(errs, s.dbCleanup(ctx))
	}
	if s.ownWork {
		errs = append(errs, os.RemoveAll(s.opts.WorkDir))
	}
	return errors.Join(errs...)
}

// LogTail returns the last n lines of a process's log ("order" or "order.daprd").
func (s *Stack) LogTail(name string, n int) string {
	b, err := os.ReadFile(filepath.Join(s.opts.LogDir, name+".log"))
	if err != nil {
		return fmt.Sprintf("(%s: no log: %v)", name, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "--- " + name + " (last " + strconv.Itoa(len(lines)) + " lines)\n" + strings.Join(lines, "\n")
}

// Logs returns a process's whole log ("order" or "order.daprd").
func (s *Stack) Logs(name string) string {
	b, err := os.ReadFile(filepath.Join(s.opts.LogDir, name+".log"))
	if err != nil {
		return ""
	}
	return string(b)
}
