package app_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/services/analytics/internal/app"
)

var (
	at     = time.Date(2025, 3, 1, 12, 34, 56, 0, time.UTC)
	ceTime = time.Date(2025, 3, 1, 13, 0, 1, 0, time.UTC)
)

func cloudEvent(t *testing.T, id, eventType string, data any, when *time.Time) events.CloudEvent {
	t.Helper()
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	return events.CloudEvent{SpecVersion: "1.0", ID: id, Source: "test", Type: eventType, Time: when, Data: raw}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		ce   events.CloudEvent
		want app.Event
	}{
		{
			name: "order created, CloudEvent time",
			ce: cloudEvent(t, "e1", events.TypeOrderCreated, events.OrderCreated{SchemaVersion: 1, OrderID: "o-1", CustomerID: "c-1",
				Items: []events.OrderItem{{ProductID: "p", Quantity: 1, UnitPrice: 2500}}, TotalAmount: 2500, Currency: "EUR", Version: 1, CreatedAt: at}, &ceTime),
			want: app.Event{ID: "e1", Type: events.TypeOrderCreated, OrderID: "o-1", CustomerID: "c-1", Amount: 2500, Currency: "EUR", OccurredAt: ceTime},
		},
		{
			name: "status changed, own timestamp when the CloudEvent has no time",
			ce: cloudEvent(t, "e2", events.TypeOrderStatusChanged, events.OrderStatusChanged{SchemaVersion: 1, OrderID: "o-1", CustomerID: "c-1",
				From: "pending", To: "paid", TotalAmount: 2500, Currency: "EUR", Version: 2, ChangedAt: at}, nil),
			want: app.Event{ID: "e2", Type: events.TypeOrderStatusChanged, OrderID: "o-1", CustomerID: "c-1", Amount: 2500, Currency: "EUR", OccurredAt: at, Status: "paid"},
		},
		{
			name: "status unchanged (refund request of a cancelled order) counts no status",
			ce: cloudEvent(t, "e2b", events.TypeOrderStatusChanged, events.OrderStatusChanged{SchemaVersion: 1, OrderID: "o-1", CustomerID: "c-1",
				From: "cancelled", To: "cancelled", Reason: "payment completed after cancellation: refund requested", TotalAmount: 2500, Currency: "EUR", Version: 3, ChangedAt: at}, nil),
			want: app.Event{ID: "e2b", Type: events.TypeOrderStatusChanged, OrderID: "o-1", CustomerID: "c-1", Amount: 2500, Currency: "EUR", OccurredAt: at},
		},
		{
			name: "payment completed",
			ce: cloudEvent(t, "e3", events.TypePaymentCompleted, events.PaymentCompleted{SchemaVersion: 1, PaymentID: "p-1", OrderID: "o-1",
				CustomerID: "c-1", Amount: 2500, Currency: "EUR", Version: 1, CompletedAt: at}, nil),
			want: app.Event{ID: "e3", Type: events.TypePaymentCompleted, OrderID: "o-1", CustomerID: "c-1", Amount: 2500, Currency: "EUR", OccurredAt: at},
		},
		{
			name: "payment failed",
			ce: cloudEvent(t, "e4", events.TypePaymentFailed, events.PaymentFailed{SchemaVersion: 1, PaymentID: "p-1", OrderID: "o-1",
				CustomerID: "c-1", Amount: 100, Currency: "JPY", Reason: "declined", Version: 1, FailedAt: at}, nil),
			want: app.Event{ID: "e4", Type: events.TypePaymentFailed, OrderID: "o-1", CustomerID: "c-1", Amount: 100, Currency: "JPY", OccurredAt: at},
		},
		{
			name: "payment refunded",
			ce: cloudEvent(t, "e5", events.TypePaymentRefunded, events.PaymentRefunded{SchemaVersion: 1, PaymentID: "p-1", OrderID: "o-1",
				CustomerID: "c-1", Amount: 700, Currency: "USD", Version: 2, RefundedAt: at}, nil),
			want: app.Event{ID: "e5", Type: events.TypePaymentRefunded, OrderID: "o-1", CustomerID: "c-1", Amount: 700, Currency: "USD", OccurredAt: at},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.Decode(tt.ce)
			require.NoError(t, err)
			assert.JSONEq(t, string(tt.ce.Data), string(got.Data))
			got.Data = nil
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeKeepsTheDataExactly(t *testing.T) {
	data := `{"schemaVersion":1,"paymentId":"p-1","orderId":"o-1","customerId":"c-1","amount":9223372036854775807,` +
		`"currency":"EUR","version":1,"completedAt":"2025-03-01T12:34:56Z","futureField":{"nested":[1,2.5]}}`
	quoted, err := json.Marshal(data)
	require.NoError(t, err)
	for name, raw := range map[string]string{"object": data, "data as a JSON string": string(quoted)} {
		t.Run(name, func(t *testing.T) {
			ev, err := app.Decode(events.CloudEvent{SpecVersion: "1.0", ID: "e", Source: "s", Type: events.TypePaymentCompleted, Data: json.RawMessage(raw)})
			require.NoError(t, err)
			assert.Equal(t, int64(9223372036854775807), ev.Amount)
			assert.JSONEq(t, data, string(ev.Data))
			assert.Contains(t, string(ev.Data), "9223372036854775807", "big numbers are not rounded")
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	valid := events.PaymentCompleted{SchemaVersion: 1, PaymentID: "p-1", OrderID: "o-1", CustomerID: "c-1", Amount: 1, Currency: "EUR", Version: 1, CompletedAt: at}
	noOrder := valid
	noOrder.OrderID = ""
	nulCustomer := valid
	nulCustomer.CustomerID = "c\x00"
	tests := map[string]events.CloudEvent{
		"invalid data":        cloudEvent(t, "e", events.TypePaymentCompleted, noOrder, nil),
		"data of wrong shape": {SpecVersion: "1.0", ID: "e", Source: "s", Type: events.TypePaymentCompleted, Data: json.RawMessage(`{"amount":"1.00"}`)},
		"data not an object":  {SpecVersion: "1.0", ID: "e", Source: "s", Type: events.TypePaymentCompleted, Data: json.RawMessage(`[1]`)},
		"NUL in the data":     cloudEvent(t, "e", events.TypePaymentCompleted, nulCustomer, nil),
		"NUL in an unknown field": {SpecVersion: "1.0", ID: "e", Source: "s", Type: events.TypePaymentCompleted,
			Data: mustMerge(t, valid, `{"note":"a\u0000b"}`)},
		"NUL in the id": cloudEvent(t, "e\x00", events.TypePaymentCompleted, valid, nil),
	}
	for name, ce := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := app.Decode(ce)
			require.ErrorIs(t, err, events.ErrInvalid)
		})
	}
}

// mustMerge returns data marshalled with the fields of extra added.
func mustMerge(t *testing.T, data any, extra string) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(data)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	require.NoError(t, json.Unmarshal([]byte(extra), &m))
	b, err = json.Marshal(m)
	require.NoError(t, err)
	return b
}

func TestDecodeUnknownType(t *testing.T) {
	_, err := app.Decode(events.CloudEvent{SpecVersion: "1.0", ID: "e", Source: "s", Type: "order.archived", Data: json.RawMessage(`{}`)})
	require.ErrorIs(t, err, app.ErrUnknownType)
	assert.False(t, errors.Is(err, events.ErrInvalid))
}

func TestCounters(t *testing.T) {
	tests := []struct {
		ev   app.Event
		want app.Counters
	}{
		{app.Event{Type: events.TypeOrderCreated, Amount: 2500}, app.Counters{OrdersCreated: 1}},
		{app.Event{Type: events.TypeOrderStatusChanged, Status: "paid", Amount: 2500}, app.Counters{OrdersPaid: 1}},
		{app.Event{Type: events.TypeOrderStatusChanged, Status: "cancelled", Amount: 2500}, app.Counters{OrdersCancelled: 1}},
		{app.Event{Type: events.TypeOrderStatusChanged, Status: "shipped", Amount: 2500}, app.Counters{}},
		{app.Event{Type: events.TypePaymentCompleted, Amount: 2500}, app.Counters{Revenue: 2500}},
		{app.Event{Type: events.TypePaymentFailed, Amount: 2500}, app.Counters{PaymentsFailed: 1}},
		{app.Event{Type: events.TypePaymentRefunded, Amount: 700}, app.Counters{PaymentsRefunded: 1, RefundedAmount: 700}},
	}
	for i, tt := range tests {
		t.Run(strconv.Itoa(i)+" "+tt.ev.Type+" "+tt.ev.Status, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.ev.Counters())
		})
	}
}

func TestHourIsTheUTCHour(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	ev := app.Event{OccurredAt: time.Date(2025, 3, 1, 0, 30, 0, 0, cet)}
	assert.Equal(t, time.Date(2025, 2, 28, 23, 0, 0, 0, time.UTC), ev.Hour())
}
