package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/pubsubtest"
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/service"
	"github.com/orderflow/orderflow/services/notification/migrations"
)

const appToken = "app-token"

var at = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	svc  *service.Service
}

// newEnv runs the service on a private, migrated database with a fake sidecar check.
func newEnv(t *testing.T, sidecar func(context.Context) error) *env {
	t.Helper()
	pool := pooltest.New(t, migrations.FS)
	if sidecar == nil {
		sidecar = func(context.Context) error { return nil }
	}
	svc := service.New(service.Options{AppToken: appToken, Pool: pool, Log: slog.New(slog.DiscardHandler), SidecarReady: sidecar})
	return &env{t: t, pool: pool, svc: svc}
}

func (e *env) do(method, target, token, contentType, body string) (int, string) {
	e.t.Helper()
	return pubsubtest.Request(e.t, e.svc.Server.Echo, method, target, token, contentType, body)
}

// deliver posts a CloudEvent to path as the sidecar does and returns the answered status.
func (e *env) deliver(path, id, eventType string, data any) string {
	e.t.Helper()
	return string(pubsubtest.Deliver(e.t, e.svc.Server.Echo, appToken, path, []byte(cloudEvent(e.t, id, eventType, data))))
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	return pooltest.Count(e.t, e.pool, sql, args...)
}

func cloudEvent(t *testing.T, id, eventType string, data any) string {
	t.Helper()
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	ev := events.CloudEvent{SpecVersion: "1.0", ID: id, Source: "test", Type: eventType, Subject: "o-1",
		Time: &at, DataContentType: "application/json", Data: raw}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return string(b)
}

func orderCreated(orderID, customerID string) events.OrderCreated {
	return events.OrderCreated{SchemaVersion: 1, OrderID: orderID, CustomerID: customerID,
		Items: []events.OrderItem{{ProductID: "sku-1", Quantity: 2, UnitPrice: 1250}}, TotalAmount: 2500,
		Currency: "EUR", Version: 1, CreatedAt: at}
}

type storedNotification struct {
	EventID, EventType, OrderID, Recipient, Channel, Subject, Body string
}

func (e *env) notifications(eventID string) []storedNotification {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(),
		`SELECT event_id, event_type, order_id, recipient, channel, subject, body FROM notifications WHERE event_id = $1`, eventID)
	require.NoError(e.t, err)
	defer rows.Close()
	var ns []storedNotification
	for rows.Next() {
		var n storedNotification
		require.NoError(e.t, rows.Scan(&n.EventID, &n.EventType, &n.OrderID, &n.Recipient, &n.Channel, &n.Subject, &n.Body))
		ns = append(ns, n)
	}
	require.NoError(e.t, rows.Err())
	return ns
}

func TestEachEventTypeStoresOneNotification(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		path, eventType string
		data            any
		subject, body   string
	}{
		{contract.PathOrderCreated, events.TypeOrderCreated, orderCreated("o-1", "c-1"),
			"Order o-1 received", "We received your order o-1: 1 item(s) for a total of 25.00 EUR.\nWe will let you know as soon as the payment is complete."},
		{contract.PathOrderStatusChanged, events.TypeOrderStatusChanged,
			events.OrderStatusChanged{SchemaVersion: 1, OrderID: "o-1", CustomerID: "c-1", From: "pending", To: "cancelled",
				Reason: "card declined", TotalAmount: 2500, Currency: "EUR", Version: 2, ChangedAt: at},
			"Order o-1 cancelled: card declined", "Your order o-1 of 25.00 EUR was cancelled: card declined."},
		{contract.PathPaymentCompleted, events.TypePaymentCompleted,
			events.PaymentCompleted{SchemaVersion: 1, PaymentID: "pay-1", OrderID: "o-1", CustomerID: "c-1", Amount: 2500,
				Currency: "EUR", Version: 1, CompletedAt: at},
			"Payment of 25.00 EUR completed for order o-1", "We received your payment of 25.00 EUR for order o-1 (payment pay-1)."},
		{contract.PathPaymentFailed, events.TypePaymentFailed,
			events.PaymentFailed{SchemaVersion: 1, PaymentID: "pay-1", OrderID: "o-1", CustomerID: "c-1", Amount: 1500,
				Currency: "JPY", Reason: "card declined", Version: 1, FailedAt: at},
			"Payment of 1500 JPY failed for order o-1", "Your payment of 1500 JPY for order o-1 failed: card declined."},
		{contract.PathPaymentRefunded, events.TypePaymentRefunded,
			events.PaymentRefunded{SchemaVersion: 1, PaymentID: "pay-1", OrderID: "o-1", CustomerID: "c-1", Amount: 2500,
				Currency: "EUR", Version: 2, RefundedAt: at},
			"Refund of 25.00 EUR for order o-1", "We refunded 25.00 EUR for order o-1.\nIt may take a few days to appear on your statement."},
	}
	for i, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			id := "ev-" + tt.eventType
			require.Equal(t, "SUCCESS", e.deliver(tt.path, id, tt.eventType, tt.data))
			assert.Equal(t, []storedNotification{{
				EventID: id, EventType: tt.eventType, OrderID: "o-1", Recipient: "c-1", Channel: "email",
				Subject: tt.subject, Body: tt.body,
			}}, e.notifications(id))
			assert.Equal(t, 1, e.count(`SELECT count(*) FROM processed_events WHERE consumer = 'notification' AND event_id = $1`, id))
			assert.Equal(t, i+1, e.count(`SELECT count(*) FROM notifications`))
		})
	}
}

