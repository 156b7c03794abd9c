package subscriptions_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/pubsub/subscriptions"
)

const sampleFile = `
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders-payment
spec:
  topic: orders
  pubsubname: pubsub
  routes:
    rules:
      - match: 'event.type == "order.created"'
        path: /events/order-created
      - match: event.type=='order.status.changed'
        path: /events/order-status-changed
    default: /events/orders
  deadLetterTopic: orders.payment.dlq
scopes:
  - payment
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.redis
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders-payment-dlq
spec:
  topic: orders.payment.dlq
  pubsubname: pubsub
  routes:
    default: /events/orders-dlq
scopes: [payment]
`

const bulkFile = `
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders-analytics
spec:
  topic: orders
  pubsubname: pubsub
  routes:
    default: /events/orders-bulk
  deadLetterTopic: orders.analytics.dlq
  bulkSubscribe:
    enabled: true
    maxMessagesCount: 100
    maxAwaitDurationMs: 500
scopes: [analytics]
`

// writeFiles creates name → content files under dir (names may contain a subdirectory).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"orders-payment.yaml":  sampleFile,
		"orders-analytics.yml": bulkFile,
		"README.md":            "not yaml: [",
		// daprd does not read subdirectories, so neither does Load: this broken file is ignored.
		"old/orders.yaml": "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nspec: {routes: {rules: [{match: 'true'}]}}",
	})

	subs, err := subscriptions.Load(dir)

	require.NoError(t, err)
	assert.Equal(t, []subscriptions.Subscription{
		{
			Name:            "orders-analytics",
			Topic:           "orders",
			PubSubName:      "pubsub",
			DeadLetterTopic: "orders.analytics.dlq",
			DefaultPath:     "/events/orders-bulk",
			Bulk:            true,
			Scopes:          []string{"analytics"},
		},
		{
			Name:       "orders-payment",
			Topic:      "orders",
			PubSubName: "pubsub",
			Rules: []subscriptions.Rule{
				{Match: `event.type == "order.created"`, Path: "/events/order-created", EventType: "order.created"},
				{Match: `event.type=='order.status.changed'`, Path: "/events/order-status-changed", EventType: "order.status.changed"},
			},
			DefaultPath:     "/events/orders",
			DeadLetterTopic: "orders.payment.dlq",
			Scopes:          []string{"payment"},
		},
		{
			Name:        "orders-payment-dlq",
			Topic:       "orders.payment.dlq",
			PubSubName:  "pubsub",
			DefaultPath: "/events/orders-dlq",
			Scopes:      []string{"payment"},
		},
	}, subs)
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string
	}{
		{
			name: "match that is not a type comparison",
			content: `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata: {name: s}
spec: {topic: orders, routes: {rules: [{match: 'event.type != "order.created"', path: /x}], default: /y}}`,
			wantErr: `rule match "event.type != \"order.created\"": only event.type == "<type>" can be checked`,
		},
		{
			name: "compound match",
			content: `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata: {name: s}
spec: {topic: orders, routes: {rules: [{match: 'event.type == "a" || event.type == "b"', path: /x}]}}`,
			wantErr: "only event.type ==",
		},
		{
			name: "v1alpha1 subscription",
			content: `apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata: {name: s}
spec: {topic: orders, route: /x}`,
			wantErr: `subscription "s": apiVersion "dapr.io/v1alpha1", want dapr.io/v2alpha1`,
		},
		{
			name:    "invalid YAML",
			content: "kind: [Subscription",
			wantErr: "document 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"sub.yaml": tt.content})

			_, err := subscriptions.Load(dir)

			require.Error(t, err)
			assert.ErrorContains(t, err, filepath.Join(dir, "sub.yaml"))
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	_, err := subscriptions.Load(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestForApp(t *testing.T) {
	subs := []subscriptions.Subscription{
		{Name: "payment-only", Scopes: []string{"payment"}},
		{Name: "shared", Scopes: []string{"order", "payment"}},
		{Name: "order-only", Scopes: []string{"order"}},
		{Name: "unscoped"},
	}
	var names []string
	for _, s := range subscriptions.ForApp(subs, "payment") {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"payment-only", "shared", "unscoped"}, names)
}
