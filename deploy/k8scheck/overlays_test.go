package k8scheck_test

import (
	"errors"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/orderflow/orderflow/deploy/k8scheck"
)

// checkOverlay runs every check on an overlay's objects: strict decoding into the k8s.io/api
// types, Dapr CRD validation, the invariants every overlay keeps and the overlay's own.
func checkOverlay(t *testing.T, overlay string, objs []*unstructured.Unstructured) error {
	t.Helper()
	m, err := k8scheck.Decode(objs, daprCRDs(t))
	if err != nil {
		return err
	}
	c := checker()
	errs := []error{c.Common(m)}
	switch overlay {
	case devOverlay:
		errs = append(errs, c.Dev(m))
	case prodOverlay:
		errs = append(errs, c.Prod(m))
	default:
		t.Fatalf("unknown overlay %s", overlay)
	}
	return errors.Join(errs...)
}

// decode renders an overlay and decodes it, failing the test on any error.
func decode(t *testing.T, overlay string) *k8scheck.Manifests {
	t.Helper()
	m, err := k8scheck.Decode(render(t, overlay), daprCRDs(t))
	require.NoError(t, err)
	return m
}

func TestOverlaysPassEveryCheck(t *testing.T) {
	for _, overlay := range []string{devOverlay, prodOverlay} {
		t.Run(path.Base(overlay), func(t *testing.T) {
			objs := render(t, overlay)
			require.NoError(t, checkOverlay(t, overlay, objs))

			// Nothing of deploy/dapr is copied: the shared resources arrive through its
			// kustomization, all of them.
			shared, err := k8scheck.Render(repoPath(t, "deploy/dapr"))
			require.NoError(t, err)
			require.NotEmpty(t, shared)
			for _, u := range shared {
				assert.True(t, slices.ContainsFunc(objs, func(o *unstructured.Unstructured) bool {
					return o.GetKind() == u.GetKind() && o.GetName() == u.GetName()
				}), "%s/%s of deploy/dapr is not rendered", u.GetKind(), u.GetName())
			}
		})
	}
}

// Every Dapr file daprd loads directly (every run mode) validates against the CRD schemas too.
func TestDaprFilesValidateAgainstCRDs(t *testing.T) {
	root := repoPath(t, "deploy/dapr")
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" || d.Name() == "kustomization.yaml" {
			return err
		}
		objs, err := k8scheck.LoadFile(p)
		require.NoError(t, err)
		_, err = k8scheck.Decode(objs, daprCRDs(t))
		assert.NoError(t, err, p)
		n += len(objs)
		return nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 15, "Dapr resources found below deploy/dapr")
	assert.Contains(t, daprCRDs(t).Kinds(), "dapr.io/v2alpha1, Kind=Subscription")
}

func TestDevOverlay(t *testing.T) {
	m := decode(t, devOverlay)

	t.Run("Redis pub/sub on the in-cluster Redis, as the local component", func(t *testing.T) {
		ps := m.PubSub("pubsub")
		require.NotNil(t, ps)
		assert.Equal(t, "pubsub.redis", ps.Spec.Type)
		host, port, err := net.SplitHostPort(ps.Value("redisHost"))
		require.NoError(t, err)
		svc := m.Service(host)
		require.NotNil(t, svc, "redisHost names no rendered Service")
		assert.Equal(t, port, strconv.Itoa(int(svc.Spec.Ports[0].Port)), "redis Service port")
		pw, _ := ps.Item("redisPassword")
		require.NotNil(t, pw.SecretKeyRef)
		assert.Equal(t, k8scheck.SecretKeyRef{Name: "orderflow-redis", Key: "password"}, *pw.SecretKeyRef)
		assert.NoError(t, k8scheck.SameComponent(ps, localPubSub(t), "redisHost", "redisPassword", "redisDB"))
	})

	t.Run("Redis keeps an append-only file", func(t *testing.T) {
		redis := statefulSet(t, m, "redis")
		assert.Equal(t, []string{"redis-server", "--appendonly", "yes"}, redis.Spec.Template.Spec.Containers[0].Args[:3])
	})

	t.Run("each service's database is created by the Postgres init script", func(t *testing.T) {
		script := m.ConfigMap(configMapName(t, m, "postgres-init")).Data["postgres-init.sh"]
		created := regexp.MustCompile(`(?m)^create (\w+) `).FindAllStringSubmatch(script, -1)
		var dbs []string
		for _, c := range created {
			dbs = append(dbs, c[1])
		}
		assert.ElementsMatch(t, []string{"orders", "payments", "notifications", "analytics"}, dbs)
		for _, app := range []string{"order", "payment", "notification", "analytics"} {
			secret := m.Secret(app + "-database")
			require.NotNil(t, secret, app)
			u, err := url.Parse(string(secret.Data["url"]))
			require.NoError(t, err)
			db := strings.TrimPrefix(u.Path, "/")
			assert.Contains(t, dbs, db, "%s's DATABASE_URL", app)
			assert.Equal(t, db, u.User.Username(), "%s connects as its own role", app)
			assert.Equal(t, "postgres:5432", u.Host)
		}
	})

	t.Run("generated Secrets are marked dev-only", func(t *testing.T) {
		require.NotEmpty(t, m.Secrets)
		for _, s := range m.Secrets {
			assert.Equal(t, "true", s.Labels["orderflow.dev/dev-only"], s.Name)
		}
	})
}

