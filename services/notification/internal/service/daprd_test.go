package service_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/daprtest/sidecarclient"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/service"
	"github.com/orderflow/orderflow/services/notification/migrations"
)

const daprAPIToken = "test-dapr-api-token"

// TestDaprdRoutesDeduplicatesAndDeadLetters runs notification behind a real daprd with the
// repository's subscription (routing rules), component and resiliency files on Redis Streams:
// events of both topics reach their typed routes and are stored once each, even when
// re-published with the same id; an event type without a rule is acknowledged on the default
// route; an invalid event comes back on payments.notification.dlq and is stored.
func TestDaprdRoutesDeduplicatesAndDeadLetters(t *testing.T) {
	ctx := context.Background()
	redisDB := daprtest.RedisDB(t)
	pool := pooltest.New(t, migrations.FS)

	log := slog.New(slog.DiscardHandler)
	svc := service.New(service.Options{Addr: "127.0.0.1:0", AppToken: appToken, Pool: pool, Log: log, ShutdownTimeout: 5 * time.Second})
	daprtest.StartApp(t, svc.Server, daprtest.Options{AppID: contract.AppID, AppToken: appToken, APIToken: daprAPIToken, RedisDB: redisDB})
	publisher := func(appID string) *dapr.Client {
		return sidecarclient.Publisher(t, daprtest.Options{AppID: appID, AppToken: appToken, APIToken: daprAPIToken, RedisDB: redisDB}, log)
	}
	orders, payments := publisher("order"), publisher("payment")
	publish := func(c *dapr.Client, topic, id, eventType string, data any) {
		t.Helper()
		require.NoError(t, c.Publish(ctx, events.PubSubName, topic, []byte(cloudEvent(t, id, eventType, data)), nil))
	}

	publish(orders, events.TopicOrders, "ev-1", events.TypeOrderCreated, orderCreated("o-1", "c-1"))
	publish(orders, events.TopicOrders, "ev-1", events.TypeOrderCreated, orderCreated("o-1", "c-1")) // the relay re-publishing
	publish(orders, events.TopicOrders, "ev-x", "order.archived", map[string]any{"orderId": "o-1"})
	publish(payments, events.TopicPayments, "ev-2", events.TypePaymentCompleted, events.PaymentCompleted{SchemaVersion: 1,
		PaymentID: "pay-1", OrderID: "o-1", CustomerID: "c-1", Amount: 2500, Currency: "EUR", Version: 1, CompletedAt: at})
	publish(payments, events.TopicPayments, "ev-bad", events.TypePaymentFailed, events.PaymentFailed{SchemaVersion: 1,
		PaymentID: "pay-2", OrderID: "o-2", CustomerID: "c-1", Amount: 2500, Currency: "EUR", Version: 1, FailedAt: at}) // no reason

	e := &env{t: t, pool: pool, svc: svc}
	require.Eventually(t, func() bool {
		return e.count(`SELECT count(*) FROM notifications`) == 2 &&
			e.count(`SELECT count(*) FROM dead_letters WHERE topic = 'payments.notification.dlq' AND event_id = 'ev-bad'`) == 1
	}, 30*time.Second, 100*time.Millisecond, "the notifications are stored and the invalid event dead-lettered")
	assert.Equal(t, "Order o-1 received", e.notifications("ev-1")[0].Subject)
	assert.Equal(t, "Payment of 25.00 EUR completed for order o-1", e.notifications("ev-2")[0].Subject)
	assert.Zero(t, e.count(`SELECT count(*) FROM processed_events WHERE event_id IN ('ev-bad', 'ev-x')`))

	code, body := e.do(http.MethodGet, "/notifications?orderId=o-1", appToken, "", "")
	require.Equal(t, http.StatusOK, code)
	var list struct{ Notifications []json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	assert.Len(t, list.Notifications, 2)
}
