package pubsub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"go.opentelemetry.io/otel/trace"
)

func TestStatusFor(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want pubsub.Status
	}{
		{"nil", nil, pubsub.StatusSuccess},
		{"transient", errors.New("connection refused"), pubsub.StatusRetry},
		{"permanent", pubsub.Permanent(errors.New("unknown order")), pubsub.StatusDrop},
		{"wrapped permanent", fmt.Errorf("handle: %w", pubsub.Permanent(errors.New("unknown order"))), pubsub.StatusDrop},
		{"invalid event", fmt.Errorf("%w: orderId is required", events.ErrInvalid), pubsub.StatusDrop},
		{"cancelled", fmt.Errorf("query: %w", context.Canceled), pubsub.StatusRetry},
		{"deadline", context.DeadlineExceeded, pubsub.StatusRetry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pubsub.StatusFor(tt.err))
			assert.Equal(t, tt.want == pubsub.StatusDrop, pubsub.IsPermanent(tt.err))
		})
	}
}

func TestPermanent(t *testing.T) {
	require.NoError(t, pubsub.Permanent(nil))
	cause := errors.New("unknown order")
	err := pubsub.Permanent(cause)
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, cause.Error(), err.Error())
}

func TestRouterSingleEventOutcomes(t *testing.T) {
	valid := mustJSON(t, cloudEvent(t, "ev-1", events.TypeOrderCreated, orderCreated()))
	statusChanged := mustJSON(t, cloudEvent(t, "ev-2", events.TypeOrderStatusChanged, map[string]any{"schemaVersion": 1}))
	noID := cloudEvent(t, "", events.TypeOrderCreated, orderCreated())
	tests := []struct {
		name        string
		path        string
		contentType string
		body        []byte
		handlerErr  error
		panics      bool
		want        pubsub.Status
		wantCalled  bool
	}{
		{name: "success", path: pathCreated, body: valid, want: pubsub.StatusSuccess, wantCalled: true},
		{name: "transient error", path: pathCreated, body: valid, handlerErr: errors.New("db down"), want: pubsub.StatusRetry, wantCalled: true},
		{name: "permanent error", path: pathCreated, body: valid, handlerErr: pubsub.Permanent(errors.New("no such order")), want: pubsub.StatusDrop, wantCalled: true},
		{name: "invalid event error", path: pathCreated, body: valid, handlerErr: fmt.Errorf("%w: bad", events.ErrInvalid), want: pubsub.StatusDrop, wantCalled: true},
		{name: "context error", path: pathCreated, body: valid, handlerErr: context.DeadlineExceeded, want: pubsub.StatusRetry, wantCalled: true},
		{name: "panic", path: pathCreated, body: valid, panics: true, want: pubsub.StatusRetry, wantCalled: true},
		{name: "plain JSON content type", path: pathCreated, contentType: "application/json; charset=utf-8", body: valid, want: pubsub.StatusSuccess, wantCalled: true},
		{name: "undecodable body", path: pathCreated, body: []byte(`{"id":`), want: pubsub.StatusDrop},
		{name: "not a CloudEvent", path: pathCreated, body: mustJSON(t, noID), want: pubsub.StatusDrop},
		{name: "unsupported content type", path: pathCreated, contentType: "text/plain", body: valid, want: pubsub.StatusDrop},
		{name: "body over the limit", path: pathCreated, body: oversized(t), want: pubsub.StatusDrop},
		{name: "wrong type on typed route", path: pathCreated, body: statusChanged, want: pubsub.StatusDrop},
		{name: "any type on default route", path: pathOrders, body: statusChanged, want: pubsub.StatusSuccess, wantCalled: true},
		{name: "undecodable body on default route", path: pathOrders, body: []byte(`garbage`), want: pubsub.StatusDrop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			h := func(_ context.Context, ev events.CloudEvent) error {
				called = true
				if tt.panics {
					panic("boom")
				}
				return tt.handlerErr
			}
			log, logs := newLogger()
			r := pubsub.NewRouter(consumerName, testToken, log)
			r.Handle(pathCreated, events.TypeOrderCreated, h)
			r.Default(pathOrders, h)

			contentType := tt.contentType
			if contentType == "" {
				contentType = events.ContentTypeCloudEvents
			}
			rec := deliver(newServer(r), tt.path, testToken, contentType, tt.body)

			assert.Equal(t, tt.want, statusOf(t, rec))
			assert.Equal(t, tt.wantCalled, called, "handler called")
			notProcessed := logs.WithMessage(t, "pubsub: event not processed")
			if tt.want == pubsub.StatusSuccess {
				assert.Empty(t, notProcessed)
				return
			}
			require.Len(t, notProcessed, 1, "one log line per non-success outcome")
			assert.Equal(t, string(tt.want), notProcessed[0]["status"])
			assert.Equal(t, tt.path, notProcessed[0]["route"])
			assert.NotEmpty(t, notProcessed[0]["error"])
			assert.Contains(t, notProcessed[0], "event_id")
			assert.Contains(t, notProcessed[0], "event_type")
		})
	}
}

