package subscriptions_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/subscriptions"
)

// paymentSubscriptions is a correct set: payment's orders subscription with its dead-letter
// subscription, and another app's bulk subscription that payment must not care about.
func paymentSubscriptions() []subscriptions.Subscription {
	return []subscriptions.Subscription{
		{
			Name:       "orders-payment",
			Topic:      events.TopicOrders,
			PubSubName: events.PubSubName,
			Rules: []subscriptions.Rule{
				{Path: "/events/order-created", EventType: events.TypeOrderCreated},
				{Path: "/events/order-status-changed", EventType: events.TypeOrderStatusChanged},
			},
			DefaultPath:     "/events/orders",
			DeadLetterTopic: "orders.payment.dlq",
			Scopes:          []string{"payment"},
		},
		{
			Name:        "orders-payment-dlq",
			Topic:       "orders.payment.dlq",
			PubSubName:  events.PubSubName,
			DefaultPath: "/events/orders-dlq",
			Scopes:      []string{"payment"},
		},
		{
			Name:            "orders-analytics",
			Topic:           events.TopicOrders,
			PubSubName:      events.PubSubName,
			DefaultPath:     "/events/orders-bulk",
			DeadLetterTopic: "orders.analytics.dlq",
			Bulk:            true,
			Scopes:          []string{"analytics"},
		},
	}
}

// routerSetup lists the routes of a router to build; the cases edit it.
type routerSetup struct {
	typed      map[string]string // path → event type
	defaults   []string
	bulk       []string
	deadLetter map[string]string // path → topic
}

func paymentSetup() routerSetup {
	return routerSetup{
		typed: map[string]string{
			"/events/order-created":        events.TypeOrderCreated,
			"/events/order-status-changed": events.TypeOrderStatusChanged,
		},
		defaults:   []string{"/events/orders"},
		deadLetter: map[string]string{"/events/orders-dlq": "orders.payment.dlq"},
	}
}

func (s routerSetup) routes() []pubsub.RouteInfo {
	noop := func(context.Context, events.CloudEvent) error { return nil }
	r := pubsub.NewRouter("payment", "token", nil)
	for path, eventType := range s.typed {
		r.Handle(path, eventType, noop)
	}
	for _, path := range s.defaults {
		r.Default(path, noop)
	}
	for _, path := range s.bulk {
		r.Bulk(path, func(context.Context, []pubsub.BulkEntry) map[string]error { return nil })
	}
	for path, topic := range s.deadLetter {
		r.DeadLetter(path, topic, nil)
	}
	return r.Routes()
}

func TestCheckRouterPasses(t *testing.T) {
	assert.NoError(t, subscriptions.CheckRouter(paymentSubscriptions(), "payment", paymentSetup().routes()))

	analytics := routerSetup{
		bulk:       []string{"/events/orders-bulk"},
		deadLetter: map[string]string{"/events/orders-analytics-dlq": "orders.analytics.dlq"},
	}
	subs := append(paymentSubscriptions(), subscriptions.Subscription{
		Name:        "orders-analytics-dlq",
		Topic:       "orders.analytics.dlq",
		PubSubName:  events.PubSubName,
		DefaultPath: "/events/orders-analytics-dlq",
		Scopes:      []string{"analytics"},
	})
	assert.NoError(t, subscriptions.CheckRouter(subs, "analytics", analytics.routes()))
}

