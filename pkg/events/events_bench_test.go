package events_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/orderflow/orderflow/pkg/events"
)

// BenchmarkOrderCreatedDecodeValidate decodes the committed order.created sample (two items)
// into events.OrderCreated and validates it: what every consumer of the event does first.
func BenchmarkOrderCreatedDecodeValidate(b *testing.B) {
	data, err := os.ReadFile("testdata/samples/order.created.v1.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var ev events.OrderCreated
		if err := json.Unmarshal(data, &ev); err != nil {
			b.Fatal(err)
		}
		if err := ev.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