func TestDuplicateDeliveryStoresOneNotification(t *testing.T) {
	e := newEnv(t, nil)
	for range 3 {
		require.Equal(t, "SUCCESS", e.deliver(contract.PathOrderCreated, "ev-1", events.TypeOrderCreated, orderCreated("o-1", "c-1")))
	}
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM notifications`))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM processed_events`))

	// Without its inbox row (say, pruned), the unique constraint still keeps one notification.
	_, err := e.pool.Exec(context.Background(), `DELETE FROM processed_events`)
	require.NoError(t, err)
	require.Equal(t, "SUCCESS", e.deliver(contract.PathOrderCreated, "ev-1", events.TypeOrderCreated, orderCreated("o-1", "c-1")))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM notifications`))
}

func TestInvalidEventsAreDroppedWithNoInboxRow(t *testing.T) {
	e := newEnv(t, nil)
	missingCustomer := orderCreated("o-1", "")
	wrongTotal := orderCreated("o-1", "c-1")
	wrongTotal.TotalAmount = 1
	nul := events.OrderStatusChanged{SchemaVersion: 1, OrderID: "o-1", CustomerID: "c-1", From: "pending", To: "cancelled",
		Reason: "bad\x00reason", TotalAmount: 2500, Currency: "EUR", Version: 2, ChangedAt: at}
	tests := []struct {
		name, path, eventType string
		data                  any
	}{
		{"missing customer", contract.PathOrderCreated, events.TypeOrderCreated, missingCustomer},
		{"total not the sum of the items", contract.PathOrderCreated, events.TypeOrderCreated, wrongTotal},
		{"data of the wrong shape", contract.PathPaymentCompleted, events.TypePaymentCompleted, map[string]any{"amount": "25.00"}},
		{"NUL character", contract.PathOrderStatusChanged, events.TypeOrderStatusChanged, nul},
		{"type the route does not take", contract.PathPaymentFailed, events.TypePaymentCompleted,
			events.PaymentCompleted{SchemaVersion: 1, PaymentID: "p", OrderID: "o-1", CustomerID: "c-1", Amount: 1, Currency: "EUR", Version: 1, CompletedAt: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, "DROP", e.deliver(tt.path, "ev-bad", tt.eventType, tt.data))
		})
	}
	t.Run("not a CloudEvent", func(t *testing.T) {
		code, body := e.do(http.MethodPost, contract.PathOrderCreated, appToken, events.ContentTypeCloudEvents, `{"id":`)
		assert.Equal(t, http.StatusOK, code)
		assert.JSONEq(t, `{"status":"DROP"}`, body)
	})
	assert.Equal(t, 0, e.count(`SELECT count(*) FROM notifications`))
	assert.Equal(t, 0, e.count(`SELECT count(*) FROM processed_events`))
}

func TestDefaultRoutesAcknowledgeWithoutNotifying(t *testing.T) {
	e := newEnv(t, nil)
	assert.Equal(t, "SUCCESS", e.deliver(contract.PathOrdersOther, "ev-1", "order.archived", map[string]any{"orderId": "o-1"}))
	assert.Equal(t, "SUCCESS", e.deliver(contract.PathPaymentsOther, "ev-2", "payment.disputed", map[string]any{"orderId": "o-1"}))
	assert.Equal(t, 0, e.count(`SELECT count(*) FROM notifications`))
}

func TestEventRoutesRequireTheAppToken(t *testing.T) {
	e := newEnv(t, nil)
	for _, token := range []string{"", "wrong"} {
		code, _ := e.do(http.MethodPost, contract.PathOrderCreated, token, events.ContentTypeCloudEvents,
			cloudEvent(t, "ev-1", events.TypeOrderCreated, orderCreated("o-1", "c-1")))
		assert.Equal(t, http.StatusUnauthorized, code)
	}
	assert.Equal(t, 0, e.count(`SELECT count(*) FROM notifications`))
}

func TestDatabaseDownIsRetried(t *testing.T) {
	e := newEnv(t, nil)
	e.pool.Close()
	assert.Equal(t, "RETRY", e.deliver(contract.PathOrderCreated, "ev-1", events.TypeOrderCreated, orderCreated("o-1", "c-1")))

	code, body := e.do(http.MethodGet, "/notifications?customerId=c-1", appToken, "", "")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, `"code":"unavailable"`)
	assert.NotContains(t, body, "closed pool")
}

func TestListNotifications(t *testing.T) {
	e := newEnv(t, nil)
	require.Equal(t, "SUCCESS", e.deliver(contract.PathOrderCreated, "ev-1", events.TypeOrderCreated, orderCreated("o-1", "c-1")))
	require.Equal(t, "SUCCESS", e.deliver(contract.PathOrderCreated, "ev-2", events.TypeOrderCreated, orderCreated("o-2", "c-1")))
	require.Equal(t, "SUCCESS", e.deliver(contract.PathOrderCreated, "ev-3", events.TypeOrderCreated, orderCreated("o-3", "c-2")))
	require.Equal(t, "SUCCESS", e.deliver(contract.PathPaymentFailed, "ev-4", events.TypePaymentFailed,
		events.PaymentFailed{SchemaVersion: 1, PaymentID: "pay-1", OrderID: "o-1", CustomerID: "c-1", Amount: 2500,
			Currency: "EUR", Reason: "card declined", Version: 1, FailedAt: at}))

	type item struct {
		ID, EventID, EventType, OrderID, Recipient, Channel, Subject, Body string
		CreatedAt                                                          time.Time
	}
	list := func(query string) []item {
		t.Helper()
		code, body := e.do(http.MethodGet, "/notifications?"+query, appToken, "", "")
		require.Equal(t, http.StatusOK, code, body)
		var resp struct{ Notifications []item }
		require.NoError(t, json.Unmarshal([]byte(body), &resp))
		require.NotNil(t, resp.Notifications, body)
		return resp.Notifications
	}
	eventIDs := func(items []item) []string {
		ids := make([]string, len(items))
		for i, it := range items {
			ids[i] = it.EventID
		}
		return ids
	}

	byCustomer := list("customerId=c-1")
	assert.Equal(t, []string{"ev-4", "ev-2", "ev-1"}, eventIDs(byCustomer), "newest first")
	first := byCustomer[0]
	assert.NotEmpty(t, first.ID)
	assert.Equal(t, "o-1", first.OrderID)
	assert.Equal(t, "c-1", first.Recipient)
	assert.Equal(t, "email", first.Channel)
	assert.Equal(t, "Payment of 25.00 EUR failed for order o-1", first.Subject)
	assert.WithinDuration(t, time.Now(), first.CreatedAt, time.Minute)

	assert.Equal(t, []string{"ev-4", "ev-1"}, eventIDs(list("orderId=o-1")))
	assert.Equal(t, []string{"ev-4", "ev-1"}, eventIDs(list("orderId=o-1&customerId=c-1")))
	assert.Equal(t, []string{"ev-4"}, eventIDs(list("customerId=c-1&limit=1")))

	code, _ := e.do(http.MethodGet, "/notifications?customerId=c-1", "", "", "")
	assert.Equal(t, http.StatusUnauthorized, code, "the API is reached through the sidecar, with the app token")
	assert.Empty(t, list("customerId=nobody"))

	code, body := e.do(http.MethodGet, "/notifications?customerId=nobody", appToken, "", "")
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"notifications":[]}`, body)
}

