package subscriptions

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

// CheckRouter checks that app's router (its Routes) serves what the subscriptions send it, and
// returns every problem found, joined. For each subscription that applies to app:
//   - its pubsubname is events.PubSubName, and no other subscription of app has its topic;
//   - it has a default route;
//   - bulk subscriptions route every path to a RouteBulk route;
//   - otherwise each rule's path is a RouteTyped route for exactly the rule's event type (a
//     catch-all does not do), and the default path is a RouteDefault route;
//   - its deadLetterTopic is events.DeadLetterTopic(topic, app), and app subscribes to that
//     topic too, with every path on a RouteDeadLetter route for that topic.
//
// Finally every route must be the target of some subscription: a route nothing sends to is a
// handler that never runs.
func CheckRouter(subs []Subscription, app string, routes []pubsub.RouteInfo) error {
	c := checker{app: app, routes: make(map[string]pubsub.RouteInfo, len(routes)), used: make(map[string]bool)}
	for _, r := range routes {
		c.routes[r.Path] = r
	}
	subscribed := make(map[string]bool)
	var deadLetterTopics []string
	for _, s := range ForApp(subs, app) {
		if subscribed[s.Topic] {
			c.problemf("subscription %q: %s already subscribes to topic %s", s.Name, app, s.Topic)
		}
		subscribed[s.Topic] = true
		if dlq := c.check(s); dlq != "" {
			deadLetterTopics = append(deadLetterTopics, dlq)
		}
	}
	for _, dlq := range deadLetterTopics {
		if !subscribed[dlq] {
			c.problemf("no subscription of %s to its dead-letter topic %s", app, dlq)
		}
	}
	for _, r := range routes {
		if !c.used[r.Path] {
			c.problemf("route %s (%s) is the target of no subscription of %s", r.Path, describe(r), app)
		}
	}
	return errors.Join(c.problems...)
}

type checker struct {
	app      string
	routes   map[string]pubsub.RouteInfo
	used     map[string]bool
	problems []error
}

func (c *checker) problemf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Errorf(format, args...))
}

// check checks one subscription and returns the dead-letter topic app must subscribe to
// because of it, if any.
func (c *checker) check(s Subscription) string {
	if s.PubSubName != events.PubSubName {
		c.problemf("subscription %q: pubsubname %q, want %q", s.Name, s.PubSubName, events.PubSubName)
	}
	if s.DefaultPath == "" {
		c.problemf("subscription %q: no default route", s.Name)
	}
	if isDeadLetterTopic(s.Topic) {
		c.checkDeadLetter(s)
		return ""
	}
	dlq := events.DeadLetterTopic(s.Topic, c.app)
	if s.DeadLetterTopic != dlq {
		c.problemf("subscription %q: deadLetterTopic %q, want %q", s.Name, s.DeadLetterTopic, dlq)
	}
	if s.Bulk {
		for _, path := range paths(s) {
			c.expect(s, pubsub.RouteInfo{Path: path, Kind: pubsub.RouteBulk})
		}
		return dlq
	}
	for _, r := range s.Rules {
		c.expect(s, pubsub.RouteInfo{Path: r.Path, Kind: pubsub.RouteTyped, EventType: r.EventType})
	}
	if s.DefaultPath != "" {
		c.expect(s, pubsub.RouteInfo{Path: s.DefaultPath, Kind: pubsub.RouteDefault})
	}
	return dlq
}

func (c *checker) checkDeadLetter(s Subscription) {
	if !strings.HasSuffix(s.Topic, "."+c.app+".dlq") {
		c.problemf("subscription %q: %s is the dead-letter topic of another consumer than %s", s.Name, s.Topic, c.app)
	}
	for _, path := range paths(s) {
		c.expect(s, pubsub.RouteInfo{Path: path, Kind: pubsub.RouteDeadLetter, Topic: s.Topic})
	}
}

// expect records a problem unless want.Path is registered exactly as want.
func (c *checker) expect(s Subscription, want pubsub.RouteInfo) {
	c.used[want.Path] = true
	got, ok := c.routes[want.Path]
	switch {
	case !ok:
		c.problemf("subscription %q: path %s is not registered (want %s)", s.Name, want.Path, describe(want))
	case got != want:
		c.problemf("subscription %q: path %s is %s, want %s", s.Name, want.Path, describe(got), describe(want))
	}
}

func describe(r pubsub.RouteInfo) string {
	switch r.Kind {
	case pubsub.RouteTyped:
		return "a typed route for " + r.EventType
	case pubsub.RouteDeadLetter:
		return "a dead-letter route for " + r.Topic
	default:
		return "a " + string(r.Kind) + " route"
	}
}

// paths lists every path a subscription routes to.
func paths(s Subscription) []string {
	var ps []string
	for _, r := range s.Rules {
		ps = append(ps, r.Path)
	}
	if s.DefaultPath != "" {
		ps = append(ps, s.DefaultPath)
	}
	return ps
}

func isDeadLetterTopic(topic string) bool {
	return strings.HasSuffix(topic, ".dlq")
}
