// Package daprtest runs a real Dapr sidecar (daprd) for a test: free ports, the project's
// deploy/dapr resources, a private Redis database for the broker, and logs kept for failures.
//
// The daprd binary is found in $DAPRD, on PATH, or in ~/.dapr/bin/daprd. When none is found
// the test is skipped — or fails when CI=true, so CI can never pass by skipping.
//
// It imports no Dapr SDK (nor anything beyond the standard library and logtest), so that any
// module, e2e included, can use it without taking on the SDK's dependencies.
package daprtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orderflow/orderflow/pkg/platform/logging/logtest"
)

// InCI reports whether the tests run in CI (CI=true), where missing prerequisites fail.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require skips the test (or fails it in CI) with reason.
func Require(t testing.TB, ok bool, reason string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("prerequisite missing in CI: %s", reason)
	}
	t.Skip(reason)
}

// ErrNoDaprd is returned by Find when no daprd binary is found.
var ErrNoDaprd = errors.New("daprd not found: set DAPRD, put daprd on PATH or run `dapr init`")

// Find returns the daprd binary's path: $DAPRD, daprd on PATH, or ~/.dapr/bin/daprd. It is the
// lookup of Binary for programs that are not tests (e.g. the local-process launcher).
func Find() (string, error) {
	if p := os.Getenv("DAPRD"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("daprd"); err == nil {
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, ".dapr", "bin", "daprd")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoDaprd
}

// Binary returns the daprd binary's path.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := Find()
	Require(t, err == nil, ErrNoDaprd.Error())
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RepoRoot returns the repository root (the directory holding go.work).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := FindRepoRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// FindRepoRoot returns the repository root: the first directory holding go.work at or above dir.
func FindRepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("daprtest: go.work not found above " + dir)
		}
		dir = parent
	}
}

// DefaultResourcesPaths are the --resources-path folders of a local sidecar below the
// repository root: the local components, the shared resiliency and the shared subscriptions.
func DefaultResourcesPaths(root string) []string {
	return []string{
		filepath.Join(root, "deploy", "dapr", "components", "local"),
		filepath.Join(root, "deploy", "dapr", "resiliency"),
		filepath.Join(root, "deploy", "dapr", "subscriptions"),
	}
}

// DefaultConfig is the --config of a local sidecar below the repository root (sqlite name
// resolution).
func DefaultConfig(root string) string {
	return filepath.Join(root, "deploy", "dapr", "config", "local.yaml")
}

// DaprPath returns a path below the repository's deploy/dapr.
func DaprPath(t testing.TB, parts ...string) string {
	t.Helper()
	return filepath.Join(append([]string{RepoRoot(t), "deploy", "dapr"}, parts...)...)
}

// ResourcesPathsWithoutSubscriptions are the --resources-path folders of a sidecar that
// subscribes to nothing (it publishes or invokes only): the local components and the shared
// resiliency of deploy/dapr.
func ResourcesPathsWithoutSubscriptions(t testing.TB) []string {
	t.Helper()
	return []string{DaprPath(t, "components", "local"), DaprPath(t, "resiliency")}
}

// Options describe one sidecar.
type Options struct {
	AppID   string
	AppPort int // 0: no app channel (publish-only sidecar)
	// ResourcesPaths default to the local components, the shared resiliency and the shared
	// subscriptions of deploy/dapr. daprd reads only files directly inside each path.
	ResourcesPaths []string
	Config         string // default deploy/dapr/config/local.yaml
	AppToken       string // APP_API_TOKEN: sent by the sidecar to the app as dapr-api-token
	APIToken       string // DAPR_API_TOKEN: required by the sidecar from the app
	RedisDB        int    // REDIS_DB of the pub/sub component (see RedisDB)
	RedisAddr      string // REDIS_HOST of the pub/sub component; default RedisAddr()
	Dir            string // working directory (the sqlite name-resolution file lives here); default t.TempDir()
	Env            []string
	LogLevel       string // default "info"
}

// Ports are the ports a sidecar listens on (all on 127.0.0.1).
type Ports struct {
	HTTP     int
	GRPC     int
	Internal int
	Metrics  int
}

// Args returns daprd's command line (without the binary) for opts listening on ports.
// opts.ResourcesPaths and opts.Config are used as given (see DefaultResourcesPaths and
// DefaultConfig); an empty LogLevel means "info".
func Args(opts Options, ports Ports) []string {
	logLevel := opts.LogLevel
	if logLevel == "" {
		logLevel = "info"
	}
	args := []string{
		"--app-id", opts.AppID,
		"--dapr-http-port", strconv.Itoa(ports.HTTP),
		"--dapr-grpc-port", strconv.Itoa(ports.GRPC),
		"--dapr-internal-grpc-port", strconv.Itoa(ports.Internal),
		"--metrics-port", strconv.Itoa(ports.Metrics),
		"--dapr-listen-addresses", "127.0.0.1",
		"--config", opts.Config,
		"--log-level", logLevel,
		"--placement-host-address", "",
		"--scheduler-host-address", "",
	}
	if opts.AppPort > 0 {
		args = append(args, "--app-port", strconv.Itoa(opts.AppPort), "--app-protocol", "http", "--app-channel-address", "127.0.0.1")
	}
	for _, p := range opts.ResourcesPaths {
		args = append(args, "--resources-path", p)
	}
	return args
}

