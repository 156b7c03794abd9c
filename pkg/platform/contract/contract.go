// Package contract is the shape of every service's contract package (services/<svc>/contract
// exports one Spec of type Service): what a service serves and which topics it publishes and
// consumes. Its router's tests and the deploy checks derive from it. Standard library and
// pkg/events only.
package contract

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/orderflow/orderflow/pkg/events"
)

// OperationalPaths are served by every service besides its API: liveness, readiness and
// metrics (pkg/platform/httpserver). No route of a contract uses them.
var OperationalPaths = []string{"/healthz", "/readyz", "/metrics"}

// Route is one method and path (in echo syntax, e.g. /orders/:id) of a service's HTTP API.
type Route struct {
	Method, Path string
}

func (r Route) String() string { return r.Method + " " + r.Path }

// DeadLetterAdminRoutes are the routes of the dead-letter admin API
// (pkg/platform/deadletter.RegisterAdmin) mounted under prefix, e.g. "/admin".
func DeadLetterAdminRoutes(prefix string) []Route {
	return []Route{
		{Method: "GET", Path: prefix + "/deadletters"},
		{Method: "GET", Path: prefix + "/deadletters/:id"},
		{Method: "POST", Path: prefix + "/deadletters/:id/replay"},
	}
}

// Service is what a service declares about itself.
type Service struct {
	// AppID is the Dapr app id (also the Deployment, the Service and the inbox consumer name).
	AppID string
	// Port is the HTTP port the service listens on by default (APP_PORT), for its API, its
	// event routes and OperationalPaths.
	Port int
	// Routes is the HTTP API it serves (not OperationalPaths, not EventRoutes).
	Routes []Route
	// EventRoutes lists every path its Dapr subscriptions deliver to (always as POST),
	// dead-letter routes included.
	EventRoutes []string
	// Publishes lists the topics it publishes to.
	Publishes []string
	// Consumes lists the topics it subscribes to, not dead-letter topics.
	Consumes []string
	// DeadLetterTopics lists the dead-letter topics of its subscriptions, one per consumed
	// topic (events.DeadLetterTopic): its sidecar publishes dropped events there and the
	// service consumes them.
	DeadLetterTopics []string
}

// PublishingScope is what the service's sidecar may publish to (the pub/sub component's
// publishingScopes): its own topics and the dead-letter topics of its subscriptions, since the
// subscriber's sidecar publishes a dropped event. Sorted, without duplicates.
func (s Service) PublishingScope() []string { return union(s.Publishes, s.DeadLetterTopics) }

// SubscriptionScope is what the service's sidecar may subscribe to (subscriptionScopes): what
// it consumes, dead-letter topics included. Sorted, without duplicates.
func (s Service) SubscriptionScope() []string { return union(s.Consumes, s.DeadLetterTopics) }

// UsesPubSub reports whether the service publishes or consumes anything.
func (s Service) UsesPubSub() bool {
	return len(s.PublishingScope())+len(s.SubscriptionScope()) > 0
}

// Validate reports every way s is inconsistent: a missing app id or port, a malformed,
// duplicate or operational route, an event route that collides with an API route or delivers
// nothing, or dead-letter topics that are not exactly one per consumed topic.
func (s Service) Validate() error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("contract %s: "+format, append([]any{s.AppID}, args...)...))
	}
	if s.AppID == "" {
		fail("no app id")
	}
	if s.Port < 1 || s.Port > 65535 {
		fail("port %d is not a port", s.Port)
	}
	checkPath := func(what, path string) {
		if !strings.HasPrefix(path, "/") {
			fail("%s %q does not start with /", what, path)
		}
		if slices.Contains(OperationalPaths, path) {
			fail("%s %s is an operational path", what, path)
		}
	}
	for i, r := range s.Routes {
		if r.Method == "" || r.Method != strings.ToUpper(r.Method) {
			fail("route %s: method %q is not an upper-case HTTP method", r, r.Method)
		}
		checkPath("route", r.Path)
		if slices.Contains(s.Routes[:i], r) {
			fail("route %s listed twice", r)
		}
	}
	for i, path := range s.EventRoutes {
		checkPath("event route", path)
		if slices.Contains(s.EventRoutes[:i], path) {
			fail("event route %s listed twice", path)
		}
		if r := (Route{Method: "POST", Path: path}); slices.Contains(s.Routes, r) {
			fail("event route %s is also the API route %s", path, r)
		}
	}
	for _, list := range []struct {
		name   string
		topics []string
	}{{"publishes", s.Publishes}, {"consumes", s.Consumes}, {"dead-letter topics", s.DeadLetterTopics}} {
		if got := union(list.topics); len(got) != len(list.topics) || slices.Contains(got, "") {
			fail("%s %v: empty or duplicate topics", list.name, list.topics)
		}
	}
	var want []string
	for _, topic := range s.Consumes {
		if slices.Contains(s.DeadLetterTopics, topic) {
			fail("consumes the dead-letter topic %s: list it in DeadLetterTopics only", topic)
		}
		want = append(want, events.DeadLetterTopic(topic, s.AppID))
	}
	if !slices.Equal(union(s.DeadLetterTopics), union(want)) {
		fail("dead-letter topics %v, want one per consumed topic: %v", s.DeadLetterTopics, union(want))
	}
	if n := len(s.Consumes) + len(s.DeadLetterTopics); len(s.EventRoutes) < n || (n == 0 && len(s.EventRoutes) > 0) {
		fail("%d event routes for %d subscribed topics (every subscription needs one, and a route needs a subscription)",
			len(s.EventRoutes), n)
	}
	return errors.Join(errs...)
}

func union(lists ...[]string) []string {
	out := []string{}
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
