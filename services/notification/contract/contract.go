// Package contract is the notification service's public surface: its Dapr app id, the HTTP
// routes it serves, the topics it consumes and the subscription paths of
// deploy/dapr/subscriptions/notification.yaml. Its router and the deploy checks use it.
package contract

import "github.com/orderflow/orderflow/pkg/events"

// AppID is the Dapr app id and the inbox consumer name.
const AppID = "notification"

// DefaultPort is the HTTP port (APP_PORT).
const DefaultPort = 8083

// HTTP routes.
const (
	// RouteListNotifications lists stored notifications: ?customerId= or ?orderId= (one is required).
	RouteListNotifications = "/notifications"
	// AdminPrefix groups the dead-letter admin API (GET /admin/deadletters, ...).
	AdminPrefix = "/admin"
)

// Subscription paths (deploy/dapr/subscriptions/notification.yaml).
const (
	PathOrderCreated        = "/events/orders/created"
	PathOrderStatusChanged  = "/events/orders/status-changed"
	PathOrdersOther         = "/events/orders/other"
	PathPaymentCompleted    = "/events/payments/completed"
	PathPaymentFailed       = "/events/payments/failed"
	PathPaymentRefunded     = "/events/payments/refunded"
	PathPaymentsOther       = "/events/payments/other"
	PathOrdersDeadLetters   = "/deadletters/orders"
	PathPaymentsDeadLetters = "/deadletters/payments"
)

// Consumes lists the topics the service subscribes to.
var Consumes = []string{events.TopicOrders, events.TopicPayments}

// Publishes lists the topics the service publishes to: none (dead letters are published by its
// sidecar, to DeadLetterTopics).
var Publishes = []string{}

// DeadLetterTopics lists the dead-letter topics of the service's subscriptions, which it also
// consumes (and which its sidecar publishes to).
var DeadLetterTopics = []string{
	events.DeadLetterTopic(events.TopicOrders, AppID),
	events.DeadLetterTopic(events.TopicPayments, AppID),
}
