// Package contract describes the gateway from the outside: its app id, the apps it invokes through
// Dapr, the routes it serves and its OpenAPI document. The gateway publishes and consumes no topic.
package contract

import (
	_ "embed"
	"net/http"
)

// AppID is the gateway's Dapr app id.
const AppID = "gateway"

// App ids of the services the gateway invokes through its sidecar.
const (
	OrderApp        = "order"
	PaymentApp      = "payment"
	NotificationApp = "notification"
	AnalyticsApp    = "analytics"
)

// Upstreams lists every app the gateway invokes, in the order dead letters are gathered from them.
var Upstreams = []string{OrderApp, PaymentApp, NotificationApp, AnalyticsApp}

// Topics the gateway publishes and consumes: none.
var (
	Publishes []string
	Consumes  []string
)

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
	PathDeadLetters        = "/admin/deadletters"
	PathDeadLetter         = "/admin/deadletters/:service/:id"
	PathDeadLetterReplay   = "/admin/deadletters/:service/:id/replay"
	PathOpenAPI            = "/openapi.yaml"
)

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

// Route is one method and path the gateway serves.
type Route struct {
	Method string
	Path   string
	// Admin routes need an admin API key.
	Admin bool
}

// Routes lists the API routes (not /healthz, /readyz, /metrics or /openapi.yaml).
var Routes = []Route{
	{Method: http.MethodPost, Path: PathOrders},
	{Method: http.MethodGet, Path: PathOrders},
	{Method: http.MethodGet, Path: PathOrder},
	{Method: http.MethodPut, Path: PathOrderStatus},
	{Method: http.MethodGet, Path: PathOrderPayments},
	{Method: http.MethodGet, Path: PathOrderNotifications},
	{Method: http.MethodGet, Path: PathPayments},
	{Method: http.MethodGet, Path: PathNotifications},
	{Method: http.MethodGet, Path: PathAnalyticsSummary},
	{Method: http.MethodGet, Path: PathDeadLetters, Admin: true},
	{Method: http.MethodGet, Path: PathDeadLetter, Admin: true},
	{Method: http.MethodPost, Path: PathDeadLetterReplay, Admin: true},
}

// OpenAPI is the gateway's OpenAPI 3.1 document, served at /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
