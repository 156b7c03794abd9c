package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pgdbtest"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/pubsubtest"
	"github.com/orderflow/orderflow/services/order/contract"
	httpport "github.com/orderflow/orderflow/services/order/internal/ports/http"
	"github.com/orderflow/orderflow/services/order/internal/service"
	"github.com/orderflow/orderflow/services/order/migrations"
)

const (
	appToken = "test-app-token"
	clientID = "client-a"
)

// harness is one order service over a private, migrated database.
type harness struct {
	t   *testing.T
	db  *pgxpool.Pool // for assertions; the service may have its own pool
	svc *service.Service
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newHarness returns a service over a new private database, and the database's URL.
func newHarness(t *testing.T) *harness {
	t.Helper()
	h, _ := newHarnessURL(t)
	return h
}

func newHarnessURL(t *testing.T) (*harness, string) {
	t.Helper()
	url := pgdbtest.NewDatabase(t)
	pool := pooltest.Open(t, url)
	require.NoError(t, pgdb.Migrate(context.Background(), pool, migrations.FS, nil))
	return newHarnessOn(t, pool, pool), url
}

// newHarnessOn builds the service over svcPool and asserts through db.
func newHarnessOn(t *testing.T, db, svcPool *pgxpool.Pool) *harness {
	t.Helper()
	svc := service.New(service.Deps{Pool: svcPool, Log: quietLogger(), AppToken: appToken})
	return &harness{t: t, db: db, svc: svc}
}

// do sends one request, as the sidecar would (with the app token), to the service's handler.
func (h *harness) do(method, target string, body []byte, header http.Header) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	req.Header.Set(pubsub.HeaderAPIToken, appToken)
	for k, vs := range header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.svc.Handler().ServeHTTP(rec, req)
	return rec
}

func jsonHeader(extra ...string) http.Header {
	hdr := http.Header{"Content-Type": {"application/json"}, contract.HeaderClientID: {clientID}}
	for i := 0; i+1 < len(extra); i += 2 {
		hdr.Set(extra[i], extra[i+1])
	}
	return hdr
}

const validBody = `{"customerId":"c-1","currency":"EUR","items":[{"productId":"p-1","quantity":2,"unitPrice":1250},{"productId":"p-2","quantity":1,"unitPrice":99}],"paymentToken":"tok_visa"}`

// create posts body to /orders and requires a 201.
func (h *harness) create(body string, header http.Header) httpport.OrderJSON {
	h.t.Helper()
	rec := h.do(http.MethodPost, "/orders", []byte(body), header)
	require.Equal(h.t, http.StatusCreated, rec.Code, rec.Body.String())
	return decode[httpport.OrderJSON](h.t, rec)
}

func (h *harness) createFor(customerID string) httpport.OrderJSON {
	h.t.Helper()
	return h.create(`{"customerId":"`+customerID+`","currency":"EUR","items":[{"productId":"p-1","quantity":1,"unitPrice":500}]}`, jsonHeader())
}

func (h *harness) get(id string) httpport.OrderJSON {
	h.t.Helper()
	rec := h.do(http.MethodGet, "/orders/"+id, nil, nil)
	require.Equal(h.t, http.StatusOK, rec.Code, rec.Body.String())
	return decode[httpport.OrderJSON](h.t, rec)
}

func (h *harness) putStatus(id, body string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.do(http.MethodPut, "/orders/"+id+"/status", []byte(body), jsonHeader())
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v), rec.Body.String())
	return v
}

type apiError struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func errorOf(t *testing.T, rec *httptest.ResponseRecorder) apiError {
	t.Helper()
	return decode[apiError](t, rec)
}

// deliver posts ev to a subscription route as the sidecar does and returns the answered status.
func (h *harness) deliver(path string, ev events.CloudEvent) pubsub.Status {
	h.t.Helper()
	body, err := json.Marshal(ev)
	require.NoError(h.t, err)
	return h.deliverRaw(path, body)
}

func (h *harness) deliverRaw(path string, body []byte) pubsub.Status {
	h.t.Helper()
	return pubsubtest.Deliver(h.t, h.svc.Handler(), appToken, path, body)
}

// count runs a SELECT count(*) query.
func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	return pooltest.Count(h.t, h.db, sql, args...)
}

func (h *harness) inboxRows() int {
	return h.count(`SELECT count(*) FROM processed_events WHERE consumer = 'order'`)
}

type outboxRow struct {
	ID          string
	Type        string
	AggregateID string
	Topic       string
	Payload     json.RawMessage
	Headers     map[string]string
}

// outbox returns the outbox rows of an order, oldest first.
func (h *harness) outbox(orderID string) []outboxRow {
	h.t.Helper()
	rows, err := h.db.Query(context.Background(),
		`SELECT id::text, type, aggregate_id, topic, payload, headers FROM outbox WHERE aggregate_id = $1 ORDER BY seq`, orderID)
	require.NoError(h.t, err)
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		require.NoError(h.t, rows.Scan(&r.ID, &r.Type, &r.AggregateID, &r.Topic, &r.Payload, &r.Headers))
		out = append(out, r)
	}
	require.NoError(h.t, rows.Err())
	return out
}

// statusChanges returns the order.status.changed events of an order, oldest first.
func (h *harness) statusChanges(orderID string) []events.OrderStatusChanged {
	h.t.Helper()
	var out []events.OrderStatusChanged
	for _, r := range h.outbox(orderID) {
		if r.Type != events.TypeOrderStatusChanged {
			continue
		}
		var e events.OrderStatusChanged
		require.NoError(h.t, json.Unmarshal(r.Payload, &e))
		require.NoError(h.t, e.Validate())
		out = append(out, e)
	}
	return out
}

// cloudEvent wraps data in a CloudEvent as payment's relay publishes it.
func cloudEvent(t *testing.T, eventType, orderID string, data any) events.CloudEvent {
	t.Helper()
	b, err := json.Marshal(data)
	require.NoError(t, err)
	now := time.Now().UTC()
	return events.CloudEvent{
		SpecVersion:     "1.0",
		ID:              uuid.NewString(),
		Source:          "payment",
		Type:            eventType,
		Subject:         orderID,
		Time:            &now,
		DataContentType: "application/json",
		Data:            b,
		Topic:           events.TopicPayments,
		PubSubName:      events.PubSubName,
	}
}

func paymentCompleted(t *testing.T, o httpport.OrderJSON) events.CloudEvent {
	t.Helper()
	return cloudEvent(t, events.TypePaymentCompleted, o.OrderID, events.PaymentCompleted{
		SchemaVersion: 1, PaymentID: uuid.NewString(), OrderID: o.OrderID, CustomerID: o.CustomerID,
		Amount: o.TotalAmount, Currency: o.Currency, Version: 2, CompletedAt: time.Now().UTC(),
	})
}

func paymentFailed(t *testing.T, o httpport.OrderJSON, reason string) events.CloudEvent {
	t.Helper()
	return cloudEvent(t, events.TypePaymentFailed, o.OrderID, events.PaymentFailed{
		SchemaVersion: 1, PaymentID: uuid.NewString(), OrderID: o.OrderID, CustomerID: o.CustomerID,
		Amount: o.TotalAmount, Currency: o.Currency, Reason: reason, Version: 1, FailedAt: time.Now().UTC(),
	})
}

// pay delivers a payment.completed for o and requires SUCCESS.
func (h *harness) pay(o httpport.OrderJSON) {
	h.t.Helper()
	require.Equal(h.t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentCompleted, paymentCompleted(h.t, o)))
}
