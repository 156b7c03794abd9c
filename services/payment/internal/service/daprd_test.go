package service_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	platformconfig "github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/daprtest/sidecarclient"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/internal/adapters/simprovider"
	"github.com/orderflow/orderflow/services/payment/internal/config"
	"github.com/orderflow/orderflow/services/payment/internal/service"
	"github.com/orderflow/orderflow/services/payment/migrations"
)

const daprAPIToken = "test-dapr-api-token"

// TestDaprdChargeRefundDeadLetter runs the payment service behind a real daprd with the
// repository's subscription, component and resiliency files, and Redis Streams: an
// order.created published by "order" is charged, the relay publishes payment.completed to the
// payments stream, the cancellation refunds, and an invalid event comes back on the
// dead-letter topic and is stored.
func TestDaprdChargeRefundDeadLetter(t *testing.T) {
	ctx := context.Background()
	redisDB := daprtest.RedisDB(t)
	pool := pooltest.New(t, migrations.FS)

	cfg := config.Config{
		Common:       platformconfig.Common{AppAPIToken: appToken, ShutdownTimeout: 5 * time.Second},
		Port:         0, // any free port
		DeclineAbove: simprovider.DefaultDeclineAbove,
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(cfg, service.Deps{Pool: pool, Provider: simprovider.New(cfg.DeclineAbove), Logger: log})

	paymentSidecar := daprtest.StartApp(t, svc.Server, daprtest.Options{AppID: contract.AppID, AppToken: appToken, APIToken: daprAPIToken, RedisDB: redisDB})
	orderClient := sidecarclient.Publisher(t, daprtest.Options{AppID: "order", AppToken: appToken, APIToken: daprAPIToken, RedisDB: redisDB}, log)
	paymentClient := sidecarclient.New(t, paymentSidecar, log)

	publish := func(ev events.CloudEvent) {
		t.Helper()
		ev.Topic, ev.PubSubName = "", ""
		body, err := json.Marshal(ev)
		require.NoError(t, err)
		require.NoError(t, orderClient.Publish(ctx, events.PubSubName, events.TopicOrders, body, map[string]string{"partitionKey": ev.Subject}))
	}
	h := &harness{t: t, db: pool, svc: svc}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		require.Eventually(t, cond, 30*time.Second, 50*time.Millisecond, what)
	}

	orderID := newOrderID()
	created := orderCreated(orderID, "tok_visa", 2500)
	publish(created)
	waitFor("the order is charged", func() bool { return len(h.payments(orderID)) == 1 })
	assert.Equal(t, "completed", h.payments(orderID)[0].Status)

	// The relay publishes payment.completed to the payments stream with the outbox id.
	relay := outbox.NewRelay(pool, paymentClient, outbox.RelayOptions{Source: contract.AppID, Logger: log})
	n, err := relay.Flush(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	var outboxID string
	require.NoError(t, pool.QueryRow(ctx, `SELECT id::text FROM outbox WHERE aggregate_id = $1`, orderID).Scan(&outboxID))
	stream := daprtest.RedisClient(t, redisDB)
	msgs, err := stream.XRange(ctx, events.TopicPayments, "-", "+").Result()
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	var published events.CloudEvent
	require.NoError(t, json.Unmarshal([]byte(msgs[0].Values["data"].(string)), &published))
	assert.Equal(t, outboxID, published.ID)
	assert.Equal(t, events.TypePaymentCompleted, published.Type)
	assert.Equal(t, contract.AppID, published.Source)
	assert.Equal(t, orderID, published.Subject)
	var completed events.PaymentCompleted
	require.NoError(t, published.DecodeData(&completed))
	assert.Equal(t, int64(2500), completed.Amount)

	publish(cancelled(orderID))
	waitFor("the payment is refunded", func() bool { return h.payments(orderID)[0].Status == "refunded" })
	assert.Len(t, h.outbox(orderID), 2)

	poison := cloudEvent(events.TypeOrderCreated, orderID, withCustomer(orderCreatedData(newOrderID(), "", 100, 1), ""))
	publish(poison)
	waitFor("the invalid event is dead-lettered back to payment", func() bool {
		letters, err := svc.DeadLetters.List(ctx, deadletter.ListFilter{})
		return err == nil && len(letters) == 1 && letters[0].EventID == poison.ID
	})
	assert.Zero(t, h.count(`SELECT count(*) FROM processed_events WHERE event_id = $1`, poison.ID))
}
