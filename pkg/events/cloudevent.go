package events

import (
	"encoding/json"
	"fmt"
	"time"
)

// ContentTypeCloudEvents is the media type of a structured-mode CloudEvent.
const ContentTypeCloudEvents = "application/cloudevents+json"

// CloudEvent is the structured-mode CloudEvents 1.0 envelope as it travels through Dapr.
// Topic, PubSubName and the trace fields are added by the Dapr sidecar.
type CloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            *time.Time      `json:"time,omitempty"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
	TraceParent     string          `json:"traceparent,omitempty"`
	TraceState      string          `json:"tracestate,omitempty"`
	Topic           string          `json:"topic,omitempty"`
	PubSubName      string          `json:"pubsubname,omitempty"`
	CorrelationID   string          `json:"correlationid,omitempty"`
}

// Validate checks the envelope's required attributes.
func (c CloudEvent) Validate() error {
	var p problems
	p.req(c.SpecVersion == "1.0", "specversion must be 1.0")
	p.req(c.ID != "", "id is required")
	p.req(c.Source != "", "source is required")
	p.req(c.Type != "", "type is required")
	p.req(len(c.Data) > 0 && string(c.Data) != "null", "data is required")
	return p.err("cloudevent")
}

// DecodeData unmarshals the event's data into v. When the data arrived as a JSON string (some
// brokers re-encode it), the string is decoded first. Errors wrap ErrInvalid.
func (c CloudEvent) DecodeData(v any) error {
	data := c.Data
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("%w: data: %v", ErrInvalid, err)
		}
		data = []byte(s)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: data of %s: %v", ErrInvalid, c.Type, err)
	}
	return nil
}
