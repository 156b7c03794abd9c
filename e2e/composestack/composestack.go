// Package composestack runs the repository's docker-compose.yaml for the e2e suite's compose mode,
// through testcontainers-go's compose module (compose as a library: no docker compose plugin
// needed), and gives the suite the handles it needs on the running stack: published ports that
// survive container restarts, and container stops, starts and kills for fault injection.
//
// The stack is the user's stack: the same compose file, Dockerfile, images and Dapr resources,
// plus test-only override files (e.g. publishing Postgres and Redis on ephemeral loopback ports).
// Images are built one at a time before `up` (compose would build the five in parallel), with
// the build configuration compose itself resolves from the files, and tagged the way compose
// names them, so `up` uses them as they are.
package composestack

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tccompose "github.com/testcontainers/testcontainers-go/modules/compose"
	"github.com/testcontainers/testcontainers-go/wait"
)

// HostOverrideEnv is the testcontainers setting naming the host where published ports are
// reached. Start refuses to run without it: left unset inside a container, testcontainers dials
// the machine's default gateway instead of the local daemon's loopback.
const HostOverrideEnv = "TESTCONTAINERS_HOST_OVERRIDE"

// Options configure Start.
type Options struct {
	// Dir is the directory of the compose project (docker-compose.yaml, Dockerfile, .env).
	Dir string
	// Files are the compose files, relative to Dir or absolute; the first one is the main file
	// (default: docker-compose.yaml). Later files are applied over it.
	Files []string
	// Project is the compose project name; unique per run, so runs never share containers,
	// networks, volumes or image tags.
	Project string
	// Env holds variables for the compose files. They take precedence over the process
	// environment, which takes precedence over a .env file in Dir (compose's own order).
	Env map[string]string
	// Waits are readiness checks per service, run after `up` (which already waits for every
	// healthcheck).
	Waits map[string]wait.Strategy
	// BuildHostCA adds the host's CA bundle (SSL_CERT_FILE, else /etc/ssl/certs/ca-certificates.crt)
	// to the builder image named by GO_IMAGE before building, for machines whose outbound
	// HTTPS goes through an intercepting proxy. The compiled binaries are the same.
	BuildHostCA bool
	// Logf receives progress lines (default: discarded).
	Logf func(format string, args ...any)
	// BuildLog receives the image builds' output (default: discarded).
	BuildLog io.Writer
}

// Stack is a running compose project.
type Stack struct {
	opts    Options
	compose *tccompose.DockerCompose
	docker  *testcontainers.DockerClient
	project *types.Project
	host    string

	mu  sync.Mutex
	ids map[string]string // service → container id
}

// Start builds the images and brings the stack up. On error, the returned Stack (when not nil)
// still has to be brought Down: containers may have been created.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	host := os.Getenv(HostOverrideEnv)
	if host == "" {
		return nil, fmt.Errorf("%s is not set: testcontainers would guess the Docker host (and dial the default gateway when it runs in a container)", HostOverrideEnv)
	}
	if opts.Project == "" || opts.Dir == "" {
		return nil, errors.New("composestack: Dir and Project are required")
	}
	if len(opts.Files) == 0 {
		opts.Files = []string{"docker-compose.yaml"}
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.BuildLog == nil {
		opts.BuildLog = io.Discard
	}
	opts.Env = maps.Clone(opts.Env)
	if opts.Env == nil {
		opts.Env = map[string]string{}
	}
	files := make([]string, len(opts.Files))
	for i, f := range opts.Files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(opts.Dir, f)
		}
		files[i] = f
	}

	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	s := &Stack{opts: opts, docker: docker, host: host, ids: map[string]string{}}

	if opts.BuildHostCA {
		if err := s.deriveBuilder(ctx); err != nil {
			_ = docker.Close()
			return nil, err
		}
	}
	// deriveBuilder may have changed GO_IMAGE: from here on s.opts.Env is the environment.
	project, err := LoadProject(ctx, opts.Dir, files, opts.Project, s.opts.Env)
	if err != nil {
		_ = docker.Close()
		return nil, err
	}
	s.project = project
	if err := s.buildImages(ctx); err != nil {
		return s, err // Down removes the images already built
	}

	stack, err := tccompose.NewDockerComposeWith(tccompose.WithStackFiles(files...), tccompose.StackIdentifier(opts.Project))
	if err != nil {
		return s, fmt.Errorf("compose: %w", err) // Down removes the images built
	}
	s.compose = stack
	stack.WithEnv(s.opts.Env)
	for svc, w := range opts.Waits {
		stack.WaitForService(svc, w)
	}
	opts.Logf("compose: up (project %s)", opts.Project)
	start := time.Now()
	if err := stack.Up(ctx, tccompose.Wait(true), tccompose.RemoveOrphans(true)); err != nil {
		return s, fmt.Errorf("compose up: %w", err)
	}
	opts.Logf("compose: up and ready in %s", time.Since(start).Round(100*time.Millisecond))
	return s, nil
}

