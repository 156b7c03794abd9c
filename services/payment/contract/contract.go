// Package contract is the payment service's public surface, for its own router and for the
// deploy checks: its app id, the routes it serves and the topics it consumes and publishes.
package contract

import "github.com/orderflow/orderflow/pkg/events"

// AppID is the Dapr app id; it is also the consumer name of the inbox and dead letters.
const AppID = "payment"

// DefaultPort is the HTTP port (APP_PORT).
const DefaultPort = 8082

// Subscription routes, as in deploy/dapr/subscriptions/payment.yaml.
const (
	PathOrderCreated       = "/events/orders/created"        // order.created
	PathOrderStatusChanged = "/events/orders/status-changed" // order.status.changed
	PathOrdersDefault      = "/events/orders/other"          // any other type on orders
	PathOrdersDeadLetters  = "/deadletters/orders"           // orders.payment.dlq
)

// HTTP routes.
const (
	PathPayments = "/payments"     // GET ?orderId= | ?customerId= [&limit=]
	PathPayment  = "/payments/:id" // GET
	AdminPrefix  = "/admin"        // dead letters: GET /admin/deadletters, GET /admin/deadletters/:id, POST /admin/deadletters/:id/replay
)

// Route is one HTTP route.
type Route struct {
	Method string
	Path   string
}

// Routes lists the HTTP routes the service serves (subscription routes are POST).
var Routes = []Route{
	{"GET", PathPayments},
	{"GET", PathPayment},
	{"GET", AdminPrefix + "/deadletters"},
	{"GET", AdminPrefix + "/deadletters/:id"},
	{"POST", AdminPrefix + "/deadletters/:id/replay"},
	{"POST", PathOrderCreated},
	{"POST", PathOrderStatusChanged},
	{"POST", PathOrdersDefault},
	{"POST", PathOrdersDeadLetters},
}

// Consumes lists the topics the service subscribes to, dead-letter topics included.
var Consumes = []string{events.TopicOrders, OrdersDeadLetterTopic}

// OrdersDeadLetterTopic is the dead-letter topic of the orders subscription.
var OrdersDeadLetterTopic = events.DeadLetterTopic(events.TopicOrders, AppID)

// Publishes lists the topics the service publishes to (its sidecar also publishes the
// dead letters of its subscriptions, OrdersDeadLetterTopic).
var Publishes = []string{events.TopicPayments}

// PublishedTypes lists the event types the service publishes.
var PublishedTypes = []string{events.TypePaymentCompleted, events.TypePaymentFailed, events.TypePaymentRefunded}
