package k8scheck_test

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/orderflow/orderflow/deploy/k8scheck"
	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/contract"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	analytics "github.com/orderflow/orderflow/services/analytics/contract"
	gateway "github.com/orderflow/orderflow/services/gateway/contract"
	notification "github.com/orderflow/orderflow/services/notification/contract"
	order "github.com/orderflow/orderflow/services/order/contract"
	payment "github.com/orderflow/orderflow/services/payment/contract"
)

// daprVersion is the Dapr runtime Orderflow runs; its CRDs are the schemas.
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

// specs are the five services' contracts: every check iterates over this one list.
var specs = []contract.Service{order.Spec, payment.Spec, notification.Spec, analytics.Spec, gateway.Spec}

// apps describes the five services from their contracts.
func apps() []k8scheck.App {
	out := make([]k8scheck.App, len(specs))
	for i, s := range specs {
		out[i] = k8scheck.App{Service: s, Image: image(s.AppID)}
	}
	return out
}

func image(app string) string { return "orderflow/" + app }

// TestContracts checks the list of contracts itself: one per service directory, each valid,
// with its own app id and port (every service runs on one host in local mode).
func TestContracts(t *testing.T) {
	dirs, err := os.ReadDir(repoPath(t, "services"))
	require.NoError(t, err)
	var services, ids []string
	ports := map[int]string{}
	for _, d := range dirs {
		if d.IsDir() {
			services = append(services, d.Name())
		}
	}
	for _, s := range specs {
		assert.NoError(t, s.Validate())
		ids = append(ids, s.AppID)
		assert.Empty(t, ports[s.Port], "%s and %s share port %d", ports[s.Port], s.AppID, s.Port)
		ports[s.Port] = s.AppID
	}
	assert.ElementsMatch(t, services, ids, "one contract per directory of services/")
}

// TestInvalidContractFails: the checks trust the contracts, so an invalid one is reported (here
// payment's old shape, listing its dead-letter topic among the consumed ones).
func TestInvalidContractFails(t *testing.T) {
	c := checker()
	i := slices.IndexFunc(c.Apps, func(a k8scheck.App) bool { return a.AppID == payment.AppID })
	require.GreaterOrEqual(t, i, 0)
	c.Apps[i].Consumes = []string{events.TopicOrders, payment.OrdersDeadLetterTopic}
	m, err := k8scheck.Decode(render(t, devOverlay), daprCRDs(t))
	require.NoError(t, err)
	require.ErrorContains(t, c.Common(m), "contract payment: consumes the dead-letter topic orders.payment.dlq")
	assert.Equal(t, []string{events.TopicOrders}, payment.Spec.Consumes, "the contract itself is untouched")
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