func oversized(t *testing.T) []byte {
	ev := cloudEvent(t, "ev-big", events.TypeOrderCreated, map[string]string{"padding": strings.Repeat("x", int(pubsub.MaxEventBytes))})
	return mustJSON(t, ev)
}

func TestTyped(t *testing.T) {
	invalid := orderCreated()
	invalid.TotalAmount = 1
	tests := []struct {
		name       string
		data       json.RawMessage
		want       pubsub.Status
		wantCalled bool
	}{
		{"valid data", mustJSON(t, orderCreated()), pubsub.StatusSuccess, true},
		{"data re-encoded as a JSON string", mustJSON(t, string(mustJSON(t, orderCreated()))), pubsub.StatusSuccess, true},
		{"data failing validation", mustJSON(t, invalid), pubsub.StatusDrop, false},
		{"data of the wrong shape", json.RawMessage(`[1,2]`), pubsub.StatusDrop, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *events.OrderCreated
			r := pubsub.NewRouter(consumerName, testToken, nil)
			r.Handle(pathCreated, events.TypeOrderCreated, pubsub.Typed(func(_ context.Context, _ events.CloudEvent, data events.OrderCreated) error {
				got = &data
				return nil
			}))
			ev := cloudEvent(t, "ev-1", events.TypeOrderCreated, nil)
			ev.Data = tt.data

			rec := deliver(newServer(r), pathCreated, testToken, events.ContentTypeCloudEvents, mustJSON(t, ev))

			assert.Equal(t, tt.want, statusOf(t, rec))
			if !tt.wantCalled {
				assert.Nil(t, got, "fn must not run")
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, orderCreated(), *got)
		})
	}
}

func TestRouterRejectsRequestsWithoutTheAppToken(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		sent       string
	}{
		{"missing token", testToken, ""},
		{"wrong token", testToken, "wrong-token-value"},
		{"token prefix", testToken, testToken[:5]},
		{"no token configured", "", "wrong-token-value"},
		{"no token configured nor sent", "", ""},
	}
	body := mustJSON(t, cloudEvent(t, "ev-1", events.TypeOrderCreated, orderCreated()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			h := func(context.Context, events.CloudEvent) error { called = true; return nil }
			log, logs := newLogger()
			r := pubsub.NewRouter(consumerName, tt.configured, log)
			r.Handle(pathCreated, events.TypeOrderCreated, h)
			r.Default(pathOrders, h)
			r.Bulk(pathBulk, func(context.Context, []pubsub.BulkEntry) map[string]error { called = true; return nil })
			r.DeadLetter(pathDLQ, "orders.payment.dlq", sinkFunc(func(context.Context, string, events.CloudEvent, []byte) error {
				called = true
				return nil
			}))
			e := newServer(r)

			for _, route := range r.Routes() {
				rec := deliver(e, route.Path, tt.sent, events.ContentTypeCloudEvents, body)

				assert.Equal(t, http.StatusUnauthorized, rec.Code, route.Path)
				var resp httpserver.ErrorResponse
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
				assert.Equal(t, "unauthorized", resp.Error.Code)
				assert.NotEmpty(t, resp.Error.Message)
			}
			assert.False(t, called, "no handler may run")
			assert.Len(t, logs.WithMessage(t, "pubsub: delivery rejected: missing or wrong app token"), len(r.Routes()))
			if tt.sent != "" {
				assert.NotContains(t, logs.String(), tt.sent, "header values are never logged")
			}
		})
	}
}

