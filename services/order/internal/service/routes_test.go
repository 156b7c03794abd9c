package service_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/subscriptions"
	"github.com/orderflow/orderflow/services/order/contract"
)

// TestRoutesCoverSubscriptions checks the router against deploy/dapr/subscriptions: every path
// the subscriptions send to order is served by the right kind of route, and every route is used.
func TestRoutesCoverSubscriptions(t *testing.T) {
	subs, err := subscriptions.Load(daprtest.DaprPath(t, "subscriptions"))
	require.NoError(t, err)
	require.NotEmpty(t, subscriptions.ForApp(subs, contract.AppID))

	h := newHarness(t)
	require.NoError(t, subscriptions.CheckRouter(subs, contract.AppID, h.svc.Router.Routes()))
}

// TestContractRoutesServed checks that every route the contract announces is registered.
func TestContractRoutesServed(t *testing.T) {
	h := newHarness(t)
	served := map[contract.Route]bool{}
	for _, r := range h.svc.Server.Echo.Routes() {
		served[contract.Route{Method: r.Method, Path: r.Path}] = true
	}
	for _, r := range contract.Routes {
		require.True(t, served[r], "%s %s is not served", r.Method, r.Path)
	}
	for _, path := range []string{"/admin/deadletters", "/admin/deadletters/:id", "/admin/deadletters/:id/replay"} {
		require.True(t, served[contract.Route{Method: "GET", Path: path}] || served[contract.Route{Method: "POST", Path: path}], path)
	}
}
