package k8scheck

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// DaprGroup is the API group of Dapr's resources.
const DaprGroup = "dapr.io"

// SubscriptionAPIVersion is the Subscription version with routing rules, the only one used.
const SubscriptionAPIVersion = "dapr.io/v2alpha1"

// Pub/sub component metadata that carries the per-app topic scopes.
const (
	PublishingScopes   = "publishingScopes"
	SubscriptionScopes = "subscriptionScopes"
)

// ObjectMeta is the part of a Dapr resource's metadata the checks read.
type ObjectMeta struct {
	Name string `json:"name"`
}

// Component is a Dapr Component (dapr.io/v1alpha1), decoded after its CRD validation.
type Component struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		Type     string         `json:"type"`
		Version  string         `json:"version"`
		Metadata []MetadataItem `json:"metadata"`
	} `json:"spec"`
	Auth *struct {
		SecretStore string `json:"secretStore"`
	} `json:"auth,omitempty"`
	Scopes []string `json:"scopes"`
}

// MetadataItem is one entry of a component's metadata: a literal value, an environment
// variable of the sidecar, or a key of a secret in the component's secret store.
type MetadataItem struct {
	Name         string        `json:"name"`
	Value        any           `json:"value,omitempty"`
	EnvRef       string        `json:"envRef,omitempty"`
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
}

// SecretKeyRef names a key of a secret.
type SecretKeyRef struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// IsPubSub reports whether the component is a pub/sub broker.
func (c *Component) IsPubSub() bool { return strings.HasPrefix(c.Spec.Type, "pubsub.") }

// Item returns the metadata entry called name.
func (c *Component) Item(name string) (MetadataItem, bool) {
	for _, it := range c.Spec.Metadata {
		if it.Name == name {
			return it, true
		}
	}
	return MetadataItem{}, false
}

// Value returns the literal value of the metadata entry called name ("" when absent or not a
// literal).
func (c *Component) Value(name string) string {
	it, ok := c.Item(name)
	if !ok || it.Value == nil {
		return ""
	}
	return fmt.Sprint(it.Value)
}

// TopicScopes parses a publishingScopes or subscriptionScopes value,
// "app1=topic1,topic2;app2=topic3", into the sorted topics of each app. An app that is listed
// with no topic gets an empty list (Dapr: it may use none).
func TopicScopes(value string) (map[string][]string, error) {
	scopes := map[string][]string{}
	for entry := range strings.SplitSeq(value, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		app, topics, ok := strings.Cut(entry, "=")
		app = strings.TrimSpace(app)
		if !ok || app == "" {
			return nil, fmt.Errorf("scope entry %q is not app=topic,topic", entry)
		}
		if _, dup := scopes[app]; dup {
			return nil, fmt.Errorf("app %s is listed twice", app)
		}
		list := []string{}
		for t := range strings.SplitSeq(topics, ",") {
			if t = strings.TrimSpace(t); t != "" {
				list = append(list, t)
			}
		}
		sort.Strings(list)
		scopes[app] = slices.Compact(list)
	}
	return scopes, nil
}

// Subscription is a declarative Dapr Subscription, decoded after its CRD validation.
type Subscription struct {
	APIVersion string     `json:"apiVersion"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       struct {
		PubSubName      string `json:"pubsubname"`
		Topic           string `json:"topic"`
		DeadLetterTopic string `json:"deadLetterTopic"`
		Routes          struct {
			Rules []struct {
				Match string `json:"match"`
				Path  string `json:"path"`
			} `json:"rules"`
			Default string `json:"default"`
		} `json:"routes"`
		BulkSubscribe *struct {
			Enabled bool `json:"enabled"`
		} `json:"bulkSubscribe,omitempty"`
	} `json:"spec"`
	Scopes []string `json:"scopes"`
}

// Paths lists every path the subscription delivers to: its rules' paths and its default.
func (s *Subscription) Paths() []string {
	var paths []string
	for _, r := range s.Spec.Routes.Rules {
		paths = append(paths, r.Path)
	}
	if s.Spec.Routes.Default != "" {
		paths = append(paths, s.Spec.Routes.Default)
	}
	return paths
}
