// Package contract describes the gateway from the outside: its app id and port, the apps it
// invokes through Dapr, the routes it serves (gathered in Spec) and its OpenAPI document. The
// gateway publishes and consumes no topic.
package contract

import (
	_ "embed"
	"net/http"
	"strings"

	platformcontract "github.com/orderflow/orderflow/pkg/platform/contract"
)

// AppID is the gateway's Dapr app id.
const AppID = "gateway"

// DefaultPort is the HTTP port (APP_PORT).
const DefaultPort = 8080

// App ids of the services the gateway invokes through its sidecar.
const (
	OrderApp        = "order"
	PaymentApp      = "payment"
	NotificationApp = "notification"
	AnalyticsApp    = "analytics"
)

// Upstreams lists every app the gateway invokes, in the order dead letters are gathered from them.
var Upstreams = []string{OrderApp, PaymentApp, NotificationApp, AnalyticsApp}

// Paths of the gateway's routes, in echo syntax.
const (
	PathOrders             = "/orders"
	PathOrder              = "/orders/:id"
	PathOrderStatus        = "/orders/:id/status"
	PathOrderPayments      = "/orders/:id/payments"
	PathOrderNotifications = "/orders/:id/notifications"
	PathPayments           = "/payments"
	PathNotifications      = "/notifications"
	PathAnalyticsSummary   = "/analytics/summary"
	PathDeadLetters        = AdminPrefix + "/deadletters"
	PathDeadLetter         = AdminPrefix + "/deadletters/:service/:id"
	PathDeadLetterReplay   = AdminPrefix + "/deadletters/:service/:id/replay"
	PathOpenAPI            = "/openapi.yaml"
)

// AdminPrefix groups the admin routes, which need an admin API key (IsAdmin).
const AdminPrefix = "/admin"

// Headers of the gateway's API.
const (
	// HeaderAPIKey carries the caller's API key.
	HeaderAPIKey = "X-API-Key"
	// HeaderIdempotencyKey makes POST /orders safe to retry.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotentReplayed is "true" on a response that repeats an earlier one.
	HeaderIdempotentReplayed = "Idempotent-Replayed"
	// HeaderClientID tells the services which API client made the request.
	HeaderClientID = "X-Client-Id"
	// HeaderRateLimitLimit and HeaderRateLimitRemaining describe the caller's rate-limit window.
	HeaderRateLimitLimit     = "X-RateLimit-Limit"
	HeaderRateLimitRemaining = "X-RateLimit-Remaining"
)

// Spec is the gateway's contract. Its Routes are the API that the OpenAPI document describes
// (the document itself is served at PathOpenAPI without an API key). The gateway publishes and
// consumes no topic, so it serves no event route.
var Spec = platformcontract.Service{
	AppID: AppID,
	Port:  DefaultPort,
	Routes: []platformcontract.Route{
		{Method: http.MethodPost, Path: PathOrders},
		{Method: http.MethodGet, Path: PathOrders},
		{Method: http.MethodGet, Path: PathOrder},
		{Method: http.MethodPut, Path: PathOrderStatus},
		{Method: http.MethodGet, Path: PathOrderPayments},
		{Method: http.MethodGet, Path: PathOrderNotifications},
		{Method: http.MethodGet, Path: PathPayments},
		{Method: http.MethodGet, Path: PathNotifications},
		{Method: http.MethodGet, Path: PathAnalyticsSummary},
		{Method: http.MethodGet, Path: PathDeadLetters},
		{Method: http.MethodGet, Path: PathDeadLetter},
		{Method: http.MethodPost, Path: PathDeadLetterReplay},
	},
}

// IsAdmin reports whether r is an admin route (under AdminPrefix): it needs an admin API key.
func IsAdmin(r platformcontract.Route) bool { return strings.HasPrefix(r.Path, AdminPrefix+"/") }

// OpenAPI is the gateway's OpenAPI 3.1 document, served at /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
