// Package contract is the analytics service's public surface: its Dapr app id, the HTTP routes
// it serves, the topics it consumes and the subscription paths of
// deploy/dapr/subscriptions/analytics.yaml. Its router and the deploy checks use it.
package contract

import "github.com/orderflow/orderflow/pkg/events"

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