func TestCheckRouterFails(t *testing.T) {
	tests := []struct {
		name      string
		editSubs  func(subs []subscriptions.Subscription) []subscriptions.Subscription
		editSetup func(s *routerSetup)
		wantErrs  []string
	}{
		{
			name: "rule path on a catch-all route",
			editSetup: func(s *routerSetup) {
				delete(s.typed, "/events/order-created")
				s.defaults = append(s.defaults, "/events/order-created")
			},
			wantErrs: []string{`subscription "orders-payment": path /events/order-created is a default route, want a typed route for order.created`},
		},
		{
			name: "rule path typed for another event type",
			editSetup: func(s *routerSetup) {
				s.typed["/events/order-created"] = events.TypePaymentCompleted
			},
			wantErrs: []string{`path /events/order-created is a typed route for payment.completed, want a typed route for order.created`},
		},
		{
			name:      "rule path not registered",
			editSetup: func(s *routerSetup) { delete(s.typed, "/events/order-status-changed") },
			wantErrs:  []string{`subscription "orders-payment": path /events/order-status-changed is not registered (want a typed route for order.status.changed)`},
		},
		{
			name:      "default path not registered",
			editSetup: func(s *routerSetup) { s.defaults = nil },
			wantErrs:  []string{`subscription "orders-payment": path /events/orders is not registered (want a default route)`},
		},
		{
			name: "no default route",
			editSubs: func(subs []subscriptions.Subscription) []subscriptions.Subscription {
				subs[0].DefaultPath = ""
				return subs
			},
			editSetup: func(s *routerSetup) { s.defaults = nil },
			wantErrs:  []string{`subscription "orders-payment": no default route`},
		},
		{
			name: "wrong dead-letter topic",
			editSubs: func(subs []subscriptions.Subscription) []subscriptions.Subscription {
				subs[0].DeadLetterTopic = "orders.dlq"
				return subs
			},
			wantErrs: []string{`subscription "orders-payment": deadLetterTopic "orders.dlq", want "orders.payment.dlq"`},
		},
		{
			name: "dead-letter subscription missing",
			editSubs: func(subs []subscriptions.Subscription) []subscriptions.Subscription {
				return append(subs[:1], subs[2:]...)
			},
			editSetup: func(s *routerSetup) { s.deadLetter = nil },
			wantErrs:  []string{"no subscription of payment to its dead-letter topic orders.payment.dlq"},
		},
		{
			name: "dead-letter subscription scoped to another app",
			editSubs: func(subs []subscriptions.Subscription) []subscriptions.Subscription {
				subs[1].Scopes = []string{"order"}
				return subs
			},
			editSetup: func(s *routerSetup) { s.deadLetter = nil },
			wantErrs:  []string{"no subscription of payment to its dead-letter topic orders.payment.dlq"},
		},
		{
			name: "dead-letter topic of another consumer",
			editSubs: func(subs []subscriptions.Subscription) []subscriptions.Subscription {
				subs[1].Topic = "orders.order.dlq"
				return subs
			},
			editSetup: func(s *routerSetup) { s.deadLetter["/events/orders-dlq"] = "orders.order.dlq" },
			wantErrs: []string{
				`subscription "orders-payment-dlq": orders.order.dlq is the dead-letter topic of another consumer than payment`,
				"no subscription of payment to its dead-letter topic orders.payment.dlq",
			},
		},
		{
			name: "dead-letter subscription on an event route",
			editSetup: func(s *routerSetup) {
				s.deadLetter = nil
				s.defaults = append(s.defaults, "/events/orders-dlq")
			},
			wantErrs: []string{`subscription "orders-payment-dlq": path /events/orders-dlq is a default route, want a dead-letter route for orders.payment.dlq`},
		},
		{
			name:      "dead-letter route for another topic",
			editSetup: func(s *routerSetup) { s.deadLetter["/events/orders-dlq"] = "payments.payment.dlq" },
			wantErrs:  []string{`path /events/orders-dlq is a dead-letter route for payments.payment.dlq, want a dead-letter route for orders.payment.dlq`},
		},
		{
			name: "bulk subscription on a single-event route",
			editSubs: func(subs []subscriptions.Subscription) []subscriptions.Subscription {
				subs[0].Bulk = true
				return subs
			},
			wantErrs: []string{
				`path /events/order-created is a typed route for order.created, want a bulk route`,
				`path /events/orders is a default route, want a bulk route`,
			},
		},
		{
			name: "wrong pub/sub component",
			editSubs: func(subs []subscriptions.Subscription) []subscriptions.Subscription {
				subs[0].PubSubName = "redis-pubsub"
				return subs
			},
			wantErrs: []string{`subscription "orders-payment": pubsubname "redis-pubsub", want "pubsub"`},
		},
		{
			name: "topic subscribed twice",
			editSubs: func(subs []subscriptions.Subscription) []subscriptions.Subscription {
				dup := subs[0]
				dup.Name = "orders-payment-again"
				dup.Rules = nil
				return append(subs, dup)
			},
			wantErrs: []string{`subscription "orders-payment-again": payment already subscribes to topic orders`},
		},
		{
			name:      "route no subscription targets",
			editSetup: func(s *routerSetup) { s.typed["/events/payment-refunded"] = events.TypePaymentRefunded },
			wantErrs:  []string{"route /events/payment-refunded (a typed route for payment.refunded) is the target of no subscription of payment"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subs, setup := paymentSubscriptions(), paymentSetup()
			if tt.editSubs != nil {
				subs = tt.editSubs(subs)
			}
			if tt.editSetup != nil {
				tt.editSetup(&setup)
			}

			err := subscriptions.CheckRouter(subs, "payment", setup.routes())

			require.Error(t, err)
			for _, want := range tt.wantErrs {
				assert.ErrorContains(t, err, want)
			}
		})
	}
}

func TestCheckRouterReportsEveryProblem(t *testing.T) {
	subs := paymentSubscriptions()
	subs[0].DeadLetterTopic = ""
	subs[0].PubSubName = ""

	err := subscriptions.CheckRouter(subs, "payment", nil)

	require.Error(t, err)
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "problems are joined")
	// pubsubname, deadLetterTopic, two rules, the default route and the dead-letter route.
	assert.Len(t, joined.Unwrap(), 6, err.Error())
}
