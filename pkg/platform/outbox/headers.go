package outbox

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
)

// HeadersFrom captures the trace context of ctx (W3C traceparent/tracestate) so that the
// consumer's spans join the producer's trace even though the event is published later.
func HeadersFrom(ctx context.Context) map[string]string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier
}
