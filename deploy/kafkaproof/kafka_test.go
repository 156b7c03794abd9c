package kafkaproof_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/deploy/kafkaproof"
	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/daprtest/sidecarclient"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

const (
	appToken = "kafka-proof-app-token"
	apiToken = "kafka-proof-api-token"

	// wait bounds every wait for a delivery: a correctness timeout, not a speed target.
	wait = 60 * time.Second
)

// Subscription paths of deploy/dapr/subscriptions (payment.yaml, notification.yaml).
const (
	pathOrderCreated       = "/events/orders/created"
	pathOrderStatusChanged = "/events/orders/status-changed"
	pathOrdersDeadLetters  = "/deadletters/orders"
)

// topics are created on the test broker up front, as on a production cluster without automatic
// topic creation: the two topics and the dead-letter topic of every subscription.
var topics = []string{
	events.TopicOrders, events.TopicPayments,
	events.DeadLetterTopic(events.TopicOrders, "payment"),
	events.DeadLetterTopic(events.TopicOrders, "notification"),
	events.DeadLetterTopic(events.TopicOrders, "analytics"),
	events.DeadLetterTopic(events.TopicPayments, "order"),
	events.DeadLetterTopic(events.TopicPayments, "notification"),
	events.DeadLetterTopic(events.TopicPayments, "analytics"),
}

// poisonOrder is the order whose order.created the payment test app answers with DROP.
const poisonOrder = "o-poison"

// stack is the order app's publishing sidecar and two consuming apps, payment and notification,
// each behind its own sidecar: real daprd processes loading the Kafka component, the shared
// resiliency and the shared subscriptions, all connected to one Kafka-protocol test broker.
type stack struct {
	brokers             string
	publisher           *dapr.Client
	payment             *kafkaproof.App
	notification        *kafkaproof.App
	notificationSidecar *daprtest.Sidecar
}

// newStack starts the test broker and the publishing sidecar; startConsumers adds the rest.
func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{brokers: kafkaproof.StartTestBroker(t, 3, topics...)}
	pub := s.sidecar(t, "order", 0)
	s.publisher = sidecarclient.New(t, pub, nil)
	return s
}

// startConsumers starts the payment and notification test apps and their sidecars. The payment
// app answers DROP to the order.created of poisonOrder.
func (s *stack) startConsumers(t *testing.T) {
	t.Helper()
	s.payment = kafkaproof.StartApp(t, appToken, func(d kafkaproof.Delivery) pubsub.Status {
		if d.Path == pathOrderCreated && d.Event.Subject == poisonOrder {
			return pubsub.StatusDrop
		}
		return pubsub.StatusSuccess
	})
	s.notification = kafkaproof.StartApp(t, appToken, func(kafkaproof.Delivery) pubsub.Status { return pubsub.StatusSuccess })
	s.sidecar(t, "payment", s.payment.Port)
	s.notificationSidecar = s.sidecar(t, "notification", s.notification.Port)
}

func (s *stack) sidecar(t *testing.T, app string, appPort int) *daprtest.Sidecar {
	t.Helper()
	return daprtest.Start(t, daprtest.Options{
		AppID: app, AppPort: appPort, AppToken: appToken, APIToken: apiToken,
		ResourcesPaths: []string{
			daprtest.DaprPath(t, "components", "kafka"),
			daprtest.DaprPath(t, "resiliency"),
			daprtest.DaprPath(t, "subscriptions"),
		},
		Env: []string{"KAFKA_BROKERS=" + s.brokers},
	})
}

// publish sends an event as the outbox relay does: a structured CloudEvent with the order id as
// partition key.
func (s *stack) publish(t *testing.T, ev events.CloudEvent) {
	t.Helper()
	body, err := json.Marshal(ev)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, s.publisher.Publish(ctx, events.PubSubName, events.TopicOrders, body, map[string]string{"partitionKey": ev.Subject}))
}

// orderEvent is version v of an order's history: order.created, then order.status.changed.
func orderEvent(t *testing.T, orderID string, v int64) events.CloudEvent {
	t.Helper()
	now := time.Now().UTC()
	var typ string
	var data any
	if v == 1 {
		typ = events.TypeOrderCreated
		data = events.OrderCreated{
			SchemaVersion: events.SchemaVersion, OrderID: orderID, CustomerID: "c-1", Currency: "EUR", Version: v,
			Items: []events.OrderItem{{ProductID: "p-1", Quantity: 1, UnitPrice: 1000}}, TotalAmount: 1000, CreatedAt: now,
		}
	} else {
		typ = events.TypeOrderStatusChanged
		data = events.OrderStatusChanged{
			SchemaVersion: events.SchemaVersion, OrderID: orderID, CustomerID: "c-1", From: "pending", To: "pending",
			TotalAmount: 1000, Currency: "EUR", Version: v, ChangedAt: now,
		}
	}
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	return events.CloudEvent{
		SpecVersion: "1.0", ID: fmt.Sprintf("%s-v%d", orderID, v), Source: "order", Type: typ, Subject: orderID,
		Time: &now, DataContentType: "application/json", Data: raw,
	}
}