// LoadProject loads the compose files the way the compose library does (env precedence: env,
// then the process environment, then Dir/.env), so that the build configuration seen here is
// the one `up` would use.
func LoadProject(ctx context.Context, dir string, files []string, name string, env map[string]string) (*types.Project, error) {
	pairs := make([]string, 0, len(env))
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	po, err := cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(pairs),
		cli.WithOsEnv,
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithName(name),
	)
	if err != nil {
		return nil, fmt.Errorf("compose project options: %w", err)
	}
	p, err := po.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("load compose project: %w", err)
	}
	return p, nil
}

// imageName is the name compose gives a service's image: its image field, else
// <project>-<service>.
func imageName(project string, svc types.ServiceConfig) string {
	return cmp.Or(svc.Image, project+"-"+svc.Name)
}

// buildImages builds the image of every service that has a build section, one at a time (the
// first build compiles, the others reuse its cached layers), tagged as compose names them. The
// build context of a directory is archived once and sent to every build that uses it, so that
// the images are built from one snapshot of the sources even while they are being edited.
func (s *Stack) buildImages(ctx context.Context) error {
	contexts := map[string][]byte{} // context dir + Dockerfile → archive
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("docker provider: %w", err)
	}
	defer provider.Close()
	names := s.project.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		svc := s.project.Services[name]
		if svc.Build == nil {
			continue
		}
		args := map[string]*string{}
		for k, v := range svc.Build.Args {
			args[k] = v
		}
		tag := imageName(s.project.Name, svc)
		repo, version, _ := strings.Cut(tag, ":")
		start := time.Now()
		dockerfile := cmp.Or(svc.Build.Dockerfile, "Dockerfile")
		key := svc.Build.Context + "\x00" + dockerfile
		if _, ok := contexts[key]; !ok {
			snap := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{Context: svc.Build.Context, Dockerfile: dockerfile}}
			r, err := snap.GetContext() // the directory minus .dockerignore's patterns, as the docker CLI sends it
			if err != nil {
				return fmt.Errorf("build context of %s: %w", name, err)
			}
			b, err := io.ReadAll(r)
			if c, ok := r.(io.Closer); ok {
				_ = c.Close()
			}
			if err != nil {
				return fmt.Errorf("build context of %s: %w", name, err)
			}
			contexts[key] = b
		}
		req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
			ContextArchive: bytes.NewReader(contexts[key]),
			Dockerfile:     dockerfile,
			BuildArgs:      args,
			Repo:           repo,
			Tag:            cmp.Or(version, "latest"),
			KeepImage:      true,
			BuildLogWriter: s.opts.BuildLog,
		}}
		if _, err := provider.BuildImage(ctx, &req); err != nil {
			return fmt.Errorf("build image of %s: %w", name, err)
		}
		s.opts.Logf("compose: built %s in %s", tag, time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// deriveBuilder replaces GO_IMAGE by an image that adds the host's CA bundle to it. Its
// content only depends on the two inputs, so the builder's layer cache survives across runs.
func (s *Stack) deriveBuilder(ctx context.Context) error {
	bundle := cmp.Or(os.Getenv("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt")
	pem, err := os.ReadFile(bundle)
	if err != nil {
		s.opts.Logf("compose: no host CA bundle (%v); building with GO_IMAGE as it is", err)
		return nil
	}
	project, err := LoadProject(ctx, s.opts.Dir, []string{filepath.Join(s.opts.Dir, s.opts.Files[0])}, s.opts.Project, s.opts.Env)
	if err != nil {
		return err
	}
	base := ""
	for _, svc := range project.Services {
		if svc.Build != nil && svc.Build.Args["GO_IMAGE"] != nil {
			base = *svc.Build.Args["GO_IMAGE"]
			break
		}
	}
	if base == "" {
		return errors.New("compose: no service passes GO_IMAGE to its build")
	}
	var ctxTar bytes.Buffer
	if err := writeTar(&ctxTar, map[string][]byte{
		"Dockerfile":          []byte("ARG BASE\nFROM ${BASE}\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"),
		"ca-certificates.crt": pem,
	}); err != nil {
		return err
	}
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("docker provider: %w", err)
	}
	defer provider.Close()
	tag := "orderflow-e2e-builder:host-ca"
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		ContextArchive: bytes.NewReader(ctxTar.Bytes()),
		BuildArgs:      map[string]*string{"BASE": &base},
		Repo:           "orderflow-e2e-builder",
		Tag:            "host-ca",
		KeepImage:      true,
		BuildLogWriter: s.opts.BuildLog,
	}}
	if _, err := provider.BuildImage(ctx, &req); err != nil {
		return fmt.Errorf("builder image with the host's CA bundle: %w", err)
	}
	s.opts.Logf("compose: builder image %s = %s + the host's CA bundle (%s)", tag, base, bundle)
	s.opts.Env["GO_IMAGE"] = tag
	return nil
}

