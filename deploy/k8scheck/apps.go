package k8scheck

import (
	"slices"
	"sort"

	"github.com/orderflow/orderflow/pkg/platform/contract"
)

// App is one service as the checks see it: its contract (services/<svc>/contract.Spec) and its
// image. The contract's AppID names its Deployment, Service and container; its Port is the
// app port; its EventRoutes are the only paths a Subscription may route it to; its
// PublishingScope and SubscriptionScope are its entries of the pub/sub component's scopes.
type App struct {
	contract.Service
	// Image is the image the service runs: the name of its skaffold artifact.
	Image string
}

func union(lists ...[]string) []string {
	out := []string{}
	for _, l := range lists {
		out = append(out, l...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}
