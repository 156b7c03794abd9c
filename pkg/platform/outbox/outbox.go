// Package outbox implements the transactional outbox: events are written in the business
// transaction (Add) and published afterwards by a Relay through the Dapr sidecar. Delivery is
// at-least-once with a stable CloudEvent id (the row id), which consumers deduplicate on.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orderflow/pkg/platform/pgdb"
)

// Message is one event to publish.
type Message struct {
	ID            uuid.UUID // optional; generated when zero. Becomes the CloudEvent id.
	AggregateID   string    // CloudEvent subject and partition key (per-aggregate ordering on Kafka)
	Topic         string
	Type          string // CloudEvent type
	SchemaVersion int
	Data          any // marshalled to JSON: the CloudEvent data
	OccurredAt    time.Time
	// Headers travel with the event: traceparent, tracestate, correlationid.
	Headers map[string]string
}

const insertSQL = `INSERT INTO outbox (id, aggregate_id, topic, type, schema_version, payload, headers, occurred_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

// Add writes msgs in tx, the caller's business transaction, and returns their ids.
func Add(ctx context.Context, tx pgdb.DBTX, msgs ...Message) ([]uuid.UUID, error) {
	ids := make([]uuid.UUID, 0, len(msgs))
	for _, m := range msgs {
		if m.Topic == "" || m.Type == "" || m.AggregateID == "" {
			return nil, fmt.Errorf("outbox: topic, type and aggregate id are required (%q/%q/%q)", m.Topic, m.Type, m.AggregateID)
		}
		if m.ID == uuid.Nil {
			m.ID = uuid.Must(uuid.NewV7())
		}
		if m.SchemaVersion == 0 {
			m.SchemaVersion = 1
		}
		if m.OccurredAt.IsZero() {
			m.OccurredAt = time.Now()
		}
		payload, err := json.Marshal(m.Data)
		if err != nil {
			return nil, fmt.Errorf("outbox: marshal %s: %w", m.Type, err)
		}
		headers := m.Headers
		if headers == nil {
			headers = HeadersFrom(ctx)
		}
		hdr, err := json.Marshal(headers)
		if err != nil {
			return nil, fmt.Errorf("outbox: marshal headers: %w", err)
		}
		if _, err := tx.Exec(ctx, insertSQL, m.ID, m.AggregateID, m.Topic, m.Type, m.SchemaVersion, payload, hdr, m.OccurredAt.UTC()); err != nil {
			return nil, fmt.Errorf("outbox: insert %s: %w", m.Type, err)
		}
		ids = append(ids, m.ID)
	}
	return ids, nil
}
