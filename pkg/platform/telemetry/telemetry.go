// Package telemetry configures OpenTelemetry tracing and carries trace context across HTTP requests
// and pub/sub messages.
package telemetry

import (
	"context"
	"fmt"
	"net/url"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Keys of the W3C Trace Context headers, as used in HTTP headers and outbox message headers.
const (
	TraceparentKey = "traceparent"
	TracestateKey  = "tracestate"
)

// Setup installs the global W3C TraceContext and Baggage propagator and a TracerProvider for
// service. When otlpEndpoint (an OTLP/HTTP base URL such as http://collector:4318) is set, spans are
// batched and exported to it; otherwise spans are recorded but not exported, so trace ids still
// exist and still propagate. The returned shutdown flushes pending spans and must be called before
// the process exits.
func Setup(ctx context.Context, service, otlpEndpoint string) (shutdown func(context.Context) error, err error) {
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(service)))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if otlpEndpoint != "" {
		exporter, err := newExporter(ctx, otlpEndpoint)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exporter))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}

// newExporter creates an OTLP/HTTP exporter sending to the traces path under the base URL endpoint,
// as the OTEL_EXPORTER_OTLP_ENDPOINT convention prescribes.
func newExporter(ctx context.Context, endpoint string) (sdktrace.SpanExporter, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("telemetry: invalid OTLP endpoint %q: want a URL such as http://collector:4318", endpoint)
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.JoinPath("v1", "traces").String()))
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
	}
	return exporter, nil
}

// EchoMiddleware starts a server span for every request, continuing the trace of the incoming
// traceparent header, and puts it in the request context. The span is named after the route template.
func EchoMiddleware(service string) echo.MiddlewareFunc {
	return otelecho.Middleware(service)
}

// Inject returns the W3C trace context of ctx as a map with the keys traceparent and, when the
// trace has one, tracestate. The map is empty when ctx has no valid span context.
func Inject(ctx context.Context) map[string]string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier
}

// Extract returns a copy of ctx carrying the remote span context described by traceparent and
// tracestate, so that spans started from it join that trace. ctx is returned unchanged when
// traceparent is empty or invalid.
func Extract(ctx context.Context, traceparent, tracestate string) context.Context {
	carrier := propagation.MapCarrier{TraceparentKey: traceparent}
	if tracestate != "" {
		carrier[TracestateKey] = tracestate
	}
	return propagation.TraceContext{}.Extract(ctx, carrier)
}
