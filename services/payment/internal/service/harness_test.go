package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	platformconfig "github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/pubsubtest"
	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/internal/adapters/simprovider"
	"github.com/orderflow/orderflow/services/payment/internal/app"
	"github.com/orderflow/orderflow/services/payment/internal/config"
	"github.com/orderflow/orderflow/services/payment/internal/service"
	"github.com/orderflow/orderflow/services/payment/migrations"
)

const appToken = "test-app-token"

// declineAbove is the simulated provider's limit in these tests.
const declineAbove = 50_000

// provider wraps the simulated provider, counts its calls and can fail refunds.
type provider struct {
	inner *simprovider.Provider

	mu         sync.Mutex
	charges    int
	refunds    int
	refundFail error
}

func (p *provider) Charge(ctx context.Context, req app.ChargeRequest) (app.ChargeResult, error) {
	p.mu.Lock()
	p.charges++
	p.mu.Unlock()
	return p.inner.Charge(ctx, req)
}

func (p *provider) Refund(ctx context.Context, req app.RefundRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refundFail != nil {
		return p.refundFail
	}
	p.refunds++
	return p.inner.Refund(ctx, req)
}

func (p *provider) counts() (charges, refunds int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.charges, p.refunds
}

func (p *provider) failRefunds(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refundFail = err
}

// harness is one payment service over a private, migrated database.
type harness struct {
	t        *testing.T
	db       *pgxpool.Pool // for assertions; the service may have its own pool
	svc      *service.Service
	provider *provider
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	pool := pooltest.New(t, migrations.FS)
	return newHarnessOn(t, pool, pool)
}

// newHarnessOn builds the service over svcPool and asserts through db.
func newHarnessOn(t *testing.T, db, svcPool *pgxpool.Pool) *harness {
	t.Helper()
	cfg := config.Config{
		Common:       platformconfig.Common{AppAPIToken: appToken, ShutdownTimeout: 5 * time.Second},
		Port:         contract.DefaultPort,
		Database:     platformconfig.Database{DatabaseURL: "unused"},
		DeclineAbove: declineAbove,
	}
	prov := &provider{inner: simprovider.New(cfg.DeclineAbove)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(cfg, service.Deps{Pool: svcPool, Provider: prov, Logger: log})
	return &harness{t: t, db: db, svc: svc, provider: prov}
}

// do sends one request to the service's echo instance.
func (h *harness) do(method, target string, body []byte, header http.Header) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.svc.Server.Echo.ServeHTTP(rec, req)
	return rec
}

// invoke sends a request as the sidecar forwards a service invocation: with the app token.
func (h *harness) invoke(method, target string, body []byte, header http.Header) *httptest.ResponseRecorder {
	h.t.Helper()
	header = header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set(pubsub.HeaderAPIToken, appToken)
	return h.do(method, target, body, header)
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
	return pubsubtest.Deliver(h.t, h.svc.Server.Echo, appToken, path, body)
}

// count runs a SELECT count(*) query.
func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	return pooltest.Count(h.t, h.db, sql, args...)
}

func (h *harness) inboxRows() int {
	return h.count(`SELECT count(*) FROM processed_events WHERE consumer = 'payment'`)
}

type outboxRow struct {
	Type        string
	AggregateID string
	Topic       string
	Payload     json.RawMessage
}

func (h *harness) outbox(orderID string) []outboxRow {
	h.t.Helper()
	rows, err := h.db.Query(context.Background(),
		`SELECT type, aggregate_id, topic, payload FROM outbox WHERE aggregate_id = $1 ORDER BY seq`, orderID)
	require.NoError(h.t, err)
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		require.NoError(h.t, rows.Scan(&r.Type, &r.AggregateID, &r.Topic, &r.Payload))
		out = append(out, r)
	}
	require.NoError(h.t, rows.Err())
	return out
}

type storedPayment struct {
	ID, Status, Reason, ProviderRef, CustomerID, Currency string
	Amount, Version                                       int64
}

func (h *harness) payments(orderID string) []storedPayment {
	h.t.Helper()
	rows, err := h.db.Query(context.Background(),
		`SELECT id::text, status, reason, provider_ref, customer_id, currency, amount, version FROM payments WHERE order_id = $1`, orderID)
	require.NoError(h.t, err)
	defer rows.Close()
	var out []storedPayment
	for rows.Next() {
		var p storedPayment
		require.NoError(h.t, rows.Scan(&p.ID, &p.Status, &p.Reason, &p.ProviderRef, &p.CustomerID, &p.Currency, &p.Amount, &p.Version))
		out = append(out, p)
	}
	require.NoError(h.t, rows.Err())
	return out
}

// Event builders.

func newOrderID() string { return uuid.NewString() }

func cloudEvent(eventType, subject string, data any) events.CloudEvent {
	raw, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	now := time.Now().UTC()
	return events.CloudEvent{
		SpecVersion: "1.0", ID: uuid.NewString(), Source: "order", Type: eventType, Subject: subject,
		Time: &now, DataContentType: "application/json", Data: raw, Topic: events.TopicOrders, PubSubName: events.PubSubName,
	}
}

func orderCreatedData(orderID, token string, unitPrice int64, quantity int) events.OrderCreated {
	return events.OrderCreated{
		SchemaVersion: events.SchemaVersion,
		OrderID:       orderID,
		CustomerID:    "cust-" + orderID[:8],
		Items:         []events.OrderItem{{ProductID: "sku-1", Quantity: quantity, UnitPrice: unitPrice}},
		TotalAmount:   unitPrice * int64(quantity),
		Currency:      "EUR",
		PaymentToken:  token,
		Version:       1,
		CreatedAt:     time.Now().UTC(),
	}
}

func orderCreated(orderID, token string, amount int64) events.CloudEvent {
	return cloudEvent(events.TypeOrderCreated, orderID, orderCreatedData(orderID, token, amount, 1))
}

func statusChanged(orderID, from, to string) events.CloudEvent {
	return cloudEvent(events.TypeOrderStatusChanged, orderID, events.OrderStatusChanged{
		SchemaVersion: events.SchemaVersion,
		OrderID:       orderID,
		CustomerID:    "cust-" + orderID[:8],
		From:          from,
		To:            to,
		Reason:        "customer request",
		TotalAmount:   2500,
		Currency:      "EUR",
		Version:       2,
		ChangedAt:     time.Now().UTC(),
	})
}

func cancelled(orderID string) events.CloudEvent {
	return statusChanged(orderID, events.OrderStatusPending, events.OrderStatusCancelled)
}
