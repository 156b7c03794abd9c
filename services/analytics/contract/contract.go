// Package contract is the analytics service's public surface: its Dapr app id, the HTTP routes
// it serves, the topics it consumes and the subscription paths of
// deploy/dapr/subscriptions/analytics.yaml. Its router uses them; Spec gathers them for the
// router's tests and the deploy checks.
package contract

import (
	"net/http"

	"github.com/orderflow/orderflow/pkg/events"
	platformcontract "github.com/orderflow/orderflow/pkg/platform/contract"
)

// AppID is the Dapr app id and the consumer name of its dead letters.
const AppID = "analytics"

// DefaultPort is the HTTP port (APP_PORT).
const DefaultPort = 8084

// HTTP routes.
const (
	// RouteSummary: GET ?from=&to= (RFC 3339, optional) returns totals and hourly aggregates.
	RouteSummary = "/analytics/summary"
	// AdminPrefix groups the dead-letter admin API (GET /admin/deadletters, ...).
	AdminPrefix = "/admin"
)

// Subscription paths (deploy/dapr/subscriptions/analytics.yaml). Both topics are bulk
// subscriptions; their dead-letter topics are ordinary ones.
const (
	PathBulkOrders          = "/events/bulk/orders"
	PathBulkPayments        = "/events/bulk/payments"
	PathOrdersDeadLetters   = "/deadletters/orders"
	PathPaymentsDeadLetters = "/deadletters/payments"
)

// Spec is the service's contract. It publishes nothing (dead letters are published by its
// sidecar, to its DeadLetterTopics).
var Spec = platformcontract.Service{
	AppID: AppID,
	Port:  DefaultPort,
	Routes: append([]platformcontract.Route{
		{Method: http.MethodGet, Path: RouteSummary},
	}, platformcontract.DeadLetterAdminRoutes(AdminPrefix)...),
	EventRoutes: []string{PathBulkOrders, PathBulkPayments, PathOrdersDeadLetters, PathPaymentsDeadLetters},
	Consumes:    []string{events.TopicOrders, events.TopicPayments},
	DeadLetterTopics: []string{
		events.DeadLetterTopic(events.TopicOrders, AppID),
		events.DeadLetterTopic(events.TopicPayments, AppID),
	},
}
