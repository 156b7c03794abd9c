package events_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/subscriptions"
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/app"
	eventsport "github.com/orderflow/orderflow/services/analytics/internal/ports/events"
)

type noRecorder struct{}

func (noRecorder) Record(context.Context, []app.Event) (int, error) { return 0, nil }

type noSink struct{}

func (noSink) Save(context.Context, string, events.CloudEvent, []byte) error { return nil }

// TestRoutesCoverSubscriptions checks the router against deploy/dapr/subscriptions: both topics
// arrive on bulk routes, their dead letters on dead-letter routes, and no route is unreachable.
func TestRoutesCoverSubscriptions(t *testing.T) {
	subs, err := subscriptions.Load(daprtest.DaprPath(t, "subscriptions"))
	require.NoError(t, err)
	router := pubsub.NewRouter(contract.AppID, "token", slog.Default())
	eventsport.New(noRecorder{}, slog.Default()).Register(router, noSink{})
	require.NoError(t, subscriptions.CheckRouter(subs, contract.AppID, router.Routes()))
}
