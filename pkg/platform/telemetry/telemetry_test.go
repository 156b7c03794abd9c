package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/pkg/platform/telemetry"
)

const (
	traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traceID     = "4bf92f3577b34da6a3ce929d0e0e4736"
)

func TestSetupWithoutExporter(t *testing.T) {
	shutdown, err := telemetry.Setup(context.Background(), "order", "")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, shutdown(context.Background())) })

	_, span := otel.Tracer("test").Start(context.Background(), "work")
	defer span.End()

	assert.True(t, span.SpanContext().IsValid())
	assert.True(t, span.SpanContext().IsSampled())
}

func TestSetupExportsToCollector(t *testing.T) {
	received := make(chan string, 1)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case received <- r.URL.Path:
		default:
		}
	}))
	t.Cleanup(collector.Close)

	shutdown, err := telemetry.Setup(context.Background(), "order", collector.URL)
	require.NoError(t, err)

	_, span := otel.Tracer("test").Start(context.Background(), "work")
	span.End()
	require.NoError(t, shutdown(context.Background()))

	select {
	case path := <-received:
		assert.Equal(t, "/v1/traces", path)
	default:
		t.Fatal("collector received no spans")
	}
}

func TestSetupInvalidEndpoint(t *testing.T) {
	_, err := telemetry.Setup(context.Background(), "order", "collector:4318")
	assert.ErrorContains(t, err, "invalid OTLP endpoint")
}

func TestInjectExtract(t *testing.T) {
	tests := []struct {
		name        string
		traceparent string
		tracestate  string
		wantValid   bool
	}{
		{name: "traceparent", traceparent: traceparent, wantValid: true},
		{name: "traceparent and tracestate", traceparent: traceparent, tracestate: "vendor=value", wantValid: true},
		{name: "empty", traceparent: "", wantValid: false},
		{name: "malformed", traceparent: "00-garbage", wantValid: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := telemetry.Extract(context.Background(), tt.traceparent, tt.tracestate)
			sc := trace.SpanContextFromContext(ctx)
			require.Equal(t, tt.wantValid, sc.IsValid())

			got := telemetry.Inject(ctx)
			if !tt.wantValid {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.traceparent, got[telemetry.TraceparentKey])
			assert.Equal(t, traceID, sc.TraceID().String())
			if tt.tracestate == "" {
				assert.NotContains(t, got, telemetry.TracestateKey)
			} else {
				assert.Equal(t, tt.tracestate, got[telemetry.TracestateKey])
			}
		})
	}
}

func TestEchoMiddlewareContinuesTrace(t *testing.T) {
	shutdown, err := telemetry.Setup(context.Background(), "order", "")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, shutdown(context.Background())) })

	e := echo.New()
	e.Use(telemetry.EchoMiddleware("order"))
	var got trace.SpanContext
	e.GET("/orders/:id", func(c echo.Context) error {
		got = trace.SpanContextFromContext(c.Request().Context())
		return c.NoContent(http.StatusNoContent)
	})

	req := httptest.NewRequest(http.MethodGet, "/orders/42", nil)
	req.Header.Set(telemetry.TraceparentKey, traceparent)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)

	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.True(t, got.IsValid())
	assert.Equal(t, traceID, got.TraceID().String())
	assert.NotEqual(t, "00f067aa0ba902b7", got.SpanID().String(), "the server span is a child of the caller's span")
}
