// Package events receives the analytics subscriptions: bulk deliveries of both topics, whose
// entries are decoded and validated one by one before the valid ones are recorded together,
// and the dead-letter routes that store what the subscriptions dropped.
package events

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/app"
)

// eventsTotal counts the outcome of the valid entries of bulk deliveries and of replays.
var eventsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "analytics_events_total",
	Help: "Valid events received, by outcome: stored (new), duplicate (stored before or twice in a batch), ignored (unknown type).",
}, []string{"outcome"})

// Recorder is the use case the handlers call.
type Recorder interface {
	Record(ctx context.Context, evs []app.Event) (int, error)
}

// Handlers serve the subscription routes.
type Handlers struct {
	rec Recorder
	log *slog.Logger
}

// New returns the handlers recording to rec.
func New(rec Recorder, log *slog.Logger) *Handlers {
	return &Handlers{rec: rec, log: log}
}

// Register adds every route of deploy/dapr/subscriptions/analytics.yaml to r.
func (h *Handlers) Register(r *pubsub.Router, dead pubsub.DeadLetterSink) {
	r.Bulk(contract.PathBulkOrders, h.Bulk)
	r.Bulk(contract.PathBulkPayments, h.Bulk)
	r.DeadLetter(contract.PathOrdersDeadLetters, events.DeadLetterTopic(events.TopicOrders, contract.AppID), dead)
	r.DeadLetter(contract.PathPaymentsDeadLetters, events.DeadLetterTopic(events.TopicPayments, contract.AppID), dead)
}

// Bulk is the pubsub.BulkHandler of both topics. Each entry is decoded and validated first: an
// invalid one fails alone, permanently (DROP). The valid ones are recorded in one transaction;
// if that fails, each of them — and only them — gets its error (RETRY). Entries of an unknown
// type are acknowledged and ignored.
func (h *Handlers) Bulk(ctx context.Context, entries []pubsub.BulkEntry) map[string]error {
	errs := make(map[string]error)
	valid := make([]app.Event, 0, len(entries))
	var validIDs []string
	for _, e := range entries {
		ev, err := app.Decode(e.Event)
		switch {
		case errors.Is(err, app.ErrUnknownType):
			h.ignore(ctx, e.Event)
		case err != nil:
			errs[e.EntryID] = pubsub.Permanent(err)
		default:
			valid = append(valid, ev)
			validIDs = append(validIDs, e.EntryID)
		}
	}
	if err := h.record(ctx, valid); err != nil {
		for _, id := range validIDs {
			errs[id] = err
		}
	}
	return errs
}

// Dispatch runs one event as a bulk delivery of it would: dead-letter replay uses it (the
// router's own Dispatch knows typed routes only). An invalid event, or one of a type analytics
// does not know, is a permanent error.
func (h *Handlers) Dispatch(ctx context.Context, ce events.CloudEvent) error {
	if err := ce.Validate(); err != nil {
		return err
	}
	ev, err := app.Decode(ce)
	if err != nil {
		return pubsub.Permanent(err)
	}
	return h.record(ctx, []app.Event{ev})
}

func (h *Handlers) record(ctx context.Context, evs []app.Event) error {
	if len(evs) == 0 {
		return nil
	}
	stored, err := h.rec.Record(ctx, evs)
	if err != nil {
		return err
	}
	eventsTotal.WithLabelValues("stored").Add(float64(stored))
	eventsTotal.WithLabelValues("duplicate").Add(float64(len(evs) - stored))
	return nil
}

func (h *Handlers) ignore(ctx context.Context, ce events.CloudEvent) {
	eventsTotal.WithLabelValues("ignored").Inc()
	h.log.LogAttrs(ctx, slog.LevelDebug, "event of an unknown type ignored",
		slog.String("event_id", ce.ID), slog.String("event_type", ce.Type))
}
