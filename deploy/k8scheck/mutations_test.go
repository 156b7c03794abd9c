package k8scheck_test

import (
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/orderflow/orderflow/deploy/k8scheck"
)

// mutation breaks one invariant in a rendered copy of an overlay.
type mutation func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured

// TestBreakingAnInvariantFails proves the checks bite: each case breaks one invariant of an
// otherwise passing overlay, and the checks must report exactly that.
func TestBreakingAnInvariantFails(t *testing.T) {
	cases := []struct {
		name    string
		overlay string
		mutate  mutation
		want    string
	}{
		{
			"app-port differs from the container and probe ports", devOverlay,
			edit("Deployment", "order", func(u *unstructured.Unstructured) {
				setString(t, u, "9081", "spec", "template", "metadata", "annotations", "dapr.io/app-port")
			}),
			"Deployment/order: dapr.io/app-port is 9081, but container order declares no containerPort 9081",
		},
		{
			"the gateway on another port than its contract's", devOverlay,
			edit("Deployment", "gateway", func(u *unstructured.Unstructured) {
				setString(t, u, "9080", "spec", "template", "metadata", "annotations", "dapr.io/app-port")
			}),
			"Deployment/gateway: dapr.io/app-port is 9080, but the gateway contract says the app listens on 8080",
		},
		{
			"a probe on another port", prodOverlay,
			edit("Deployment", "payment", func(u *unstructured.Unstructured) {
				setContainerField(t, u, int64(9999), "readinessProbe", "httpGet", "port")
			}),
			"Deployment/payment: readinessProbe port 9999 is not the app port 8082",
		},
		{
			"a publishing scope without the subscription's dead-letter topic", devOverlay,
			editScopes("payment=payments,orders.payment.dlq;", "payment=payments;"),
			"publishingScopes of payment is [payments], want [orders.payment.dlq payments]",
		},
		{
			"a subscription scope missing a consumed topic", prodOverlay,
			editScopes("notification=orders,payments,", "notification=orders,"),
			"subscriptionScopes of notification is [orders orders.notification.dlq payments.notification.dlq]",
		},
		{
			"a subscription route the service does not serve", devOverlay,
			edit("Subscription", "payment-orders", func(u *unstructured.Unstructured) {
				setString(t, u, "/events/orders/other-things", "spec", "routes", "default")
			}),
			"Subscription/payment-orders: route /events/orders/other-things is not a path of the payment contract",
		},
		{
			"a dead-letter topic of another consumer", prodOverlay,
			edit("Subscription", "order-payments", func(u *unstructured.Unstructured) {
				setString(t, u, "payments.payment.dlq", "spec", "deadLetterTopic")
			}),
			`Subscription/order-payments: deadLetterTopic "payments.payment.dlq" is not a dead-letter topic of the order contract`,
		},
		{
			"a missing sidecar annotation", devOverlay,
			edit("Deployment", "analytics", func(u *unstructured.Unstructured) {
				unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "annotations", "dapr.io/app-token-secret")
			}),
			"Deployment/analytics: pod annotation dapr.io/app-token-secret is missing",
		},
		{
			"the app reading another token than its sidecar", devOverlay,
			edit("Deployment", "notification", func(u *unstructured.Unstructured) {
				setEnv(t, u, map[string]any{"name": "APP_API_TOKEN", "valueFrom": map[string]any{
					"secretKeyRef": map[string]any{"name": "other-token", "key": "token"},
				}})
			}),
			`Deployment/notification: APP_API_TOKEN comes from Secret other-token key token, but the sidecar reads Secret "orderflow-app-api-token"`,
		},
		{
			"a literal secret in the environment", prodOverlay,
			edit("Deployment", "gateway", func(u *unstructured.Unstructured) {
				setEnv(t, u, map[string]any{"name": "REDIS_PASSWORD", "value": "hunter2"})
			}),
			"Deployment/gateway container gateway: REDIS_PASSWORD is a literal value",
		},
		{
			"a writable root filesystem", prodOverlay,
			edit("Deployment", "gateway", func(u *unstructured.Unstructured) {
				setContainerField(t, u, false, "securityContext", "readOnlyRootFilesystem")
			}),
			"Deployment/gateway container gateway: readOnlyRootFilesystem is not true",
		},
		{
			"an image off the allow-list", devOverlay,
			edit("StatefulSet", "postgres", func(u *unstructured.Unstructured) {
				setContainerField(t, u, "postgres:latest", "image")
			}),
			"StatefulSet/postgres container postgres: image postgres:latest is not on the pinned allow-list",
		},
		{
			"a service running another service's image", prodOverlay,
			edit("Deployment", "order", func(u *unstructured.Unstructured) {
				setContainerField(t, u, "orderflow/payment:0.1.0", "image")
			}),
			"Deployment/order container order: image orderflow/payment:0.1.0 is not the app's skaffold artifact orderflow/order",
		},
		{
			"a field the Kubernetes API does not know", devOverlay,
			edit("Deployment", "payment", func(u *unstructured.Unstructured) {
				setString(t, u, "3", "spec", "replica")
			}),
			`Deployment/payment: strict decoding error: unknown field "spec.replica"`,
		},
		{
			"a field the Dapr CRD does not know", prodOverlay,
			edit("Component", "pubsub", func(u *unstructured.Unstructured) {
				setString(t, u, "oldest", "spec", "initialOffset")
			}),
			"Component/pubsub: unknown fields (not in the components.dapr.io schema): spec.initialOffset",
		},
		{
			"a value of the wrong type for the Dapr CRD", devOverlay,
			edit("Resiliency", "orderflow", func(u *unstructured.Unstructured) {
				setString(t, u, "twenty", "spec", "policies", "retries", "pubsubInbound", "maxRetries")
			}),
			`Resiliency/orderflow: spec.policies.retries.pubsubInbound.maxRetries: Invalid value: "string": spec.policies.retries.pubsubInbound.maxRetries in body must be of type integer`,
		},
		{
			"a dev Secret missing", devOverlay,
			without("Secret", "orderflow-redis"),
			"Component/pubsub redisPassword: Secret orderflow-redis is not rendered",
		},
		{
			"Redis pub/sub in production", prodOverlay,
			edit("Component", "pubsub", func(u *unstructured.Unstructured) {
				setString(t, u, "pubsub.redis", "spec", "type")
			}),
			"Component/pubsub: Redis pub/sub in production",
		},
		{
			"a production service without an autoscaler", prodOverlay,
			without("HorizontalPodAutoscaler", "payment"),
			"Deployment/payment: 0 HorizontalPodAutoscalers, want 1",
		},
		{
			"a production service without a disruption budget", prodOverlay,
			without("PodDisruptionBudget", "order"),
			"Deployment/order: 0 PodDisruptionBudgets select its pods, want 1",
		},
		{
			"a single production replica", prodOverlay,
			edit("Deployment", "analytics", func(u *unstructured.Unstructured) {
				require.NoError(t, unstructured.SetNestedField(u.Object, int64(1), "spec", "replicas"))
			}),
			"Deployment/analytics: replicas 1, want at least 2",
		},
		{
			"an internal service exposed", prodOverlay,
			edit("Service", "payment", func(u *unstructured.Unstructured) {
				setString(t, u, "LoadBalancer", "spec", "type")
			}),
			"Service/payment: type LoadBalancer exposes it outside the cluster; only [gateway] may be",
		},
		{
			"the gateway not exposed in production", prodOverlay,
			edit("Service", "gateway", func(u *unstructured.Unstructured) {
				setString(t, u, "ClusterIP", "spec", "type")
			}),
			"app gateway: not exposed (no LoadBalancer Service, no Ingress)",
		},
		{
			"a production Secret with a value", prodOverlay,
			with(`{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "leak"}, "stringData": {"url": "postgres://u:p@db/orders"}}`),
			"Secret/leak: carries literal data",
		},
	}
	for _, c := range cases {
		t.Run(path.Base(c.overlay)+": "+c.name, func(t *testing.T) {
			objs := c.mutate(t, render(t, c.overlay))
			err := checkOverlay(t, c.overlay, objs)
			require.Error(t, err, "the broken invariant went unnoticed")
			require.ErrorContains(t, err, c.want)
		})
	}
}

