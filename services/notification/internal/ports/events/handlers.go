// Package events receives the notification service's subscriptions: one typed handler per
// route, each decoding its event and calling the same use cases; default routes acknowledge
// (and count) the event types the service does not notify about; dead-letter routes store what
// the subscriptions dropped.
package events

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/app"
)

// ignoredTotal counts the events acknowledged on a default route without a notification.
var ignoredTotal = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "notification_ignored_events_total",
	Help: "Events acknowledged without a notification (default routes), by topic.",
}, []string{"topic"})

// UseCases are the use cases the handlers call.
type UseCases interface {
	OrderCreated(ctx context.Context, ev app.Event, d events.OrderCreated) error
	OrderStatusChanged(ctx context.Context, ev app.Event, d events.OrderStatusChanged) error
	PaymentCompleted(ctx context.Context, ev app.Event, d events.PaymentCompleted) error
	PaymentFailed(ctx context.Context, ev app.Event, d events.PaymentFailed) error
	PaymentRefunded(ctx context.Context, ev app.Event, d events.PaymentRefunded) error
}

// Register adds every route of deploy/dapr/subscriptions/notification.yaml to r: the typed
// routes call uc, the default routes acknowledge, the dead-letter routes save to dead.
func Register(r *pubsub.Router, uc UseCases, dead pubsub.DeadLetterSink, log *slog.Logger) {
	r.Handle(contract.PathOrderCreated, events.TypeOrderCreated, typed(uc.OrderCreated))
	r.Handle(contract.PathOrderStatusChanged, events.TypeOrderStatusChanged, typed(uc.OrderStatusChanged))
	r.Default(contract.PathOrdersOther, ignore(events.TopicOrders, log))
	r.Handle(contract.PathPaymentCompleted, events.TypePaymentCompleted, typed(uc.PaymentCompleted))
	r.Handle(contract.PathPaymentFailed, events.TypePaymentFailed, typed(uc.PaymentFailed))
	r.Handle(contract.PathPaymentRefunded, events.TypePaymentRefunded, typed(uc.PaymentRefunded))
	r.Default(contract.PathPaymentsOther, ignore(events.TopicPayments, log))
	r.DeadLetter(contract.PathOrdersDeadLetters, events.DeadLetterTopic(events.TopicOrders, contract.AppID), dead)
	r.DeadLetter(contract.PathPaymentsDeadLetters, events.DeadLetterTopic(events.TopicPayments, contract.AppID), dead)
}

// typed decodes and validates the event's data (invalid → DROP) before calling fn.
func typed[T interface{ Validate() error }](fn func(context.Context, app.Event, T) error) pubsub.Handler {
	return pubsub.Typed(func(ctx context.Context, ev events.CloudEvent, data T) error {
		return fn(ctx, app.Event{ID: ev.ID, Type: ev.Type}, data)
	})
}

// ignore acknowledges an event no rule routes here: a type the service does not notify about.
func ignore(topic string, log *slog.Logger) pubsub.Handler {
	return func(ctx context.Context, ev events.CloudEvent) error {
		ignoredTotal.WithLabelValues(topic).Inc()
		log.LogAttrs(ctx, slog.LevelDebug, "event ignored",
			slog.String("topic", topic), slog.String("event_id", ev.ID), slog.String("event_type", ev.Type))
		return nil
	}
}