func TestListNotificationsBadRequests(t *testing.T) {
	e := newEnv(t, nil)
	for _, query := range []string{"", "?customerId=", "?limit=5", "?customerId=c-1&limit=0", "?customerId=c-1&limit=x",
		"?orderId=o-1&limit=501", "?customerId=" + strings.Repeat("c", 201)} {
		t.Run(query, func(t *testing.T) {
			code, body := e.do(http.MethodGet, "/notifications"+query, appToken, "", "")
			assert.Equal(t, http.StatusBadRequest, code)
			var resp struct {
				Error struct {
					Code    string
					Details map[string]string
				}
			}
			require.NoError(t, json.Unmarshal([]byte(body), &resp), body)
			assert.Equal(t, "validation_failed", resp.Error.Code)
			assert.NotEmpty(t, resp.Error.Details)
		})
	}
}

func TestDeadLettersAreStoredAndReplayed(t *testing.T) {
	e := newEnv(t, nil)
	bad := orderCreated("o-1", "")
	require.Equal(t, "DROP", e.deliver(contract.PathOrderCreated, "ev-1", events.TypeOrderCreated, bad))
	// Dapr then publishes the event to orders.notification.dlq, delivered back to the service.
	require.Equal(t, "SUCCESS", e.deliver(contract.PathOrdersDeadLetters, "ev-1", events.TypeOrderCreated, bad))
	require.Equal(t, "SUCCESS", e.deliver(contract.PathOrdersDeadLetters, "ev-1", events.TypeOrderCreated, bad), "redelivery")
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM dead_letters WHERE topic = 'orders.notification.dlq'`))

	code, _ := e.do(http.MethodGet, "/admin/deadletters", "", "", "")
	require.Equal(t, http.StatusUnauthorized, code, "the admin API takes the app token")

	code, body := e.do(http.MethodGet, "/admin/deadletters", appToken, "", "")
	require.Equal(t, http.StatusOK, code, body)
	var list struct {
		DeadLetters []struct{ ID, EventID, Topic string }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.DeadLetters, 1)
	letter := list.DeadLetters[0]
	assert.Equal(t, "ev-1", letter.EventID)
	replay := "/admin/deadletters/" + letter.ID + "/replay"

	code, body = e.do(http.MethodPost, replay, appToken, "", "")
	assert.Equal(t, http.StatusUnprocessableEntity, code, "still invalid: %s", body)
	assert.Equal(t, 0, e.count(`SELECT count(*) FROM notifications`))

	fixed, err := json.Marshal(map[string]any{"data": orderCreated("o-1", "c-9")})
	require.NoError(t, err)
	code, body = e.do(http.MethodPost, replay, appToken, "application/json", string(fixed))
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, []storedNotification{{EventID: "ev-1", EventType: events.TypeOrderCreated, OrderID: "o-1", Recipient: "c-9",
		Channel: "email", Subject: "Order o-1 received",
		Body: "We received your order o-1: 1 item(s) for a total of 25.00 EUR.\nWe will let you know as soon as the payment is complete."}},
		e.notifications("ev-1"))

	code, _ = e.do(http.MethodPost, replay, appToken, "application/json", string(fixed))
	require.Equal(t, http.StatusOK, code, "a second replay is a no-op")
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM notifications`))
}

