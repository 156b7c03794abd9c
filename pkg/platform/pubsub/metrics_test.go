package pubsub

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
)

func TestTypeLabel(t *testing.T) {
	tests := []struct{ eventType, want string }{
		{events.TypeOrderCreated, events.TypeOrderCreated},
		{"", ""},
		{"attacker.chosen.type", "unknown"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, typeLabel(tt.eventType), tt.eventType)
	}
}

func TestRoutersShareTheCollectors(t *testing.T) {
	const consumer = "metrics-test"
	body := []byte(`{"specversion":"1.0","id":"ev-1","source":"order","type":"order.created","data":{}}`)
	fail := func(context.Context, events.CloudEvent) error { return errors.New("db down") }
	// Two routers of one consumer, as in tests that build several: both count into one series.
	for range 2 {
		r := NewRouter(consumer, "token", nil)
		r.Default("/events/orders", fail)
		e := echo.New()
		r.Register(e)
		req := httptest.NewRequest(http.MethodPost, "/events/orders", bytes.NewReader(body))
		req.Header.Set(echo.HeaderContentType, events.ContentTypeCloudEvents)
		req.Header.Set(HeaderAPIToken, "token")
		e.ServeHTTP(httptest.NewRecorder(), req)
	}

	assert.InDelta(t, 2, testutil.ToFloat64(eventsTotal.WithLabelValues(consumer, "/events/orders", events.TypeOrderCreated, string(StatusRetry))), 0)
	var duration dto.Metric
	require.NoError(t, requestDuration.WithLabelValues(consumer, "/events/orders").(prometheus.Histogram).Write(&duration))
	assert.EqualValues(t, 2, duration.GetHistogram().GetSampleCount())
}
