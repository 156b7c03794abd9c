package service_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/contract/contracttest"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/subscriptions"
	"github.com/orderflow/orderflow/services/order/contract"
)

// TestRoutesCoverSubscriptions checks the router against deploy/dapr/subscriptions: every path
// the subscriptions send to order is served by the right kind of route, and every route is used.
func TestRoutesCoverSubscriptions(t *testing.T) {
	subs, err := subscriptions.Load(daprtest.DaprPath(t, "subscriptions"))
	require.NoError(t, err)
	require.NotEmpty(t, subscriptions.ForApp(subs, contract.AppID))

	h := newHarnessWithoutDB(t)
	require.NoError(t, subscriptions.CheckRouter(subs, contract.AppID, h.svc.Router.Routes()))
}

// TestContractServed checks the service against contract.Spec: its routes are registered and
// its event routes are exactly the contract's.
func TestContractServed(t *testing.T) {
	h := newHarnessWithoutDB(t)
	require.NoError(t, contracttest.CheckServed(contract.Spec, h.svc.Server.Echo.Routes(), h.svc.Router.Routes()))
}

// newHarnessWithoutDB builds the service over a pool that never connects: enough to inspect
// its routes.
func newHarnessWithoutDB(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, nil, pooltest.Unreachable(t))
}
