package pubsub_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/logging/logtest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

const (
	testToken    = "app-token-for-tests"
	pathCreated  = "/events/order-created"
	pathOrders   = "/events/orders"
	pathBulk     = "/events/analytics"
	pathDLQ      = "/events/orders-dlq"
	topicOrders  = events.TopicOrders
	consumerName = "payment"
)

var occurred = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func orderCreated() events.OrderCreated {
	return events.OrderCreated{
		SchemaVersion: 1,
		OrderID:       "order-1",
		CustomerID:    "customer-1",
		Items:         []events.OrderItem{{ProductID: "p-1", Quantity: 2, UnitPrice: 1250}},
		TotalAmount:   2500,
		Currency:      "EUR",
		Version:       1,
		CreatedAt:     occurred,
	}
}

// cloudEvent returns a valid CloudEvent carrying data as it comes from the sidecar.
func cloudEvent(t testing.TB, id, eventType string, data any) events.CloudEvent {
	t.Helper()
	return events.CloudEvent{
		SpecVersion:     "1.0",
		ID:              id,
		Source:          "order",
		Type:            eventType,
		Subject:         "order-1",
		Time:            &occurred,
		DataContentType: "application/json",
		Data:            mustJSON(t, data),
		Topic:           topicOrders,
		PubSubName:      events.PubSubName,
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// newServer mounts r on a fresh echo instance.
func newServer(r *pubsub.Router) *echo.Echo {
	e := echo.New()
	r.Register(e)
	return e
}

// deliver POSTs body to path as the sidecar would, with token unless it is empty.
func deliver(e *echo.Echo, path, token, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set(echo.HeaderContentType, contentType)
	if token != "" {
		req.Header.Set(pubsub.HeaderAPIToken, token)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// statusOf decodes a single-event answer, which must be HTTP 200.
func statusOf(t *testing.T, rec *httptest.ResponseRecorder) pubsub.Status {
	t.Helper()
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var body struct {
		Status pubsub.Status `json:"status"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	return body.Status
}

// newLogger returns a JSON logger writing into the returned buffer.
func newLogger() (*slog.Logger, *logtest.Buffer) {
	buf := &logtest.Buffer{}
	return slog.New(slog.NewJSONHandler(buf, nil)), buf
}
