// Package subscriptions reads the declarative Dapr subscriptions (Subscription
// dapr.io/v2alpha1) of deploy/dapr/subscriptions and checks them against a service's
// pubsub.Router, so that a routing rule, default route or dead-letter topic that the service
// does not serve fails a test instead of losing events at run time.
package subscriptions

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"go.yaml.in/yaml/v3"
)

// APIVersion is the only Subscription version the project uses (routing rules live in v2alpha1).
const APIVersion = "dapr.io/v2alpha1"

// Subscription is the part of a Subscription manifest the checks need.
type Subscription struct {
	Name            string
	Topic           string
	PubSubName      string
	DeadLetterTopic string
	Rules           []Rule
	DefaultPath     string
	Bulk            bool
	Scopes          []string
}

// Rule is one routing rule. EventType is parsed from Match, which must have the form
// event.type == "x": other expressions cannot be checked and are rejected by Load.
type Rule struct {
	Match     string
	Path      string
	EventType string
}

// manifest is one YAML document as written in the subscription files.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Topic           string `yaml:"topic"`
		PubSubName      string `yaml:"pubsubname"`
		DeadLetterTopic string `yaml:"deadLetterTopic"`
		Routes          struct {
			Rules []struct {
				Match string `yaml:"match"`
				Path  string `yaml:"path"`
			} `yaml:"rules"`
			Default string `yaml:"default"`
		} `yaml:"routes"`
		BulkSubscribe struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"bulkSubscribe"`
	} `yaml:"spec"`
	Scopes []string `yaml:"scopes"`
}

// Load parses every *.yaml and *.yml file directly inside dir — like daprd, it does not descend
// into subdirectories — and returns their Subscription documents in file order. Files may hold
// several documents; documents of other kinds are skipped. Every problem found is returned.
func Load(dir string) ([]Subscription, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	var subs []Subscription
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !isYAML(e.Name()) {
			continue
		}
		fileSubs, err := loadFile(filepath.Join(dir, e.Name()))
		subs = append(subs, fileSubs...)
		errs = append(errs, err)
	}
	return subs, errors.Join(errs...)
}

// ForApp returns the subscriptions that apply to app: those scoped to it and, as in Dapr,
// those without scopes.
func ForApp(subs []Subscription, app string) []Subscription {
	var mine []Subscription
	for _, s := range subs {
		if len(s.Scopes) == 0 || slices.Contains(s.Scopes, app) {
			mine = append(mine, s)
		}
	}
	return mine
}

func isYAML(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

func loadFile(path string) ([]Subscription, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var subs []Subscription
	var errs []error
	for doc := 1; ; doc++ {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return subs, fmt.Errorf("subscriptions: %s: document %d: %w", path, doc, err)
		}
		if m.Kind != "Subscription" {
			continue
		}
		sub, err := m.subscription()
		if err != nil {
			errs = append(errs, fmt.Errorf("subscriptions: %s: document %d: %w", path, doc, err))
			continue
		}
		subs = append(subs, sub)
	}
	return subs, errors.Join(errs...)
}

func (m manifest) subscription() (Subscription, error) {
	if m.APIVersion != APIVersion {
		return Subscription{}, fmt.Errorf("subscription %q: apiVersion %q, want %s", m.Metadata.Name, m.APIVersion, APIVersion)
	}
	s := Subscription{
		Name:            m.Metadata.Name,
		Topic:           m.Spec.Topic,
		PubSubName:      m.Spec.PubSubName,
		DeadLetterTopic: m.Spec.DeadLetterTopic,
		DefaultPath:     m.Spec.Routes.Default,
		Bulk:            m.Spec.BulkSubscribe.Enabled,
		Scopes:          m.Scopes,
	}
	for _, r := range m.Spec.Routes.Rules {
		eventType, err := parseMatch(r.Match)
		if err != nil {
			return Subscription{}, fmt.Errorf("subscription %q: %w", s.Name, err)
		}
		s.Rules = append(s.Rules, Rule{Match: r.Match, Path: r.Path, EventType: eventType})
	}
	return s, nil
}

// matchEventType accepts event.type == "x" (or 'x', also a CEL string), spaces aside.
var matchEventType = regexp.MustCompile(`^\s*event\.type\s*==\s*(?:"([^"\\]+)"|'([^'\\]+)')\s*$`)

func parseMatch(match string) (string, error) {
	m := matchEventType.FindStringSubmatch(match)
	if m == nil {
		return "", fmt.Errorf("rule match %q: only event.type == \"<type>\" can be checked", match)
	}
	return m[1] + m[2], nil
}
