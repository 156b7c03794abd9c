package k8scheck_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/orderflow/orderflow/deploy/k8scheck"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	gateway "github.com/orderflow/orderflow/services/gateway/contract"
)

// Public base images the Dockerfile defaults to; skaffold must never pass an empty build arg.
var publicBuildImages = map[string]string{
	"GO_IMAGE":      "golang:1.26-bookworm",
	"RUNTIME_IMAGE": "gcr.io/distroless/static-debian12:nonroot",
}

// profiles maps each skaffold profile ("" for none) to the overlay it deploys.
var profiles = map[string]string{"": devOverlay, "prod": prodOverlay}

func TestSkaffoldConfig(t *testing.T) {
	cfg, err := k8scheck.LoadSkaffold(repoPath(t, "skaffold.yaml"))
	require.NoError(t, err)
	assert.Regexp(t, `^skaffold/v4`, cfg.APIVersion)

	t.Run("one artifact per service from the shared Dockerfile", func(t *testing.T) {
		require.Len(t, cfg.Build.Artifacts, len(apps()))
		for _, app := range apps() {
			a := cfg.Artifact(app.Image)
			require.NotNil(t, a, "no artifact %s", app.Image)
			assert.Equal(t, ".", a.Context, app.AppID)
			require.NotNil(t, a.Docker, app.AppID)
			assert.Equal(t, "Dockerfile", a.Docker.Dockerfile, app.AppID)
			require.NotNil(t, a.Docker.BuildArgs["SERVICE"], app.AppID)
			assert.Equal(t, app.AppID, *a.Docker.BuildArgs["SERVICE"])
			for arg, public := range publicBuildImages {
				tmpl := a.Docker.BuildArgs[arg]
				require.NotNil(t, tmpl, "%s: build arg %s", app.AppID, arg)
				got, err := k8scheck.ExpandTemplate(*tmpl, map[string]string{})
				require.NoError(t, err)
				assert.Equal(t, public, got, "%s: %s without the variable set", app.AppID, arg)
				got, err = k8scheck.ExpandTemplate(*tmpl, map[string]string{arg: "local/stand-in:1"})
				require.NoError(t, err)
				assert.Equal(t, "local/stand-in:1", got, "%s: %s with the variable set", app.AppID, arg)
			}
		}
	})

	t.Run("dev overlay by default, prod overlay in the prod profile", func(t *testing.T) {
		for profile, overlay := range profiles {
			paths, err := cfg.KustomizePaths(profile)
			require.NoError(t, err)
			assert.Equal(t, []string{overlay}, paths, "profile %q", profile)
		}
	})

	t.Run("the gateway is forwarded to localhost on its port", func(t *testing.T) {
		port := gateway.Spec.Port
		want := k8scheck.SkaffoldPortForward{ResourceType: "service", ResourceName: gateway.AppID, Port: port, LocalPort: port}
		assert.Contains(t, cfg.PortForward, want)
		svc := decode(t, devOverlay).Service(gateway.AppID)
		require.NotNil(t, svc)
		assert.True(t, slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == port }), "gateway Service port %d", port)
	})
}

// TestSkaffoldCLI runs skaffold itself: it validates the whole configuration and renders both
// profiles with its own kustomize, offline (no cluster, no registry). Its output must pass the
// same checks as our own rendering, with every service image tagged by skaffold.
func TestSkaffoldCLI(t *testing.T) {
	bin := skaffoldBinary(t)
	for profile, overlay := range profiles {
		name := profile
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			// Full `skaffold diagnose` also inspects the Dockerfile's base images in a registry;
			// --yaml-only is the part that works offline: parse, upgrade and validate the config.
			out := runSkaffold(t, bin, profile, "diagnose", "--yaml-only")
			assert.Contains(t, out, overlay)

			out = runSkaffold(t, bin, profile, "render", "--offline=true", "--digest-source=tag")
			objs, err := k8scheck.ParseYAML([]byte(out))
			require.NoError(t, err)
			require.NoError(t, checkOverlay(t, overlay, objs))
			assert.ElementsMatch(t, ids(render(t, overlay)), ids(objs), "skaffold renders what kustomize renders")
			for _, app := range apps() {
				assert.Regexp(t, "^"+regexp.QuoteMeta(app.Image)+":[^:]+$", containerImage(t, objs, app.AppID), "%s tagged by skaffold", app.AppID)
			}
		})
	}
}

// skaffoldBinary returns $SKAFFOLD or skaffold on PATH; the test is skipped without one, except
// in CI, where it fails.
func skaffoldBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SKAFFOLD"); p != "" {
		_, err := os.Stat(p)
		require.NoError(t, err, "SKAFFOLD")
		return p
	}
	p, err := exec.LookPath("skaffold")
	daprtest.Require(t, err == nil, "skaffold not found: set SKAFFOLD or put skaffold 2.16 on PATH")
	return p
}

func runSkaffold(t *testing.T, bin, profile string, args ...string) string {
	t.Helper()
	if profile != "" {
		args = append(args, "--profile", profile)
	}
	args = append(args, "--update-check=false")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = daprtest.RepoRoot(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "skaffold %v:\n%s", args, stderr.String())
	return stdout.String()
}

func ids(objs []*unstructured.Unstructured) []string {
	var out []string
	for _, u := range objs {
		out = append(out, u.GetKind()+"/"+u.GetName())
	}
	return out
}

func containerImage(t *testing.T, objs []*unstructured.Unstructured, deployment string) string {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() == "Deployment" && u.GetName() == deployment {
			containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
			require.NotEmpty(t, containers)
			return containers[0].(map[string]any)["image"].(string)
		}
	}
	t.Fatalf("no Deployment %s", deployment)
	return ""
}
