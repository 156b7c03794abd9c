package k8scheck

import (
	"slices"
	"sort"
)

// App is what one service declares about itself (its contract), in the terms the checks need.
type App struct {
	// ID is the Dapr app id; the service's Deployment and Service carry the same name.
	ID string
	// Port is the port the service listens on (APP_PORT); 0 when the contract declares none.
	Port int
	// Image is the image the service runs: the name of its skaffold artifact.
	Image string
	// Publishes lists the topics the service publishes (dead-letter topics excluded).
	Publishes []string
	// Consumes lists the topics the service subscribes to (dead-letter topics excluded).
	Consumes []string
	// DeadLetterTopics lists the dead-letter topics of the service's subscriptions: its sidecar
	// publishes dropped events there and the service consumes them.
	DeadLetterTopics []string
	// Paths lists the paths the service serves for subscription deliveries (events and dead
	// letters).
	Paths []string
}

// PublishScope is what the app's publishingScopes entry must be: its own topics and the
// dead-letter topics of its subscriptions (the subscriber's sidecar publishes a dropped event,
// and a dead letter the scopes forbid is lost).
func (a App) PublishScope() []string { return union(a.Publishes, a.DeadLetterTopics) }

// SubscribeScope is what the app's subscriptionScopes entry must be: what it consumes,
// dead-letter topics included.
func (a App) SubscribeScope() []string { return union(a.Consumes, a.DeadLetterTopics) }

// UsesPubSub reports whether the app publishes or consumes anything.
func (a App) UsesPubSub() bool { return len(a.PublishScope())+len(a.SubscribeScope()) > 0 }

func union(lists ...[]string) []string {
	out := []string{}
	for _, l := range lists {
		out = append(out, l...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}