// edit returns a mutation applying fn to a copy of the object kind/name.
func edit(kind, name string, fn func(u *unstructured.Unstructured)) mutation {
	return func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
		found := false
		for i, u := range objs {
			if u.GetKind() == kind && u.GetName() == name {
				objs[i] = u.DeepCopy()
				fn(objs[i])
				found = true
			}
		}
		require.True(t, found, "no %s/%s to break", kind, name)
		return objs
	}
}

// editScopes replaces old by replacement in the pub/sub component's scope values.
func editScopes(old, replacement string) mutation {
	return func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
		return edit("Component", "pubsub", func(u *unstructured.Unstructured) {
			items, _, _ := unstructured.NestedSlice(u.Object, "spec", "metadata")
			changed := false
			for _, it := range items {
				item := it.(map[string]any)
				if name := item["name"]; name == k8scheck.PublishingScopes || name == k8scheck.SubscriptionScopes {
					if v, ok := item["value"].(string); ok && strings.Contains(v, old) {
						item["value"], changed = strings.Replace(v, old, replacement, 1), true
					}
				}
			}
			require.True(t, changed, "no scope contains %q", old)
			require.NoError(t, unstructured.SetNestedSlice(u.Object, items, "spec", "metadata"))
		})(t, objs)
	}
}

