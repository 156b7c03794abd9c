// Package events serves the order service's subscriptions (deploy/dapr/subscriptions/order.yaml):
// one typed handler per route, each calling the same app use cases, plus the default route and
// the dead-letter route of the payments topic.
package events

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
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
	ctx, span := eventContext(ctx, ev)
	defer span.End()
	return outcome(span, h.app.PaymentCompleted(ctx, ev.ID, data))
}

func (h Handlers) paymentFailed(ctx context.Context, ev events.CloudEvent, data events.PaymentFailed) error {
	ctx, span := eventContext(ctx, ev)
	defer span.End()
	return outcome(span, h.app.PaymentFailed(ctx, ev.ID, data))
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

// eventContext continues the producer's trace (the CloudEvent's traceparent) in a consumer span
// and carries the event's correlation id as the request id, so that the logs of the handler and
// the events it publishes keep them.
func eventContext(ctx context.Context, ev events.CloudEvent) (context.Context, trace.Span) {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = telemetry.Extract(ctx, ev.TraceParent, ev.TraceState)
	}
	if ev.CorrelationID != "" && logging.RequestID(ctx) == "" {
		ctx = logging.WithRequestID(ctx, ev.CorrelationID)
	}
	return otel.Tracer(contract.AppID).Start(ctx, ev.Type+" process",
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.message.id", ev.ID),
			attribute.String("messaging.destination.name", ev.Topic),
			attribute.String("cloudevents.event_type", ev.Type),
		))
}

// outcome maps a use case's error to the delivery's: an unknown order can never be processed
// (DROP to the dead-letter topic); every other error is transient (RETRY).
func outcome(span trace.Span, err error) error {
	if err == nil {
		return nil
	}
	span.RecordError(err)
	if errors.Is(err, order.ErrNotFound) {
		return pubsub.Permanent(err)
	}
	return err
}