// Down stops and removes the stack's containers, networks, volumes and the images it built.
func (s *Stack) Down(ctx context.Context) error {
	var errs []error
	if s.compose != nil {
		start := time.Now()
		errs = append(errs, s.compose.Down(ctx, tccompose.RemoveOrphans(true), tccompose.RemoveVolumes(true), tccompose.RemoveImagesLocal))
		errs = append(errs, s.compose.Close())
		s.opts.Logf("compose: down in %s", time.Since(start).Round(100*time.Millisecond))
	} else if s.project != nil {
		// up never ran: only the built images are left.
		for _, svc := range s.project.Services {
			if svc.Build != nil && svc.Image == "" {
				_, err := s.docker.ImageRemove(ctx, imageName(s.project.Name, svc), client.ImageRemoveOptions{})
				if err != nil && !strings.Contains(err.Error(), "No such image") {
					errs = append(errs, err)
				}
			}
		}
	}
	errs = append(errs, s.docker.Close())
	return errors.Join(errs...)
}

// Project is the loaded compose project.
func (s *Stack) Project() *types.Project { return s.project }

// Host is where published ports are reached (TESTCONTAINERS_HOST_OVERRIDE).
func (s *Stack) Host() string { return s.host }

// ContainerID returns the id of a service's container.
func (s *Stack) ContainerID(ctx context.Context, service string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.ids[service]; ok {
		return id, nil
	}
	res, err := s.docker.ContainerList(ctx, client.ContainerListOptions{
		All: true,
		Filters: make(client.Filters).
			Add("label", "com.docker.compose.project="+s.opts.Project).
			Add("label", "com.docker.compose.service="+service),
	})
	if err != nil {
		return "", fmt.Errorf("container list: %w", err)
	}
	if len(res.Items) != 1 {
		return "", fmt.Errorf("service %s: %d containers", service, len(res.Items))
	}
	s.ids[service] = res.Items[0].ID
	return res.Items[0].ID, nil
}

// HostPort returns host:port where a service's container port (e.g. "5432/tcp") is published
// now. Ephemeral host ports change when a container restarts: ask again after a restart.
func (s *Stack) HostPort(ctx context.Context, service, port string) (string, error) {
	id, err := s.ContainerID(ctx, service)
	if err != nil {
		return "", err
	}
	res, err := s.docker.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", err
	}
	if res.Container.NetworkSettings != nil {
		for p, bindings := range res.Container.NetworkSettings.Ports {
			if p.String() != port {
				continue
			}
			for _, b := range bindings {
				if b.HostPort != "" {
					return net.JoinHostPort(s.host, b.HostPort), nil
				}
			}
		}
	}
	return "", fmt.Errorf("service %s: port %s is not published (container stopped?)", service, port)
}

// Dialer returns a dial function for a service's published port that looks the port up at
// every dial, so that clients reconnect after the container restarted on another host port.
func (s *Stack) Dialer(service, port string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		hp, err := s.HostPort(ctx, service, port)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", hp)
	}
}

// Stop stops a service's container (SIGTERM or its stop signal, SIGKILL after timeout).
func (s *Stack) Stop(ctx context.Context, service string, timeout time.Duration) error {
	id, err := s.ContainerID(ctx, service)
	if err != nil {
		return err
	}
	secs := int(timeout.Seconds())
	_, err = s.docker.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs})
	return err
}

// Kill sends a signal (e.g. "KILL") to a service's container.
func (s *Stack) Kill(ctx context.Context, service, signal string) error {
	id, err := s.ContainerID(ctx, service)
	if err != nil {
		return err
	}
	_, err = s.docker.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: signal})
	return err
}

