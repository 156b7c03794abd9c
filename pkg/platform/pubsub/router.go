package pubsub

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
)

// HeaderAPIToken carries the sidecar's APP_API_TOKEN on every request to the app.
const HeaderAPIToken = "dapr-api-token"

// Body limits of the event routes. A body over the limit is answered DROP (single events) or
// as undecodable (bulk), never 413: Dapr would retry a status code, and the size never changes.
// Dead-letter routes take MaxBulkBytes, so an event dropped for its size can still be stored.
const (
	MaxEventBytes int64 = 4 << 20
	MaxBulkBytes  int64 = 32 << 20
)

// RouteKind says what a route does with the events it receives.
type RouteKind string

// The kinds of route.
const (
	RouteTyped      RouteKind = "typed"      // one event type; others are dropped
	RouteDefault    RouteKind = "default"    // any event type: a subscription's default route
	RouteBulk       RouteKind = "bulk"       // bulk deliveries
	RouteDeadLetter RouteKind = "deadletter" // a dead-letter topic: events are stored
)

// RouteInfo describes a registered route, for checks against the subscription files.
type RouteInfo struct {
	Path      string
	Kind      RouteKind
	EventType string // RouteTyped only
	Topic     string // RouteDeadLetter only: the dead-letter topic
}

// delivery is one request body as read by the route, or the error that stopped reading it.
type delivery struct {
	contentType string
	body        []byte
	err         error
}

type route struct {
	info  RouteInfo
	limit int64
	// serve processes a delivery and returns the JSON body answered with HTTP 200.
	serve func(ctx context.Context, d delivery) any
}

// Router holds a consumer's subscription routes. Register routes before calling Register;
// a Router is then safe for concurrent use.
type Router struct {
	consumer  string
	tokenHash [sha256.Size]byte
	hasToken  bool
	log       *slog.Logger
	routes    []route
	paths     map[string]bool
	byType    map[string]Handler
}

// NewRouter returns a router for consumer (the Dapr app id, e.g. "payment") that accepts only
// requests carrying appToken (APP_API_TOKEN) in the dapr-api-token header. An empty appToken
// rejects every request: a missing secret must not open the routes. A nil log uses slog.Default.
func NewRouter(consumer, appToken string, log *slog.Logger) *Router {
	if log == nil {
		log = slog.Default()
	}
	return &Router{
		consumer:  consumer,
		tokenHash: sha256.Sum256([]byte(appToken)),
		hasToken:  appToken != "",
		log:       log.With(slog.String("consumer", consumer)),
		paths:     make(map[string]bool),
		byType:    make(map[string]Handler),
	}
}

// Handle registers a typed route: path receives events of eventType only, and an event of any
// other type is dropped (the subscription's routing rule is wrong, or the event is poison).
// h also serves Dispatch for eventType. Registering a path or an event type twice panics.
func (r *Router) Handle(path, eventType string, h Handler) {
	if _, dup := r.byType[eventType]; dup {
		panic(fmt.Sprintf("pubsub: event type %q already has a route", eventType))
	}
	r.byType[eventType] = h
	typed := func(ctx context.Context, ev events.CloudEvent) error {
		if ev.Type != eventType {
			return Permanent(fmt.Errorf("pubsub: route %s takes %s, got %q", path, eventType, ev.Type))
		}
		return h(ctx, ev)
	}
	r.add(RouteInfo{Path: path, Kind: RouteTyped, EventType: eventType}, MaxEventBytes, r.serveSingle(path, typed))
}

// Default registers a catch-all route for a subscription's default route: h receives every
// valid event, whatever its type (typically to acknowledge and count events it ignores).
func (r *Router) Default(path string, h Handler) {
	r.add(RouteInfo{Path: path, Kind: RouteDefault}, MaxEventBytes, r.serveSingle(path, h))
}

// Bulk registers a route for a bulk subscription. Every entry is decoded first: one that is
// not a valid CloudEvent is answered DROP without reaching h, and h gets the valid ones. Every
// entry ID of the request is answered exactly once.
//
// A body that is not a bulk envelope at all (Dapr never sends one) has no entry IDs to answer:
// it is logged and answered with no statuses, and the sidecar retries whatever it did send.
func (r *Router) Bulk(path string, h BulkHandler) {
	r.add(RouteInfo{Path: path, Kind: RouteBulk}, MaxBulkBytes, r.serveBulk(path, h))
}