func TestRouterAcceptsTheAppToken(t *testing.T) {
	log, logs := newLogger()
	r := pubsub.NewRouter(consumerName, testToken, log)
	r.Handle(pathCreated, events.TypeOrderCreated, func(context.Context, events.CloudEvent) error { return errors.New("db down") })
	body := mustJSON(t, cloudEvent(t, "ev-1", events.TypeOrderCreated, orderCreated()))

	rec := deliver(newServer(r), pathCreated, testToken, events.ContentTypeCloudEvents, body)

	assert.Equal(t, pubsub.StatusRetry, statusOf(t, rec))
	assert.NotContains(t, logs.String(), testToken, "header values are never logged")
}

func TestDispatch(t *testing.T) {
	var got events.CloudEvent
	log, _ := newLogger()
	r := pubsub.NewRouter(consumerName, testToken, log)
	r.Handle(pathCreated, events.TypeOrderCreated, func(_ context.Context, ev events.CloudEvent) error {
		got = ev
		return nil
	})
	r.Handle("/events/order-status-changed", events.TypeOrderStatusChanged, func(context.Context, events.CloudEvent) error {
		return errors.New("db down")
	})
	r.Handle("/events/payment-completed", events.TypePaymentCompleted, func(context.Context, events.CloudEvent) error {
		panic("boom")
	})
	r.Default(pathOrders, func(context.Context, events.CloudEvent) error { return nil })

	tests := []struct {
		name string
		ev   events.CloudEvent
		want pubsub.Status
	}{
		{"typed handler", cloudEvent(t, "ev-1", events.TypeOrderCreated, orderCreated()), pubsub.StatusSuccess},
		{"handler error", cloudEvent(t, "ev-2", events.TypeOrderStatusChanged, map[string]int{"schemaVersion": 1}), pubsub.StatusRetry},
		{"handler panic", cloudEvent(t, "ev-3", events.TypePaymentCompleted, map[string]int{"schemaVersion": 1}), pubsub.StatusRetry},
		{"type without typed route", cloudEvent(t, "ev-4", events.TypePaymentFailed, map[string]int{"schemaVersion": 1}), pubsub.StatusDrop},
		{"invalid envelope", cloudEvent(t, "", events.TypeOrderCreated, orderCreated()), pubsub.StatusDrop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Dispatch(context.Background(), tt.ev)
			assert.Equal(t, tt.want, pubsub.StatusFor(err), "error: %v", err)
		})
	}
	assert.Equal(t, "ev-1", got.ID)
	assert.Equal(t, events.TypeOrderCreated, got.Type)
}

func TestRoutes(t *testing.T) {
	noop := func(context.Context, events.CloudEvent) error { return nil }
	r := pubsub.NewRouter(consumerName, testToken, nil)
	r.Handle(pathCreated, events.TypeOrderCreated, noop)
	r.Default(pathOrders, noop)
	r.Bulk(pathBulk, func(context.Context, []pubsub.BulkEntry) map[string]error { return nil })
	r.DeadLetter(pathDLQ, "orders.payment.dlq", sinkFunc(func(context.Context, string, events.CloudEvent, []byte) error { return nil }))

	assert.Equal(t, []pubsub.RouteInfo{
		{Path: pathCreated, Kind: pubsub.RouteTyped, EventType: events.TypeOrderCreated},
		{Path: pathOrders, Kind: pubsub.RouteDefault},
		{Path: pathBulk, Kind: pubsub.RouteBulk},
		{Path: pathDLQ, Kind: pubsub.RouteDeadLetter, Topic: "orders.payment.dlq"},
	}, r.Routes())
}

