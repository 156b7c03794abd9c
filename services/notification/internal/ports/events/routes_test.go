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
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/app"
	eventsport "github.com/orderflow/orderflow/services/notification/internal/ports/events"
)

type noUseCases struct{}

func (noUseCases) OrderCreated(context.Context, app.Event, events.OrderCreated) error { return nil }
func (noUseCases) OrderStatusChanged(context.Context, app.Event, events.OrderStatusChanged) error {
	return nil
}
func (noUseCases) PaymentCompleted(context.Context, app.Event, events.PaymentCompleted) error {
	return nil
}
func (noUseCases) PaymentFailed(context.Context, app.Event, events.PaymentFailed) error { return nil }
func (noUseCases) PaymentRefunded(context.Context, app.Event, events.PaymentRefunded) error {
	return nil
}

type noSink struct{}

func (noSink) Save(context.Context, string, events.CloudEvent, []byte) error { return nil }

// TestRoutesCoverSubscriptions checks the router against deploy/dapr/subscriptions: every path
// the sidecar sends to is served by the right kind of route, and no route is unreachable.
func TestRoutesCoverSubscriptions(t *testing.T) {
	subs, err := subscriptions.Load(daprtest.DaprPath(t, "subscriptions"))
	require.NoError(t, err)
	router := pubsub.NewRouter(contract.AppID, "token", slog.Default())
	eventsport.Register(router, noUseCases{}, noSink{}, slog.Default())
	require.NoError(t, subscriptions.CheckRouter(subs, contract.AppID, router.Routes()))
}