// Env returns the variables daprd needs for opts, to append to the process environment: the
// host IP it announces, the Redis of the pub/sub component, the API tokens and opts.Env.
func Env(opts Options) []string {
	redisAddr := opts.RedisAddr
	if redisAddr == "" {
		redisAddr = RedisAddr()
	}
	env := []string{
		"DAPR_HOST_IP=127.0.0.1",
		"REDIS_HOST=" + redisAddr,
		"REDIS_PASSWORD=",
		"REDIS_DB=" + strconv.Itoa(opts.RedisDB),
		"APP_API_TOKEN=" + opts.AppToken,
		"DAPR_API_TOKEN=" + opts.APIToken,
	}
	return append(env, opts.Env...)
}

// Sidecar is a running daprd.
type Sidecar struct {
	AppID        string
	APIToken     string // Options.APIToken: what a client of the sidecar must send
	HTTPPort     int
	GRPCPort     int
	InternalPort int
	MetricsPort  int

	cmd  *exec.Cmd
	logs *logtest.Buffer
	done chan struct{}
	once sync.Once
}

// Start runs daprd with opts and waits until its outbound health answers (components loaded).
// The sidecar is stopped at the end of the test; its log is printed when the test failed.
func Start(t testing.TB, opts Options) *Sidecar {
	t.Helper()
	bin := Binary(t)
	if opts.ResourcesPaths == nil {
		opts.ResourcesPaths = DefaultResourcesPaths(RepoRoot(t))
	}
	if opts.Config == "" {
		opts.Config = DefaultConfig(RepoRoot(t))
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s := &Sidecar{
		AppID:        opts.AppID,
		APIToken:     opts.APIToken,
		HTTPPort:     FreePort(t),
		GRPCPort:     FreePort(t),
		InternalPort: FreePort(t),
		MetricsPort:  FreePort(t),
		logs:         &logtest.Buffer{},
		done:         make(chan struct{}),
	}
	ports := Ports{HTTP: s.HTTPPort, GRPC: s.GRPCPort, Internal: s.InternalPort, Metrics: s.MetricsPort}
	cmd := exec.Command(bin, Args(opts, ports)...)
	cmd.Dir = opts.Dir
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), Env(opts)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("daprd: start: %v", err)
	}
	s.cmd = cmd
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("daprd %s log:\n%s", opts.AppID, s.Logs())
		}
	})
	if err := s.waitOutbound(30 * time.Second); err != nil {
		t.Fatalf("daprd %s not healthy: %v\n%s", opts.AppID, err, s.Logs())
	}
	return s
}

func (s *Sidecar) waitOutbound(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	url := fmt.Sprintf("http://127.0.0.1:%d/v1.0/healthz/outbound", s.HTTPPort)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("daprd exited")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop sends SIGTERM and waits up to 10 s, then kills.
func (s *Sidecar) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	})
}

// Kill stops the sidecar at once (SIGKILL), as a crash would.
func (s *Sidecar) Kill() {
	s.once.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	})
}

// Logs returns what daprd printed so far.
func (s *Sidecar) Logs() string { return s.logs.String() }

// HTTPBase is the sidecar's HTTP API root.
func (s *Sidecar) HTTPBase() string { return "http://127.0.0.1:" + strconv.Itoa(s.HTTPPort) }

// App is an app server a sidecar delivers to, such as an *httpserver.Server.
type App interface {
	// Run serves until ctx is cancelled and returns nil after a clean shutdown.
	Run(ctx context.Context) error
	// Started is closed once Run listens.
	Started() <-chan struct{}
	// Addr is the address Run listens on, once it does.
	Addr() string
}

// ServeApp runs app until the test ends, when it must stop cleanly, and returns the port it
// listens on (Options.AppPort of its sidecar) once it does: give app a listen address with
// port 0. Call it before starting the app's sidecar: cleanups run in reverse, so the sidecar
// stops before the app.
func ServeApp(t testing.TB, app App) int {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Run(ctx) }()
	select {
	case <-app.Started():
	case err := <-served:
		stop()
		t.Fatalf("daprtest: app did not start: %v", err)
	}
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("daprtest: app did not stop cleanly: %v", err)
		}
	})
	_, port, err := net.SplitHostPort(app.Addr())
	if err != nil {
		t.Fatalf("daprtest: app address %q: %v", app.Addr(), err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("daprtest: app address %q: %v", app.Addr(), err)
	}
	return n
}

// StartApp serves app (ServeApp) and starts its sidecar with opts, whose AppPort is set to the
// port app listens on. Both stop when the test ends, the sidecar first.
func StartApp(t testing.TB, app App, opts Options) *Sidecar {
	t.Helper()
	opts.AppPort = ServeApp(t, app)
	return Start(t, opts)
}