func TestProdOverlay(t *testing.T) {
	m := decode(t, prodOverlay)
	ps := m.PubSub("pubsub")
	require.NotNil(t, ps)

	t.Run("Kafka with consumer group per app, oldest offset, SASL from a Secret", func(t *testing.T) {
		assert.Equal(t, "pubsub.kafka", ps.Spec.Type)
		assert.Equal(t, "{appID}", ps.Value("consumerGroup"))
		assert.Equal(t, "oldest", ps.Value("initialOffset"))
		assert.Equal(t, "password", ps.Value("authType"))
		for key, name := range map[string]string{"brokers": "brokers", "saslUsername": "username", "saslPassword": "password"} {
			it, ok := ps.Item(key)
			require.True(t, ok, key)
			require.NotNil(t, it.SecretKeyRef, key)
			assert.Equal(t, k8scheck.SecretKeyRef{Name: "orderflow-kafka", Key: name}, *it.SecretKeyRef)
		}
		require.NotNil(t, ps.Auth)
		assert.Equal(t, "kubernetes", ps.Auth.SecretStore)
	})

	t.Run("the test component differs only in brokers and authentication", func(t *testing.T) {
		test := loadComponent(t, "deploy/dapr/components/kafka/pubsub.yaml")
		assert.Equal(t, "none", test.Value("authType"))
		brokers, _ := test.Item("brokers")
		assert.Equal(t, "KAFKA_BROKERS", brokers.EnvRef)
		assert.NoError(t, k8scheck.SameComponent(ps, test, "brokers", "authType", "saslUsername", "saslPassword", "saslMechanism"))
	})

	t.Run("images are tagged releases", func(t *testing.T) {
		for _, d := range m.Deployments {
			img := d.Spec.Template.Spec.Containers[0].Image
			assert.Regexp(t, `^orderflow/[a-z]+:[0-9]`, img, d.Name)
		}
	})

	t.Run("no Secret is rendered at all", func(t *testing.T) {
		assert.Empty(t, m.Secrets)
	})
}

func TestRunModesShareThePubSubSettings(t *testing.T) {
	compose := loadComponent(t, "deploy/dapr/components/compose/pubsub.yaml")
	assert.NoError(t, k8scheck.SameComponent(localPubSub(t), compose))
}

func statefulSet(t *testing.T, m *k8scheck.Manifests, name string) *appsv1.StatefulSet {
	t.Helper()
	for _, s := range m.StatefulSets {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no StatefulSet %s", name)
	return nil
}

// configMapName returns the generated (hash-suffixed) name of a ConfigMap.
func configMapName(t *testing.T, m *k8scheck.Manifests, prefix string) string {
	t.Helper()
	for _, c := range m.ConfigMaps {
		if strings.HasPrefix(c.Name, prefix+"-") || c.Name == prefix {
			return c.Name
		}
	}
	t.Fatalf("no ConfigMap %s", prefix)
	return ""
}
