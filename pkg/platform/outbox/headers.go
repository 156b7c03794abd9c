package outbox

import (
	"context"

	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
)

// HeaderCorrelationID carries the request id of the request that caused the event.
const HeaderCorrelationID = "correlationid"

// HeadersFrom captures what must travel with an event written in ctx: the W3C trace context
// (traceparent/tracestate), so the consumer's spans join the producer's trace even though the
// event is published later, and the request id as correlation id.
func HeadersFrom(ctx context.Context) map[string]string {
	h := telemetry.Inject(ctx)
	if id := logging.RequestID(ctx); id != "" {
		h[HeaderCorrelationID] = id
	}
	return h
}