// DeadLetter registers the route of a dead-letter subscription on topic: every event is saved
// to store as received — even a malformed one, which is why it is here — and answered SUCCESS,
// or RETRY when the store fails.
func (r *Router) DeadLetter(path, topic string, store DeadLetterSink) {
	save := func(ctx context.Context, d delivery) (events.CloudEvent, error) {
		var ev events.CloudEvent
		if d.err != nil {
			return ev, d.err
		}
		// Best effort: a malformed event keeps what decoded and is stored all the same.
		_ = json.Unmarshal(d.body, &ev)
		return ev, r.invoke(ctx, ev, func(ctx context.Context, ev events.CloudEvent) error {
			return store.Save(ctx, topic, ev, d.body)
		})
	}
	r.add(RouteInfo{Path: path, Kind: RouteDeadLetter, Topic: topic}, MaxBulkBytes, func(ctx context.Context, d delivery) any {
		ev, err := save(ctx, d)
		return statusResponse{Status: r.outcome(ctx, path, "", ev, err)}
	})
}

// Dispatch runs the typed handler registered for ev.Type, as a delivery would, and returns its
// error: dead-letter replay uses it. An invalid event or an unknown type is a permanent error.
func (r *Router) Dispatch(ctx context.Context, ev events.CloudEvent) error {
	h, ok := r.byType[ev.Type]
	if !ok {
		return Permanent(fmt.Errorf("pubsub: %s has no route for event type %q", r.consumer, ev.Type))
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	return r.invoke(ctx, ev, h)
}

// Routes lists the registered routes in registration order.
func (r *Router) Routes() []RouteInfo {
	infos := make([]RouteInfo, len(r.routes))
	for i, rt := range r.routes {
		infos[i] = rt.info
	}
	return infos
}

// Register mounts every route on e as POST. Event routes enforce their own body limits: a
// global body-limit middleware would answer 413 to the sidecar first, so give it Skipper
// (httpserver.Options.BodyLimitSkipper, or middleware.BodyLimitConfig.Skipper).
func (r *Router) Register(e *echo.Echo) {
	for _, rt := range r.routes {
		e.POST(rt.info.Path, r.endpoint(rt))
	}
}

// Skipper reports whether c was routed to one of the router's routes; it is meant for the
// Skipper field of middleware that must not apply to event deliveries, such as a body limit.
func (r *Router) Skipper(c echo.Context) bool {
	return r.paths[c.Path()]
}

func (r *Router) add(info RouteInfo, limit int64, serve func(ctx context.Context, d delivery) any) {
	if r.paths[info.Path] {
		panic(fmt.Sprintf("pubsub: path %s registered twice", info.Path))
	}
	r.paths[info.Path] = true
	r.routes = append(r.routes, route{info: info, limit: limit, serve: serve})
}

// endpoint is the echo handler of one route: token check, body, and always HTTP 200 with a
// status body once the caller is authenticated.
func (r *Router) endpoint(rt route) echo.HandlerFunc {
	return func(c echo.Context) error {
		defer r.observeDuration(rt.info.Path, time.Now())
		req := c.Request()
		if !r.authorized(req.Header.Get(HeaderAPIToken)) {
			r.log.LogAttrs(req.Context(), slog.LevelWarn, "pubsub: delivery rejected: missing or wrong app token",
				slog.String("route", rt.info.Path))
			return c.JSON(http.StatusUnauthorized, httpserver.ErrorResponse{Error: errUnauthorized})
		}
		body, err := readBody(req.Body, rt.limit)
		d := delivery{contentType: req.Header.Get(echo.HeaderContentType), body: body, err: err}
		return c.JSON(http.StatusOK, rt.serve(req.Context(), d))
	}
}

// authorized compares digests in constant time, so neither the token nor its length leaks.
func (r *Router) authorized(token string) bool {
	sum := sha256.Sum256([]byte(token))
	return r.hasToken && subtle.ConstantTimeCompare(sum[:], r.tokenHash[:]) == 1
}

// readBody reads at most limit bytes; a longer body is a permanent error.
func readBody(body io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("pubsub: read body: %w", err)
	case int64(len(b)) > limit:
		return nil, Permanent(fmt.Errorf("pubsub: body larger than %d bytes", limit))
	}
	return b, nil
}

