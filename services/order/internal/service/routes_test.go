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
