package events_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
)

func readCloudEvent(t *testing.T, file string) events.CloudEvent {
	t.Helper()
	b, err := os.ReadFile("testdata/cloudevents/" + file)
	require.NoError(t, err)
	var ce events.CloudEvent
	require.NoError(t, json.Unmarshal(b, &ce))
	return ce
}

func readSample(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/samples/" + file)
	require.NoError(t, err)
	return b
}

// Envelopes as the Dapr sidecar delivers them: data as an object, or re-encoded as a string.
func TestCloudEventEnvelopes(t *testing.T) {
	schemas := compiledSchemas(t)
	tests := []struct {
		file      string
		eventType string
		topic     string
		sample    string
	}{
		{"order.created.json", events.TypeOrderCreated, events.TopicOrders, "order.created.v1.json"},
		{"payment.failed.data-as-string.json", events.TypePaymentFailed, events.TopicPayments, "payment.failed.v1.json"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ce := readCloudEvent(t, tt.file)
			require.NoError(t, ce.Validate())
			assert.Equal(t, tt.eventType, ce.Type)
			topic, err := events.TopicOf(ce.Type)
			require.NoError(t, err)
			assert.Equal(t, tt.topic, topic)
			assert.Equal(t, tt.topic, ce.Topic)
			assert.Equal(t, events.PubSubName, ce.PubSubName)
			assert.Equal(t, "application/json", ce.DataContentType)
			require.NotNil(t, ce.Time)

			ev := newEvent[ce.Type]()
			require.NoError(t, ce.DecodeData(ev))
			require.NoError(t, ev.Validate())

			want := newEvent[ce.Type]()
			require.NoError(t, json.Unmarshal(readSample(t, tt.sample), want))
			assert.Equal(t, want, ev)

			data, err := json.Marshal(ev)
			require.NoError(t, err)
			assert.NoError(t, validateJSON(schemaFor(t, schemas, ce.Type, events.SchemaVersion), data))
			// The subject is the order id.
			var ids struct {
				OrderID string `json:"orderId"`
			}
			require.NoError(t, json.Unmarshal(data, &ids))
			assert.Equal(t, ids.OrderID, ce.Subject)
		})
	}
}

func TestCloudEventDecodeData(t *testing.T) {
	obj := readSample(t, "payment.completed.v1.json")
	str, err := json.Marshal(string(obj))
	require.NoError(t, err)
	var want events.PaymentCompleted
	require.NoError(t, json.Unmarshal(obj, &want))

	tests := []struct {
		name string
		data string
	}{
		{"object", string(obj)},
		{"JSON string holding the object", string(str)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := events.CloudEvent{SpecVersion: "1.0", ID: "1", Source: "payment", Type: events.TypePaymentCompleted, Data: json.RawMessage(tt.data)}
			var got events.PaymentCompleted
			require.NoError(t, ce.DecodeData(&got))
			assert.Equal(t, want, got)
			assert.Equal(t, int64(5448), got.Amount)
			assert.Equal(t, time.Date(2025, 3, 14, 9, 26, 54, 3_000_000, time.UTC), got.CompletedAt)
		})
	}

	// Through a full envelope round trip, with data as an object and as a string.
	for _, data := range []json.RawMessage{obj, str} {
		in := events.CloudEvent{SpecVersion: "1.0", ID: "1", Source: "payment", Type: events.TypePaymentCompleted, Data: data}
		b, err := json.Marshal(in)
		require.NoError(t, err)
		var out events.CloudEvent
		require.NoError(t, json.Unmarshal(b, &out))
		var got events.PaymentCompleted
		require.NoError(t, out.DecodeData(&got))
		assert.Equal(t, want, got)
	}
}

func TestCloudEventDecodeDataErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"no data", ""},
		{"malformed object", `{"orderId":`},
		{"malformed string", `"{\"orderId\":`},
		{"unterminated string", `"abc`},
		{"string not holding JSON", `"not json"`},
		{"array", `[1,2]`},
		{"float amount", `{"amount":54.48}`},
		{"string amount in a string", `"{\"amount\":\"5448\"}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := events.CloudEvent{SpecVersion: "1.0", ID: "1", Source: "payment", Type: events.TypePaymentCompleted, Data: json.RawMessage(tt.data)}
			var got events.PaymentCompleted
			err := ce.DecodeData(&got)
			require.Error(t, err)
			assert.ErrorIs(t, err, events.ErrInvalid)
		})
	}
}

func TestCloudEventValidate(t *testing.T) {
	valid := func() events.CloudEvent {
		now := time.Now().UTC()
		return events.CloudEvent{
			SpecVersion:     "1.0",
			ID:              "0195934b-6c2d-7a51-9f0e-3b8d2c4a1e77",
			Source:          "order",
			Type:            events.TypeOrderCreated,
			Subject:         "ord_1",
			Time:            &now,
			DataContentType: "application/json",
			Data:            readSample(t, "order.created.v1.json"),
		}
	}
	require.NoError(t, valid().Validate())

	minimal := valid()
	minimal.Subject, minimal.Time, minimal.DataContentType = "", nil, ""
	assert.NoError(t, minimal.Validate(), "subject, time and datacontenttype are optional")

	tests := []struct {
		name   string
		change func(c *events.CloudEvent)
		want   string
	}{
		{"no specversion", func(c *events.CloudEvent) { c.SpecVersion = "" }, "specversion must be 1.0"},
		{"old specversion", func(c *events.CloudEvent) { c.SpecVersion = "0.3" }, "specversion must be 1.0"},
		{"no id", func(c *events.CloudEvent) { c.ID = "" }, "id is required"},
		{"no source", func(c *events.CloudEvent) { c.Source = "" }, "source is required"},
		{"no type", func(c *events.CloudEvent) { c.Type = "" }, "type is required"},
		{"no data", func(c *events.CloudEvent) { c.Data = nil }, "data is required"},
		{"null data", func(c *events.CloudEvent) { c.Data = json.RawMessage("null") }, "data is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := valid()
			tt.change(&ce)
			err := ce.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, events.ErrInvalid)
			assert.ErrorContains(t, err, tt.want)
		})
	}

	// A decoded envelope without data.
	var ce events.CloudEvent
	require.NoError(t, json.Unmarshal([]byte(`{"specversion":"1.0","id":"1","source":"order","type":"order.created","data":null}`), &ce))
	assert.ErrorIs(t, ce.Validate(), events.ErrInvalid)
}
