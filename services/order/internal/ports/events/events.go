// Package events serves the order service's subscriptions (deploy/dapr/subscriptions/order.yaml):
// one typed handler per route, each calling the same app use cases, plus the default route and
// the dead-letter route of the payments topic. The router gives each event its consumer span and
// carries its correlation id as the request id.
package events

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/services/order/contract"
	"github.com/orderflow/orderflow/services/order/internal/app"
	"github.com/orderflow/orderflow/services/order/internal/domain/order"
)

var ignoredEvents = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "order_ignored_events_total",
	Help: "Events of the payments topic the order service acknowledges without processing, by type.",
}, []string{"type"})

// Handlers serves the subscription routes.
type Handlers struct {
	app *app.Service
	log *slog.Logger
}

// Register adds the order service's subscription routes to r; dead letters go to deadLetters.
func Register(r *pubsub.Router, svc *app.Service, deadLetters pubsub.DeadLetterSink, log *slog.Logger) {
	h := Handlers{app: svc, log: log}
	r.Handle(contract.PathPaymentCompleted, events.TypePaymentCompleted, pubsub.Typed(h.paymentCompleted))
	r.Handle(contract.PathPaymentFailed, events.TypePaymentFailed, pubsub.Typed(h.paymentFailed))
	r.Default(contract.PathPaymentsOther, h.other)
	r.DeadLetter(contract.PathPaymentsDeadLetters, events.DeadLetterTopic(events.TopicPayments, contract.AppID), deadLetters)
}

func (h Handlers) paymentCompleted(ctx context.Context, ev events.CloudEvent, data events.PaymentCompleted) error {
	return outcome(h.app.PaymentCompleted(ctx, ev.ID, data))
}

func (h Handlers) paymentFailed(ctx context.Context, ev events.CloudEvent, data events.PaymentFailed) error {
	return outcome(h.app.PaymentFailed(ctx, ev.ID, data))
}

// other acknowledges the events of the payments topic the order service does not need, such as
// payment.refunded, and counts them.
func (h Handlers) other(ctx context.Context, ev events.CloudEvent) error {
	label := "unknown"
	if slices.Contains(events.Types(), ev.Type) {
		label = ev.Type
	}
	ignoredEvents.WithLabelValues(label).Inc()
	h.log.DebugContext(ctx, "event ignored", "event_id", ev.ID, "event_type", ev.Type)
	return nil
}

// outcome maps a use case's error to the delivery's: an unknown order can never be processed
// (DROP to the dead-letter topic); every other error is transient (RETRY).
func outcome(err error) error {
	if errors.Is(err, order.ErrNotFound) {
		return pubsub.Permanent(err)
	}
	return err
}