// Start starts a service's stopped container.
func (s *Stack) Start(ctx context.Context, service string) error {
	id, err := s.ContainerID(ctx, service)
	if err != nil {
		return err
	}
	_, err = s.docker.ContainerStart(ctx, id, client.ContainerStartOptions{})
	return err
}

// State describes a service's container: "running", "running (healthy)", "exited (137)"...
func (s *Stack) State(ctx context.Context, service string) (string, error) {
	id, err := s.ContainerID(ctx, service)
	if err != nil {
		return "", err
	}
	res, err := s.docker.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", err
	}
	st := res.Container.State
	if st == nil {
		return "unknown", nil
	}
	out := string(st.Status)
	if !st.Running {
		out += fmt.Sprintf(" (%d)", st.ExitCode)
	} else if st.Health != nil {
		out += " (" + string(st.Health.Status) + ")"
	}
	return out, nil
}

// WaitRunning waits until a service's container runs (and is healthy when it has a
// healthcheck).
func (s *Stack) WaitRunning(ctx context.Context, service string) error {
	for {
		st, err := s.State(ctx, service)
		if err == nil && (st == "running" || st == "running (healthy)") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service %s is %s: %w", service, st, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Logs returns the last lines of a service's container log (stdout and stderr).
func (s *Stack) Logs(ctx context.Context, service string, lines int) string {
	id, err := s.ContainerID(ctx, service)
	if err != nil {
		return err.Error()
	}
	ctr, err := s.docker.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(lines)})
	if err != nil {
		return err.Error()
	}
	defer ctr.Close()
	var out bytes.Buffer
	if err := demux(&out, ctr); err != nil {
		return out.String() + "\n(log: " + err.Error() + ")"
	}
	return out.String()
}

// Container describes one container of the stack.
type Container struct {
	Service, Name, Image string
	State                string   // running, exited...
	Status               string   // e.g. "Up 7 seconds (healthy)"
	Ports                []string // published: "127.0.0.1:32768->6379/tcp"
}

func (c Container) String() string {
	return fmt.Sprintf("%-18s %-45s %-38s %-28s %s", c.Service, c.Name, c.Image, c.Status, strings.Join(c.Ports, " "))
}

// Containers describes the stack's containers, sorted by service.
func (s *Stack) Containers(ctx context.Context) ([]Container, error) {
	res, err := s.docker.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", "com.docker.compose.project="+s.opts.Project),
	})
	if err != nil {
		return nil, err
	}
	var out []Container
	for _, c := range res.Items {
		var ports []string
		for _, p := range c.Ports {
			if p.PublicPort != 0 {
				ports = append(ports, fmt.Sprintf("%s:%d->%d/%s", p.IP, p.PublicPort, p.PrivatePort, p.Type))
			}
		}
		out = append(out, Container{
			Service: c.Labels["com.docker.compose.service"],
			Name:    strings.TrimPrefix(strings.Join(c.Names, ","), "/"),
			Image:   c.Image,
			State:   string(c.State),
			Status:  c.Status,
			Ports:   ports,
		})
	}
	slices.SortFunc(out, func(a, b Container) int { return strings.Compare(a.Service, b.Service) })
	return out, nil
}

// Leftovers lists what exists of a compose project: containers, networks, volumes (by compose's
// project label) and images named after it. Empty after a complete Down.
func Leftovers(ctx context.Context, project string) ([]string, error) {
	docker, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, err
	}
	defer docker.Close()
	label := make(client.Filters).Add("label", "com.docker.compose.project="+project)
	var out []string
	ctrs, err := docker.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: label})
	if err != nil {
		return nil, err
	}
	for _, c := range ctrs.Items {
		out = append(out, "container "+strings.Join(c.Names, ","))
	}
	nets, err := docker.NetworkList(ctx, client.NetworkListOptions{Filters: label})
	if err != nil {
		return nil, err
	}
	for _, n := range nets.Items {
		out = append(out, "network "+n.Name)
	}
	vols, err := docker.VolumeList(ctx, client.VolumeListOptions{Filters: label})
	if err != nil {
		return nil, err
	}
	for _, v := range vols.Items {
		out = append(out, "volume "+v.Name)
	}
	imgs, err := docker.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", project+"-*")})
	if err != nil {
		return nil, err
	}
	for _, i := range imgs.Items {
		out = append(out, "image "+strings.Join(i.RepoTags, ","))
	}
	return out, nil
}