// serveSingle serves one structured CloudEvent with h.
func (r *Router) serveSingle(path string, h Handler) func(ctx context.Context, d delivery) any {
	return func(ctx context.Context, d delivery) any {
		ev, err := decodeDelivery(d)
		if err == nil {
			err = r.invoke(ctx, ev, h)
		}
		return statusResponse{Status: r.outcome(ctx, path, "", ev, err)}
	}
}

// decodeDelivery decodes and validates a single event's body; every failure is permanent.
func decodeDelivery(d delivery) (events.CloudEvent, error) {
	if d.err != nil {
		return events.CloudEvent{}, d.err
	}
	mediaType, _, err := mime.ParseMediaType(d.contentType)
	if err != nil || (mediaType != events.ContentTypeCloudEvents && mediaType != echo.MIMEApplicationJSON) {
		return events.CloudEvent{}, Permanent(fmt.Errorf("pubsub: unsupported content type %q", d.contentType))
	}
	return decodeEvent(d.body)
}

// decodeEvent decodes a structured CloudEvent and validates its envelope; failures are
// permanent. On failure the event holds what did decode, for logs.
func decodeEvent(b []byte) (events.CloudEvent, error) {
	var ev events.CloudEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return ev, Permanent(fmt.Errorf("pubsub: decode cloudevent: %w", err))
	}
	return ev, ev.Validate()
}

// invoke runs h in a consumer span that continues the producer's trace (the event's
// traceparent) with the event's correlation id as request id, turning a panic into a
// (transient) error.
func (r *Router) invoke(ctx context.Context, ev events.CloudEvent, h Handler) (err error) {
	ctx = telemetry.Extract(ctx, ev.TraceParent, ev.TraceState)
	if ev.CorrelationID != "" {
		ctx = logging.WithRequestID(ctx, ev.CorrelationID)
	}
	ctx, span := tracer.Start(ctx, "consume "+typeLabel(ev.Type), trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.message.id", ev.ID), attribute.String("messaging.consumer.group.name", r.consumer)))
	defer func() {
		if p := recover(); p != nil {
			err = r.panicError(ctx, p, slog.String("event_id", ev.ID))
		}
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	return h(ctx, ev)
}

var tracer = otel.Tracer("github.com/orderflow/orderflow/pkg/platform/pubsub")

// panicError logs a recovered panic with its stack and returns it as an error, which is not
// permanent: the fault is in the code, and a fixed release may process the event.
func (r *Router) panicError(ctx context.Context, p any, attrs ...slog.Attr) error {
	attrs = append(attrs, slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
	r.log.LogAttrs(ctx, slog.LevelError, "pubsub: handler panicked", attrs...)
	return fmt.Errorf("pubsub: handler panicked: %v", p)
}

// outcome maps err to a status, counts it and logs it unless it is SUCCESS.
func (r *Router) outcome(ctx context.Context, path, entryID string, ev events.CloudEvent, err error) Status {
	status := StatusFor(err)
	r.countEvent(path, ev.Type, status)
	if status == StatusSuccess {
		return status
	}
	level := slog.LevelWarn
	if status == StatusDrop {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("route", path),
		slog.String("event_id", ev.ID),
		slog.String("event_type", ev.Type),
		slog.String("status", string(status)),
		slog.String("error", err.Error()),
	}
	if entryID != "" {
		attrs = append(attrs, slog.String("entry_id", entryID))
	}
	r.log.LogAttrs(ctx, level, "pubsub: event not processed", attrs...)
	return status
}

type statusResponse struct {
	Status Status `json:"status"`
}

// errUnauthorized is written directly rather than returned, so that the answer does not depend
// on the echo instance's error handler.
var errUnauthorized = httpserver.NewError(http.StatusUnauthorized, "unauthorized", "missing or invalid "+HeaderAPIToken+" header")
