package daprtest_test

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/daprtest/sidecarclient"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/inbox"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

const (
	appToken = "test-app-token"
	apiToken = "test-api-token"
)

// stack is the order app's outbox on one side of a real daprd pair and a consumer named
// "payment" on the other, wired with the repository's own deploy/dapr resources.
type stack struct {
	pool      *pgxpool.Pool
	publisher *dapr.Client
	deliveries
}

type deliveries struct {
	mu    sync.Mutex
	calls map[string]int // event id → handler invocations
}

func (d *deliveries) count(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[id]
}

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	pool := pooltest.New(t, nil)
	_, err := pool.Exec(ctx, `CREATE TABLE charges (event_id text PRIMARY KEY, order_id text NOT NULL)`)
	require.NoError(t, err)

	s := &stack{pool: pool, deliveries: deliveries{calls: map[string]int{}}}
	redisDB := daprtest.RedisDB(t)

	// The consumer: payment's subscription paths from deploy/dapr/subscriptions/payment.yaml.
	router := pubsub.NewRouter("payment", appToken, nil)
	router.Handle("/events/orders/created", events.TypeOrderCreated, pubsub.Typed(
		func(ctx context.Context, ev events.CloudEvent, data events.OrderCreated) error {
			s.mu.Lock()
			s.calls[ev.ID]++
			s.mu.Unlock()
			_, err := inbox.Process(ctx, pool, "payment", ev.ID, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO charges (event_id, order_id) VALUES ($1, $2)`, ev.ID, data.OrderID)
				return err
			})
			return err
		}))
	router.Handle("/events/orders/status-changed", events.TypeOrderStatusChanged, func(context.Context, events.CloudEvent) error { return nil })
	router.Default("/events/orders/other", func(context.Context, events.CloudEvent) error { return nil })
	router.DeadLetter("/deadletters/orders", events.DeadLetterTopic(events.TopicOrders, "payment"), deadletter.NewStore(pool, "payment"))
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	router.Register(e)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: e}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	appPort := ln.Addr().(*net.TCPAddr).Port

	daprtest.Start(t, daprtest.Options{AppID: "payment", AppPort: appPort, AppToken: appToken, APIToken: apiToken, RedisDB: redisDB})
	s.publisher = sidecarclient.Publisher(t, daprtest.Options{AppID: "order", AppToken: appToken, APIToken: apiToken, RedisDB: redisDB}, nil)
	return s
}

func orderCreated(id string) events.OrderCreated {
	return events.OrderCreated{
		SchemaVersion: 1, OrderID: id, CustomerID: "c-1", Currency: "EUR", Version: 1,
		Items:       []events.OrderItem{{ProductID: "p-1", Quantity: 2, UnitPrice: 1250}},
		TotalAmount: 2500, CreatedAt: time.Now().UTC(),
	}
}

// place writes an order's outbox row the way a service does: in a transaction.
func (s *stack) place(t *testing.T, data any, orderID string) string {
	t.Helper()
	ctx := context.Background()
	var id string
	require.NoError(t, pgdb.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		ids, err := outbox.Add(ctx, tx, outbox.Message{AggregateID: orderID, Topic: events.TopicOrders, Type: events.TypeOrderCreated, Data: data})
		if err == nil {
			id = ids[0].String()
		}
		return err
	}))
	return id
}

func (s *stack) relay(opts outbox.RelayOptions) *outbox.Relay {
	opts.Source = "order"
	return outbox.NewRelay(s.pool, s.publisher, opts)
}

func (s *stack) charged(t *testing.T, eventID string) (orderID string, ok bool) {
	t.Helper()
	err := s.pool.QueryRow(context.Background(), `SELECT order_id FROM charges WHERE event_id = $1`, eventID).Scan(&orderID)
	if err == pgx.ErrNoRows {
		return "", false
	}
	require.NoError(t, err)
	return orderID, true
}

// TestDaprdOutboxInboxDeadLetter drives the platform through two real daprd sidecars and
// Redis Streams: delivery with the outbox id as CloudEvent id, redelivery after a crash between
// publish and mark absorbed by the inbox, and a poison event dead-lettered by the subscriber's
// sidecar into the consumer's store (scopes allow it).
func TestDaprdOutboxInboxDeadLetter(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()

	t.Run("delivers with the outbox id as CloudEvent id", func(t *testing.T) {
		ids := make([]string, 3)
		for i := range ids {
			orderID := "o-delivery-" + strconv.Itoa(i)
			ids[i] = s.place(t, orderCreated(orderID), orderID)
		}
		n, err := s.relay(outbox.RelayOptions{}).Flush(ctx)
		require.NoError(t, err)
		require.Equal(t, 3, n)
		for i, id := range ids {
			require.Eventually(t, func() bool { _, ok := s.charged(t, id); return ok }, 30*time.Second, 50*time.Millisecond, "event %s", id)
			orderID, _ := s.charged(t, id)
			assert.Equal(t, "o-delivery-"+strconv.Itoa(i), orderID)
		}
	})

	t.Run("crash between publish and mark: same id again, one effect", func(t *testing.T) {
		id := s.place(t, orderCreated("o-crash"), "o-crash")
		_, err := s.relay(outbox.RelayOptions{AfterPublish: func(string) error { return context.DeadlineExceeded }}).Flush(ctx)
		require.Error(t, err)
		require.Eventually(t, func() bool { return s.count(id) == 1 }, 30*time.Second, 50*time.Millisecond)

		n, err := s.relay(outbox.RelayOptions{}).Flush(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "the unmarked row is published again")
		require.Eventually(t, func() bool { return s.count(id) == 2 }, 30*time.Second, 50*time.Millisecond, "redelivered through daprd")
		assert.Equal(t, 1, pooltest.Count(t, s.pool, `SELECT count(*) FROM charges WHERE event_id = $1`, id))
		assert.Equal(t, 1, pooltest.Count(t, s.pool, `SELECT count(*) FROM processed_events WHERE consumer = 'payment' AND event_id = $1`, id))
	})

	t.Run("poison event is dropped to the dead-letter topic and stored", func(t *testing.T) {
		poison := orderCreated("o-poison")
		poison.Items = nil // invalid: Validate fails → DROP
		id := s.place(t, poison, "o-poison")
		_, err := s.relay(outbox.RelayOptions{}).Flush(ctx)
		require.NoError(t, err)
		store := deadletter.NewStore(s.pool, "payment")
		require.Eventually(t, func() bool {
			letters, err := store.List(ctx, deadletter.ListFilter{Limit: 10})
			return err == nil && len(letters) == 1 && letters[0].EventID == id
		}, 30*time.Second, 100*time.Millisecond, "dead letter stored by the consumer")
		letters, err := store.List(ctx, deadletter.ListFilter{Limit: 10})
		require.NoError(t, err)
		assert.Equal(t, events.TypeOrderCreated, letters[0].EventType)
		assert.Equal(t, events.DeadLetterTopic(events.TopicOrders, "payment"), letters[0].Topic)
		assert.Zero(t, pooltest.Count(t, s.pool, `SELECT count(*) FROM processed_events WHERE event_id = $1`, id), "a DROPped event leaves no inbox row")
		_, charged := s.charged(t, id)
		assert.False(t, charged)
	})
}
