// Package contract is the order service's public surface: its Dapr app id, the HTTP routes it
// serves (through Dapr service invocation), the topics it publishes and consumes and the
// subscription paths of deploy/dapr/subscriptions/order.yaml, gathered in Spec. Its router and
// the deploy checks use it.
package contract

import (
	"net/http"

	"github.com/orderflow/orderflow/pkg/events"
	platformcontract "github.com/orderflow/orderflow/pkg/platform/contract"
)

// AppID is the Dapr app id and the inbox consumer name.
const AppID = "order"

// DefaultPort is the HTTP port (APP_PORT).
const DefaultPort = 8081

// HTTP routes.
const (
	// RouteOrders: POST creates an order, GET lists a customer's orders (?customerId=&limit=).
	RouteOrders = "/orders"
	// RouteOrder: GET returns one order.
	RouteOrder = "/orders/:id"
	// RouteOrderStatus: PUT asks for a customer/operator status change (cancelled, shipped).
	RouteOrderStatus = "/orders/:id/status"
	// AdminPrefix groups the dead-letter admin API (GET /admin/deadletters, ...).
	AdminPrefix = "/admin"
)

// HTTP headers of the API.
const (
	// HeaderClientID names the API client the gateway authenticated; idempotency keys are
	// scoped to it.
	HeaderClientID = "X-Client-Id"
	// HeaderIdempotencyKey makes POST /orders safe to repeat.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotentReplayed is "true" on a response replayed for a repeated idempotency key.
	HeaderIdempotentReplayed = "Idempotent-Replayed"
)

// Subscription paths (deploy/dapr/subscriptions/order.yaml).
const (
	PathPaymentCompleted    = "/events/payments/completed"
	PathPaymentFailed       = "/events/payments/failed"
	PathPaymentsOther       = "/events/payments/other"
	PathPaymentsDeadLetters = "/deadletters/payments"
)

// PublishedTypes lists the CloudEvent types the service publishes.
var PublishedTypes = []string{events.TypeOrderCreated, events.TypeOrderStatusChanged}

// Spec is the service's contract. Every route requires the dapr-api-token header.
var Spec = platformcontract.Service{
	AppID: AppID,
	Port:  DefaultPort,
	Routes: append([]platformcontract.Route{
		{Method: http.MethodPost, Path: RouteOrders},
		{Method: http.MethodGet, Path: RouteOrders},
		{Method: http.MethodGet, Path: RouteOrder},
		{Method: http.MethodPut, Path: RouteOrderStatus},
	}, platformcontract.DeadLetterAdminRoutes(AdminPrefix)...),
	EventRoutes: []string{PathPaymentCompleted, PathPaymentFailed, PathPaymentsOther, PathPaymentsDeadLetters},
	// order.created and order.status.changed.
	Publishes:        []string{events.TopicOrders},
	Consumes:         []string{events.TopicPayments},
	DeadLetterTopics: []string{events.DeadLetterTopic(events.TopicPayments, AppID)},
}
