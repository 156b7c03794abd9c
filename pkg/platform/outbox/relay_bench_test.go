package outbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
)

// discard is a Publisher that accepts everything and does nothing: the benchmark measures the
// relay and the database, not a sidecar.
type discard struct{}

func (discard) Publish(context.Context, string, string, []byte, map[string]string) error { return nil }

// BenchmarkRelayFlush100 publishes one batch of 100 order.created rows with Relay.Flush against
// a private PostgreSQL database (pooltest; skipped when PostgreSQL is unreachable): the claim
// (FOR UPDATE SKIP LOCKED), a CloudEvent marshalled per row, an UPDATE per row and the commit.
// The rows are written, and the previous batch deleted, with the timer stopped. ns/op is per
// batch of 100 rows.
func BenchmarkRelayFlush100(b *testing.B) {
	const batch = 100
	pool := pooltest.New(b, nil)
	ctx := context.Background()
	relay := outbox.NewRelay(pool, discard{}, outbox.RelayOptions{Source: "order", BatchSize: batch})
	data := events.OrderCreated{
		SchemaVersion: 1,
		CustomerID:    "customer-1",
		Items:         []events.OrderItem{{ProductID: "p-1", Quantity: 2, UnitPrice: 1250}},
		TotalAmount:   2500,
		Currency:      "EUR",
		Version:       1,
		CreatedAt:     time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
	}
	headers := map[string]string{
		telemetry.TraceparentKey:   "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		outbox.HeaderCorrelationID: "req-1",
	}
	round := 0
	fill := func() {
		msgs := make([]outbox.Message, batch)
		for i := range msgs {
			id := fmt.Sprintf("order-%d-%03d", round, i)
			d := data
			d.OrderID = id
			msgs[i] = outbox.Message{AggregateID: id, Topic: events.TopicOrders, Type: events.TypeOrderCreated,
				Data: d, OccurredAt: d.CreatedAt, Headers: headers}
		}
		round++
		err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `DELETE FROM outbox`); err != nil {
				return err
			}
			_, err := outbox.Add(ctx, tx, msgs...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}

	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fill()
		b.StartTimer()
		n, err := relay.Flush(ctx)
		if err != nil || n != batch {
			b.Fatalf("Flush = %d, %v; want %d rows", n, err, batch)
		}
	}
	if left := pooltest.Count(b, pool, `SELECT count(*) FROM outbox WHERE published_at IS NULL`); left != 0 {
		b.Fatalf("%d rows left unpublished", left)
	}
}