func TestRouterPanicsOnDuplicateRegistration(t *testing.T) {
	noop := func(context.Context, events.CloudEvent) error { return nil }
	tests := []struct {
		name     string
		register func(r *pubsub.Router)
	}{
		{"same path", func(r *pubsub.Router) { r.Default(pathCreated, noop) }},
		{"same event type", func(r *pubsub.Router) { r.Handle("/events/other", events.TypeOrderCreated, noop) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pubsub.NewRouter(consumerName, testToken, nil)
			r.Handle(pathCreated, events.TypeOrderCreated, noop)
			assert.Panics(t, func() { tt.register(r) })
		})
	}
}

func TestSkipperExemptsEventRoutesFromAGlobalBodyLimit(t *testing.T) {
	r := pubsub.NewRouter(consumerName, testToken, nil)
	r.Default(pathOrders, func(context.Context, events.CloudEvent) error { return nil })
	e := echo.New()
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "1K", Skipper: r.Skipper}))
	e.POST("/orders", func(c echo.Context) error { return c.NoContent(http.StatusCreated) })
	r.Register(e)
	body := mustJSON(t, cloudEvent(t, "ev-1", events.TypeOrderCreated, map[string]string{"padding": strings.Repeat("x", 2048)}))

	assert.Equal(t, pubsub.StatusSuccess, statusOf(t, deliver(e, pathOrders, testToken, events.ContentTypeCloudEvents, body)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, deliver(e, "/orders", "", echo.MIMEApplicationJSON, body).Code)
}

// sinkFunc adapts a function to pubsub.DeadLetterSink.
type sinkFunc func(ctx context.Context, topic string, ev events.CloudEvent, raw []byte) error

func (f sinkFunc) Save(ctx context.Context, topic string, ev events.CloudEvent, raw []byte) error {
	return f(ctx, topic, ev, raw)
}

func TestDeadLetterRoute(t *testing.T) {
	const dlqTopic = "orders.payment.dlq"
	valid := mustJSON(t, cloudEvent(t, "ev-1", events.TypeOrderCreated, orderCreated()))
	tests := []struct {
		name    string
		body    []byte
		saveErr error
		panics  bool
		want    pubsub.Status
		wantID  string
	}{
		{name: "stored", body: valid, want: pubsub.StatusSuccess, wantID: "ev-1"},
		{name: "malformed event stored as received", body: []byte(`not json`), want: pubsub.StatusSuccess},
		{name: "store fails", body: valid, saveErr: errors.New("db down"), want: pubsub.StatusRetry, wantID: "ev-1"},
		{name: "store panics", body: valid, panics: true, want: pubsub.StatusRetry, wantID: "ev-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var saved []string
			log, _ := newLogger()
			r := pubsub.NewRouter(consumerName, testToken, log)
			r.DeadLetter(pathDLQ, dlqTopic, sinkFunc(func(_ context.Context, topic string, ev events.CloudEvent, raw []byte) error {
				saved = append(saved, fmt.Sprintf("%s|%s|%s", topic, ev.ID, raw))
				if tt.panics {
					panic("boom")
				}
				return tt.saveErr
			}))

			rec := deliver(newServer(r), pathDLQ, testToken, events.ContentTypeCloudEvents, tt.body)

			assert.Equal(t, tt.want, statusOf(t, rec))
			assert.Equal(t, []string{fmt.Sprintf("%s|%s|%s", dlqTopic, tt.wantID, tt.body)}, saved)
		})
	}
}

func TestHandlerContinuesTheProducersTrace(t *testing.T) {
	log, _ := newLogger()
	r := pubsub.NewRouter(consumerName, testToken, log)
	var traceID, requestID string
	r.Handle(pathCreated, events.TypeOrderCreated, func(ctx context.Context, _ events.CloudEvent) error {
		traceID = trace.SpanContextFromContext(ctx).TraceID().String()
		requestID = logging.RequestID(ctx)
		return nil
	})
	ev := cloudEvent(t, "ev-1", events.TypeOrderCreated, orderCreated())
	ev.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	ev.CorrelationID = "req-7"

	rec := deliver(newServer(r), pathCreated, testToken, events.ContentTypeCloudEvents, mustJSON(t, ev))

	assert.Equal(t, pubsub.StatusSuccess, statusOf(t, rec))
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", traceID)
	assert.Equal(t, "req-7", requestID)
}
