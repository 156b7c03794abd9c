// Package contract is the payment service's public surface, for its own router and for the
// deploy checks: its app id, the routes it serves and the topics it consumes and publishes,
// gathered in Spec.
package contract

import (
	"net/http"

	"github.com/orderflow/orderflow/pkg/events"
	platformcontract "github.com/orderflow/orderflow/pkg/platform/contract"
)

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

// OrdersDeadLetterTopic is the dead-letter topic of the orders subscription.
var OrdersDeadLetterTopic = events.DeadLetterTopic(events.TopicOrders, AppID)

// PublishedTypes lists the event types the service publishes.
var PublishedTypes = []string{events.TypePaymentCompleted, events.TypePaymentFailed, events.TypePaymentRefunded}

// Spec is the service's contract.
var Spec = platformcontract.Service{
	AppID: AppID,
	Port:  DefaultPort,
	Routes: append([]platformcontract.Route{
		{Method: http.MethodGet, Path: PathPayments},
		{Method: http.MethodGet, Path: PathPayment},
	}, platformcontract.DeadLetterAdminRoutes(AdminPrefix)...),
	EventRoutes:      []string{PathOrderCreated, PathOrderStatusChanged, PathOrdersDefault, PathOrdersDeadLetters},
	Publishes:        []string{events.TopicPayments},
	Consumes:         []string{events.TopicOrders},
	DeadLetterTopics: []string{OrdersDeadLetterTopic},
}
