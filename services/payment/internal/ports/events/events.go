// Package events serves the payment service's subscription to the orders topic: one typed
// handler per route, each decoding its event and calling the app's use case.
package events

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/internal/app"
)

// UseCases is what the handlers need from the app.
type UseCases interface {
	ChargeOrder(ctx context.Context, ev app.EventMeta, cmd app.ChargeOrder) (app.Outcome, error)
	OrderStatusChanged(ctx context.Context, ev app.EventMeta, c app.OrderStatusChange) (app.Outcome, error)
}

var (
	handledTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "payment_events_handled_total",
		Help: "Events of the orders topic handled by payment, by event type and outcome (completed, failed, skipped_cancelled, already_charged, refunded, marked, not_refunded, ignored, duplicate).",
	}, []string{"type", "outcome"})
	otherTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "payment_events_ignored_total",
		Help: "Events of the orders topic acknowledged without processing on the default route, by event type.",
	}, []string{"type"})
)

// Handlers are the subscription handlers.
type Handlers struct {
	app UseCases
	log *slog.Logger
}

// New returns the handlers over uc.
func New(uc UseCases, log *slog.Logger) *Handlers {
	if log == nil {
		log = slog.Default()
	}
	return &Handlers{app: uc, log: log}
}

// Register adds the routes of deploy/dapr/subscriptions/payment.yaml to r; dead letters go to
// sink.
func (h *Handlers) Register(r *pubsub.Router, sink pubsub.DeadLetterSink) {
	r.Handle(contract.PathOrderCreated, events.TypeOrderCreated, pubsub.Typed(h.orderCreated))
	r.Handle(contract.PathOrderStatusChanged, events.TypeOrderStatusChanged, pubsub.Typed(h.orderStatusChanged))
	r.Default(contract.PathOrdersDefault, h.other)
	r.DeadLetter(contract.PathOrdersDeadLetters, contract.OrdersDeadLetterTopic, sink)
}

func (h *Handlers) orderCreated(ctx context.Context, ev events.CloudEvent, data events.OrderCreated) error {
	outcome, err := h.app.ChargeOrder(ctx, meta(ev), app.ChargeOrder{
		OrderID:      data.OrderID,
		CustomerID:   data.CustomerID,
		Amount:       data.TotalAmount,
		Currency:     data.Currency,
		PaymentToken: data.PaymentToken,
	})
	return h.done(ev, outcome, err)
}

func (h *Handlers) orderStatusChanged(ctx context.Context, ev events.CloudEvent, data events.OrderStatusChanged) error {
	outcome, err := h.app.OrderStatusChanged(ctx, meta(ev), app.OrderStatusChange{
		OrderID:   data.OrderID,
		To:        data.To,
		Reason:    data.Reason,
		ChangedAt: data.ChangedAt,
	})
	return h.done(ev, outcome, err)
}

// other acknowledges an event type payment has no use for, and counts it.
func (h *Handlers) other(ctx context.Context, ev events.CloudEvent) error {
	otherTotal.WithLabelValues(typeLabel(ev.Type)).Inc()
	h.log.DebugContext(ctx, "event ignored", "event_id", ev.ID, "event_type", ev.Type)
	return nil
}

// done counts the outcome and maps the error: invalid input is permanent (DROP), everything
// else — the database, the provider — is transient (RETRY).
func (h *Handlers) done(ev events.CloudEvent, outcome app.Outcome, err error) error {
	if err != nil {
		if errors.Is(err, app.ErrInvalid) {
			return pubsub.Permanent(err)
		}
		return err
	}
	handledTotal.WithLabelValues(ev.Type, string(outcome)).Inc()
	return nil
}

func meta(ev events.CloudEvent) app.EventMeta {
	return app.EventMeta{ID: ev.ID}
}

// typeLabel bounds the label's cardinality: the type comes from the request.
func typeLabel(t string) string {
	for _, known := range events.Types() {
		if t == known {
			return t
		}
	}
	return "unknown"
}
