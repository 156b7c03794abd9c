package pubsub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

type bulkStatus struct {
	EntryID string        `json:"entryId"`
	Status  pubsub.Status `json:"status"`
}

// bulkBody is a bulk delivery as the sidecar sends it.
func bulkBody(t testing.TB, entries ...any) []byte {
	return mustJSON(t, map[string]any{
		"id":         "bulk-1",
		"type":       "com.dapr.event.sent.bulk",
		"topic":      topicOrders,
		"pubsubname": events.PubSubName,
		"metadata":   map[string]string{},
		"entries":    entries,
	})
}

func bulkEntry(entryID string, event any) map[string]any {
	return map[string]any{
		"entryId":     entryID,
		"event":       event,
		"metadata":    map[string]string{"partitionKey": entryID},
		"contentType": events.ContentTypeCloudEvents,
	}
}

func TestBulk(t *testing.T) {
	ev1 := cloudEvent(t, "ev-1", events.TypeOrderCreated, orderCreated())
	ev3 := cloudEvent(t, "ev-3", events.TypeOrderStatusChanged, map[string]int{"schemaVersion": 1})
	ev4 := cloudEvent(t, "ev-4", events.TypeOrderCreated, orderCreated())
	noID := cloudEvent(t, "", events.TypeOrderCreated, orderCreated())
	badMetadata := bulkEntry("e7", ev1)
	badMetadata["metadata"] = "not an object"
	// The handler's decisions: e2 repeats e1's event and is acknowledged (no error, as an
	// inbox would do), e3 fails transiently, e4 permanently.
	handlerErrs := map[string]error{
		"e3": errors.New("db down"),
		"e4": pubsub.Permanent(errors.New("unknown currency")),
	}

	tests := []struct {
		name        string
		body        []byte
		panics      bool
		want        []bulkStatus
		wantHandled []string // entry IDs the handler receives, in order
	}{
		{
			name: "mixed batch",
			body: bulkBody(t,
				bulkEntry("e1", ev1),
				bulkEntry("e2", ev1),
				bulkEntry("e3", ev3),
				bulkEntry("e4", ev4),
				bulkEntry("e5", noID),
				bulkEntry("e6", []byte("raw payload, not a CloudEvent")),
				badMetadata,
				bulkEntry("e1", ev4),         // repeated entry ID: answered once
				map[string]any{"event": ev1}, // no entry ID: cannot be answered
			),
			want: []bulkStatus{
				{"e1", pubsub.StatusSuccess},
				{"e2", pubsub.StatusSuccess},
				{"e3", pubsub.StatusRetry},
				{"e4", pubsub.StatusDrop},
				{"e5", pubsub.StatusDrop},
				{"e6", pubsub.StatusDrop},
				{"e7", pubsub.StatusDrop},
			},
			wantHandled: []string{"e1", "e2", "e3", "e4"},
		},
		{
			name:        "handler panics",
			body:        bulkBody(t, bulkEntry("e1", ev1), bulkEntry("e5", noID), bulkEntry("e8", ev3)),
			panics:      true,
			want:        []bulkStatus{{"e1", pubsub.StatusRetry}, {"e5", pubsub.StatusDrop}, {"e8", pubsub.StatusRetry}},
			wantHandled: []string{"e1", "e8"},
		},
		{
			name: "no valid entry",
			body: bulkBody(t, bulkEntry("e5", noID), bulkEntry("e6", "text")),
			want: []bulkStatus{{"e5", pubsub.StatusDrop}, {"e6", pubsub.StatusDrop}},
		},
		{
			name: "body is not JSON",
			body: []byte(`{"entries": [`),
			want: []bulkStatus{},
		},
		{
			name: "entries is not a list",
			body: []byte(`{"entries": {"entryId": "e1"}}`),
			want: []bulkStatus{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled []pubsub.BulkEntry
			log, _ := newLogger()
			r := pubsub.NewRouter("analytics", testToken, log)
			r.Bulk(pathBulk, func(_ context.Context, entries []pubsub.BulkEntry) map[string]error {
				handled = entries
				if tt.panics {
					panic("boom")
				}
				return handlerErrs
			})

			rec := deliver(newServer(r), pathBulk, testToken, "application/json", tt.body)

			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			var resp struct {
				Statuses []bulkStatus `json:"statuses"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
			require.NotNil(t, resp.Statuses, "statuses is a list, never null")
			assert.Equal(t, tt.want, resp.Statuses)
			var handledIDs []string
			for _, e := range handled {
				handledIDs = append(handledIDs, e.EntryID)
				assert.Equal(t, map[string]string{"partitionKey": e.EntryID}, e.Metadata)
				assert.NoError(t, e.Event.Validate(), "the handler gets valid events only")
			}
			assert.Equal(t, tt.wantHandled, handledIDs)
		})
	}
}
