package k8scheck_test

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/orderflow/orderflow/deploy/k8scheck"
	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	analytics "github.com/orderflow/orderflow/services/analytics/contract"
	gateway "github.com/orderflow/orderflow/services/gateway/contract"
	notification "github.com/orderflow/orderflow/services/notification/contract"
	order "github.com/orderflow/orderflow/services/order/contract"
	payment "github.com/orderflow/orderflow/services/payment/contract"
)

// daprVersion is the Dapr runtime Orderflow runs (DESIGN.md section 5); its CRDs are the schemas.
const daprVersion = "v1.18.2"

// allowedImages are the only images besides the services' own: pinned, public, dev overlay only.
var allowedImages = []string{"postgres:17-alpine", "redis:7-alpine"}

// The overlays, below the repository root.
const (
	devOverlay  = "deploy/k8s/overlays/dev"
	prodOverlay = "deploy/k8s/overlays/prod"
)

// checker checks Orderflow's manifests against the services' contracts.
func checker() k8scheck.Checker {
	return k8scheck.Checker{Apps: apps(), PubSubName: events.PubSubName, AllowedImages: allowedImages, Public: []string{gateway.AppID}}
}

// apps describes the five services from their contract packages.
func apps() []k8scheck.App {
	return []k8scheck.App{
		{
			ID: order.AppID, Port: order.DefaultPort, Image: image(order.AppID),
			Publishes: order.Publishes, Consumes: withoutDeadLetters(order.Consumes), DeadLetterTopics: order.DeadLetterTopics,
			Paths: []string{order.PathPaymentCompleted, order.PathPaymentFailed, order.PathPaymentsOther, order.PathPaymentsDeadLetters},
		},
		{
			ID: payment.AppID, Port: payment.DefaultPort, Image: image(payment.AppID),
			Publishes: payment.Publishes, Consumes: withoutDeadLetters(payment.Consumes),
			DeadLetterTopics: []string{payment.OrdersDeadLetterTopic},
			Paths:            routePaths(payment.Routes, func(r payment.Route) (string, string) { return r.Method, r.Path }),
		},
		{
			ID: notification.AppID, Port: notification.DefaultPort, Image: image(notification.AppID),
			Publishes: notification.Publishes, Consumes: withoutDeadLetters(notification.Consumes), DeadLetterTopics: notification.DeadLetterTopics,
			Paths: []string{
				notification.PathOrderCreated, notification.PathOrderStatusChanged, notification.PathOrdersOther,
				notification.PathPaymentCompleted, notification.PathPaymentFailed, notification.PathPaymentRefunded, notification.PathPaymentsOther,
				notification.PathOrdersDeadLetters, notification.PathPaymentsDeadLetters,
			},
		},
		{
			ID: analytics.AppID, Port: analytics.DefaultPort, Image: image(analytics.AppID),
			Publishes: analytics.Publishes, Consumes: withoutDeadLetters(analytics.Consumes), DeadLetterTopics: analytics.DeadLetterTopics,
			Paths: []string{analytics.PathBulkOrders, analytics.PathBulkPayments, analytics.PathOrdersDeadLetters, analytics.PathPaymentsDeadLetters},
		},
		// The gateway publishes and consumes nothing, so it serves no subscription path, and its
		// contract declares no port: its app-port is checked against its container and probes.
		{ID: gateway.AppID, Image: image(gateway.AppID), Publishes: gateway.Publishes, Consumes: gateway.Consumes},
	}
}

func image(app string) string { return "orderflow/" + app }

func withoutDeadLetters(topics []string) []string {
	var out []string
	for _, t := range topics {
		if !strings.HasSuffix(t, ".dlq") {
			out = append(out, t)
		}
	}
	return out
}

// routePaths lists the paths of a contract's POST routes (subscription deliveries are POSTs).
func routePaths[R any](routes []R, methodPath func(R) (string, string)) []string {
	var paths []string
	for _, r := range routes {
		if method, path := methodPath(r); method == "POST" {
			paths = append(paths, path)
		}
	}
	return paths
}

func repoPath(t *testing.T, rel string) string {
	return filepath.Join(daprtest.RepoRoot(t), filepath.FromSlash(rel))
}

var crds = sync.OnceValues(func() (*k8scheck.CRDs, error) {
	dir, err := k8scheck.DaprCRDDir(daprVersion)
	if err != nil {
		return nil, err
	}
	return k8scheck.LoadCRDs(dir)
})

// daprCRDs returns the CRDs of Dapr daprVersion, taken from the dapr module (never a copy).
func daprCRDs(t *testing.T) *k8scheck.CRDs {
	t.Helper()
	c, err := crds()
	require.NoError(t, err)
	return c
}

// render renders an overlay below the repository root.
func render(t *testing.T, overlay string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := k8scheck.Render(repoPath(t, overlay))
	require.NoError(t, err)
	return objs
}

// loadComponent reads the single pub/sub component of a file daprd loads directly.
func loadComponent(t *testing.T, rel string) *k8scheck.Component {
	t.Helper()
	objs, err := k8scheck.LoadFile(repoPath(t, rel))
	require.NoError(t, err)
	m, err := k8scheck.Decode(objs, daprCRDs(t))
	require.NoError(t, err)
	require.Len(t, m.Components, 1, rel)
	return m.Components[0]
}

func localPubSub(t *testing.T) *k8scheck.Component {
	return loadComponent(t, "deploy/dapr/components/local/pubsub.yaml")
}