// versionsByOrder returns, for each order, the versions of its events in the order the app
// first received them.
func versionsByOrder(t *testing.T, app *kafkaproof.App) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	for _, d := range app.Received() {
		if d.Path != pathOrderCreated && d.Path != pathOrderStatusChanged {
			continue
		}
		var data struct {
			OrderID string `json:"orderId"`
			Version int64  `json:"version"`
		}
		require.NoError(t, d.Event.DecodeData(&data))
		out[data.OrderID] = append(out[data.OrderID], data.Version)
	}
	return out
}

func receivedIDs(app *kafkaproof.App, paths ...string) []string {
	var ids []string
	for _, d := range app.Received() {
		if slices.Contains(paths, d.Path) {
			ids = append(ids, d.Event.ID)
		}
	}
	return ids
}

// TestDaprdKafka runs the production Kafka component (deploy/dapr/components/kafka: the prod
// settings without broker addresses and SASL) in real daprd sidecars against an in-process
// Kafka-protocol TEST broker (kfake), with the project's resiliency and subscriptions.
func TestDaprdKafka(t *testing.T) {
	s := newStack(t)

	// Everything is published before any consumer exists: each consumer group starts at the
	// oldest offset, and reads the topic's partitions concurrently. Interleaved across orders
	// (and so across partitions), in version order per order.
	orders := []string{"o-1", "o-2", "o-3", "o-4"}
	const versions = 5
	var published []string
	for v := int64(1); v <= versions; v++ {
		for _, o := range orders {
			ev := orderEvent(t, o, v)
			s.publish(t, ev)
			published = append(published, ev.ID)
		}
	}
	s.startConsumers(t)

	t.Run("every consuming app gets every event: one consumer group per app", func(t *testing.T) {
		for name, app := range map[string]*kafkaproof.App{"payment": s.payment, "notification": s.notification} {
			assert.Eventually(t, func() bool {
				return len(receivedIDs(app, pathOrderCreated, pathOrderStatusChanged)) >= len(published)
			}, wait, 100*time.Millisecond, "%s: every event", name)
			assert.ElementsMatch(t, published, receivedIDs(app, pathOrderCreated, pathOrderStatusChanged), name)
		}
	})

	t.Run("the events of one order arrive in order: partition key = order id", func(t *testing.T) {
		want := []int64{1, 2, 3, 4, 5}
		for name, app := range map[string]*kafkaproof.App{"payment": s.payment, "notification": s.notification} {
			byOrder := versionsByOrder(t, app)
			for _, o := range orders {
				assert.Equal(t, want, byOrder[o], "%s: versions of %s in arrival order", name, o)
			}
		}
	})

	t.Run("a DROP lands in the subscription's dead-letter topic", func(t *testing.T) {
		// Only the subscription to orders.payment.dlq (payment-orders-dlq) routes to
		// /deadletters/orders; the dead letter is the original envelope, same id.
		poison := orderEvent(t, poisonOrder, 1)
		s.publish(t, poison)
		require.Eventually(t, func() bool {
			return slices.Contains(receivedIDs(s.payment, pathOrdersDeadLetters), poison.ID)
		}, wait, 100*time.Millisecond, "payment's dead letter (topic %s)", events.DeadLetterTopic(events.TopicOrders, "payment"))
		for _, d := range s.payment.Received() {
			if d.Path == pathOrdersDeadLetters {
				assert.Equal(t, poison.Type, d.Event.Type, "the dead letter is the original event")
				assert.Equal(t, poisonOrder, d.Event.Subject)
			}
		}
		// Only payment dropped it: notification processed it normally and has no dead letter.
		require.Eventually(t, func() bool {
			return slices.Contains(receivedIDs(s.notification, pathOrderCreated), poison.ID)
		}, wait, 100*time.Millisecond, "notification gets the event")
		assert.Empty(t, receivedIDs(s.notification, pathOrdersDeadLetters))
	})

	t.Run("the component's scopes hold: a consumer cannot publish to orders", func(t *testing.T) {
		c := sidecarclient.New(t, s.notificationSidecar, nil)
		body, err := json.Marshal(orderEvent(t, "o-forbidden", 1))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = c.Publish(ctx, events.PubSubName, events.TopicOrders, body, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not allowed")
	})
}
