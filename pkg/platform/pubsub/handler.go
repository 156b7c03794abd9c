package pubsub

import (
	"context"

	"github.com/orderflow/orderflow/pkg/events"
)

// Handler processes one event. Its error decides the outcome (see StatusFor). The event has
// passed events.CloudEvent.Validate before a Handler sees it.
type Handler func(ctx context.Context, ev events.CloudEvent) error

// Typed adapts fn to a Handler: it decodes the event's data into T and validates it first.
// Data that does not decode or validate is a permanent error, so the event is dropped to its
// dead-letter topic without reaching fn.
func Typed[T interface{ Validate() error }](fn func(ctx context.Context, ev events.CloudEvent, data T) error) Handler {
	return func(ctx context.Context, ev events.CloudEvent) error {
		var data T
		if err := ev.DecodeData(&data); err != nil {
			return Permanent(err)
		}
		if err := data.Validate(); err != nil {
			return Permanent(err)
		}
		return fn(ctx, ev, data)
	}
}

// BulkEntry is one valid event of a bulk delivery.
type BulkEntry struct {
	EntryID  string
	Event    events.CloudEvent
	Metadata map[string]string
}

// BulkHandler processes the valid entries of one bulk delivery and returns an error per entry
// ID that did not succeed; an entry absent from the map succeeded. Each error is mapped like a
// Handler's (StatusFor), so one failing entry never fails the others.
type BulkHandler func(ctx context.Context, entries []BulkEntry) map[string]error

// DeadLetterSink stores the events that arrive on a consumer's dead-letter topic. raw is the
// request body as received; ev is its decoding, which may be incomplete for a malformed event.
// Save must be idempotent on the event: Dapr delivers at least once.
type DeadLetterSink interface {
	Save(ctx context.Context, topic string, ev events.CloudEvent, raw []byte) error
}
