// Package contract is the notification service's public surface: its Dapr app id, the HTTP routes
// it serves, the topics it consumes and the subscription paths of
// deploy/dapr/subscriptions/notification.yaml. Its router uses them; Spec gathers them for the
// router's tests and the deploy checks.
package contract

import (
	"net/http"

	"github.com/orderflow/orderflow/pkg/events"
	platformcontract "github.com/orderflow/orderflow/pkg/platform/contract"
)

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

// Spec is the service's contract. It publishes nothing (dead letters are published by its
// sidecar, to its DeadLetterTopics).
var Spec = platformcontract.Service{
	AppID: AppID,
	Port:  DefaultPort,
	Routes: append([]platformcontract.Route{
		{Method: http.MethodGet, Path: RouteListNotifications},
	}, platformcontract.DeadLetterAdminRoutes(AdminPrefix)...),
	EventRoutes: []string{
		PathOrderCreated, PathOrderStatusChanged, PathOrdersOther,
		PathPaymentCompleted, PathPaymentFailed, PathPaymentRefunded, PathPaymentsOther,
		PathOrdersDeadLetters, PathPaymentsDeadLetters,
	},
	Consumes: []string{events.TopicOrders, events.TopicPayments},
	DeadLetterTopics: []string{
		events.DeadLetterTopic(events.TopicOrders, AppID),
		events.DeadLetterTopic(events.TopicPayments, AppID),
	},
}
