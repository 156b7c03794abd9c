package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/pkg/platform/logging"
)

func TestNew(t *testing.T) {
	traceID := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	spanID := trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	spanCtx := trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled})

	tests := []struct {
		name   string
		ctx    context.Context
		want   map[string]any
		absent []string
	}{
		{
			name:   "plain context",
			ctx:    context.Background(),
			absent: []string{"request_id", "trace_id", "span_id"},
		},
		{
			name:   "request id",
			ctx:    logging.WithRequestID(context.Background(), "req-1"),
			want:   map[string]any{"request_id": "req-1"},
			absent: []string{"trace_id", "span_id"},
		},
		{
			name: "request id and span",
			ctx:  trace.ContextWithSpanContext(logging.WithRequestID(context.Background(), "req-2"), spanCtx),
			want: map[string]any{
				"request_id": "req-2",
				"trace_id":   traceID.String(),
				"span_id":    spanID.String(),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := logging.New("order", slog.LevelInfo, &buf)

			log.With("component", "test").InfoContext(tt.ctx, "hello", "n", 1)

			var rec map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
			assert.Equal(t, "order", rec["service"])
			assert.Equal(t, "test", rec["component"])
			assert.Equal(t, "hello", rec["msg"])
			for k, v := range tt.want {
				assert.Equal(t, v, rec[k], k)
			}
			for _, k := range tt.absent {
				assert.NotContains(t, rec, k)
			}
		})
	}
}

func TestNewLevel(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New("order", slog.LevelWarn, &buf)

	log.Info("dropped")
	assert.Empty(t, buf.String())

	log.Warn("kept")
	assert.Contains(t, buf.String(), `"msg":"kept"`)
}

func TestRequestID(t *testing.T) {
	assert.Empty(t, logging.RequestID(context.Background()))
	assert.Equal(t, "abc", logging.RequestID(logging.WithRequestID(context.Background(), "abc")))
}