func TestReadiness(t *testing.T) {
	e := newEnv(t, func(context.Context) error { return errors.New("sidecar down") })
	code, body := e.do(http.MethodGet, "/readyz", "", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.JSONEq(t, `{"status":"unavailable","checks":{"database":"ok","dapr":"sidecar down"}}`, body)

	e = newEnv(t, nil)
	code, _ = e.do(http.MethodGet, "/readyz", "", "", "")
	assert.Equal(t, http.StatusOK, code)
}

func TestLargeEventsReachTheRouter(t *testing.T) {
	e := newEnv(t, nil)
	big := orderCreated("o-1", "c-1")
	big.Items = nil
	for range 3000 {
		big.Items = append(big.Items, events.OrderItem{ProductID: "sku-with-a-rather-long-product-identifier", Quantity: 1, UnitPrice: 1})
	}
	big.TotalAmount = 3000
	body := cloudEvent(t, "ev-big", events.TypeOrderCreated, big)
	require.Greater(t, len(body), 64<<10, "larger than the server's default body limit")
	assert.Equal(t, "SUCCESS", e.deliver(contract.PathOrderCreated, "ev-big", events.TypeOrderCreated, big))
	stored := e.notifications("ev-big")
	require.Len(t, stored, 1)
	assert.Contains(t, stored[0].Body, "3000 item(s) for a total of 30.00 EUR")

	code, _ := e.do(http.MethodPost, "/admin/deadletters/00000000-0000-0000-0000-000000000000/replay", appToken,
		"application/json", `{"data":{"x":"`+strings.Repeat("x", 70<<10)+`"}}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code, "other routes keep the body limit")
}