func without(kind, name string) mutation {
	return func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
		var out []*unstructured.Unstructured
		for _, u := range objs {
			if u.GetKind() != kind || u.GetName() != name {
				out = append(out, u)
			}
		}
		require.Len(t, out, len(objs)-1, "no %s/%s to remove", kind, name)
		return out
	}
}

func with(object string) mutation {
	return func(t *testing.T, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
		added, err := k8scheck.ParseYAML([]byte(object))
		require.NoError(t, err)
		return append(objs, added...)
	}
}

func setString(t *testing.T, u *unstructured.Unstructured, value string, fields ...string) {
	t.Helper()
	require.NoError(t, unstructured.SetNestedField(u.Object, value, fields...))
}

// setContainerField sets a field of the first container of a workload.
func setContainerField(t *testing.T, u *unstructured.Unstructured, value any, fields ...string) {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	require.NotEmpty(t, containers)
	require.NoError(t, unstructured.SetNestedField(containers[0].(map[string]any), value, fields...))
	require.NoError(t, unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers"))
}

// setEnv replaces the first container's variable named like env, or adds env.
func setEnv(t *testing.T, u *unstructured.Unstructured, env map[string]any) {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	require.NotEmpty(t, containers)
	vars, _, _ := unstructured.NestedSlice(containers[0].(map[string]any), "env")
	vars = slices.DeleteFunc(vars, func(v any) bool { return v.(map[string]any)["name"] == env["name"] })
	setContainerField(t, u, append(vars, env), "env")
}

// The alternative deploy/k8s/README.md documents for exposing the gateway: a ClusterIP Service
// behind an Ingress passes the same checks.
func TestIngressInsteadOfLoadBalancer(t *testing.T) {
	objs := render(t, prodOverlay)
	objs = edit("Service", "gateway", func(u *unstructured.Unstructured) {
		setString(t, u, "ClusterIP", "spec", "type")
	})(t, objs)
	objs = with(`{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "gateway"},
		"spec": {"rules": [{"host": "api.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix",
		"backend": {"service": {"name": "gateway", "port": {"number": 8080}}}}]}}]}}`)(t, objs)
	require.NoError(t, checkOverlay(t, prodOverlay, objs))
}
