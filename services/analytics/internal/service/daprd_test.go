package service_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/daprtest/sidecarclient"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/service"
	"github.com/orderflow/orderflow/services/analytics/migrations"
)

const daprAPIToken = "test-dapr-api-token"

// TestDaprdBulkIngestAndDeadLetter runs analytics behind a real daprd with the repository's
// subscription (bulkSubscribe), component and resiliency files on Redis Streams. Events
// published by "order" and "payment" sidecars arrive in bulk deliveries: each is stored once —
// a re-published id counts once — the aggregates add up, and an invalid event comes back on
// orders.analytics.dlq and is stored as a dead letter.
func TestDaprdBulkIngestAndDeadLetter(t *testing.T) {
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
	publish := func(c *dapr.Client, topic string, event json.RawMessage) {
		t.Helper()
		require.NoError(t, c.Publish(ctx, events.PubSubName, topic, event, nil))
	}

	publish(orders, events.TopicOrders, orderCreated(t, "ev-1", "o-1", "EUR", 2500, hour1))
	publish(orders, events.TopicOrders, orderCreated(t, "ev-2", "o-2", "EUR", 4000, hour1))
	publish(orders, events.TopicOrders, orderCreated(t, "ev-1", "o-1", "EUR", 2500, hour1)) // the relay re-publishing
	publish(orders, events.TopicOrders, ce(t, "ev-bad", events.TypeOrderCreated, hour1, map[string]any{"orderId": "o-3"}))
	publish(orders, events.TopicOrders, statusChanged(t, "ev-3", "o-1", "paid", hour2))
	publish(payments, events.TopicPayments, paymentCompleted(t, "ev-p1", "o-1", "EUR", 2500, hour2))

	e := &env{t: t, pool: pool, svc: svc}
	require.Eventually(t, func() bool {
		return e.count(`SELECT count(*) FROM events`) == 4 &&
			e.count(`SELECT count(*) FROM dead_letters WHERE topic = 'orders.analytics.dlq' AND event_id = 'ev-bad'`) == 1
	}, 30*time.Second, 100*time.Millisecond, "the events are stored and the invalid one dead-lettered")
	assert.Equal(t, []stats{
		{Hour: hour1, Currency: "EUR", OrdersCreated: 2, Revenue: "0", Refunded: "0"},
		{Hour: hour2, Currency: "EUR", OrdersPaid: 1, Revenue: "2500", Refunded: "0"},
	}, e.stats())
	assert.Zero(t, e.count(`SELECT count(*) FROM events WHERE event_id = 'ev-bad'`))
}
