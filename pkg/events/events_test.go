package events_test

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
)

func TestDeadLetterTopic(t *testing.T) {
	tests := []struct {
		topic, consumer, want string
	}{
		{events.TopicOrders, "payment", "orders.payment.dlq"},
		{events.TopicOrders, "notification", "orders.notification.dlq"},
		{events.TopicPayments, "order", "payments.order.dlq"},
		{events.TopicPayments, "analytics", "payments.analytics.dlq"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, events.DeadLetterTopic(tt.topic, tt.consumer))
	}
}

func TestTopicOf(t *testing.T) {
	tests := []struct {
		eventType string
		want      string
	}{
		{events.TypeOrderCreated, events.TopicOrders},
		{events.TypeOrderStatusChanged, events.TopicOrders},
		{events.TypePaymentCompleted, events.TopicPayments},
		{events.TypePaymentFailed, events.TopicPayments},
		{events.TypePaymentRefunded, events.TopicPayments},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			got, err := events.TopicOf(tt.eventType)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	// The table covers every type.
	var covered []string
	for _, tt := range tests {
		covered = append(covered, tt.eventType)
	}
	assert.ElementsMatch(t, events.Types(), covered)

	for _, bad := range []string{"", "order.deleted", "Order.Created", "orders"} {
		got, err := events.TopicOf(bad)
		assert.Error(t, err, bad)
		assert.Empty(t, got)
	}
}

func TestTypes(t *testing.T) {
	types := events.Types()
	assert.Equal(t, []string{"order.created", "order.status.changed", "payment.completed", "payment.failed", "payment.refunded"}, types)
	assert.Len(t, newEvent, len(types))
	for _, typ := range types {
		assert.Contains(t, newEvent, typ)
	}
	assert.Equal(t, "pubsub", events.PubSubName)
	assert.Equal(t, 1, events.SchemaVersion)
}

// Every golden sample decodes into its struct with no unknown field, validates, and marshals
// back to the same JSON; the marshalled struct validates against the schema.
func TestSamplesRoundTrip(t *testing.T) {
	schemas := compiledSchemas(t)
	for _, s := range loadSamples(t, "testdata/samples") {
		t.Run(s.Name(), func(t *testing.T) {
			ev := newEvent[s.EventType]()
			dec := json.NewDecoder(bytes.NewReader(s.Data))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(ev), "sample has a field the struct does not know")

			require.NoError(t, ev.Validate())

			out, err := json.Marshal(ev)
			require.NoError(t, err)
			assert.JSONEq(t, string(s.Data), string(out))
			assert.NoError(t, validateJSON(schemaFor(t, schemas, s.EventType, s.Version), out))

			again := newEvent[s.EventType]()
			require.NoError(t, json.Unmarshal(out, again))
			assert.Equal(t, ev, again)
		})
	}
}

var at = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func validOrderCreated() events.OrderCreated {
	return events.OrderCreated{
		SchemaVersion: events.SchemaVersion,
		OrderID:       "ord_1",
		CustomerID:    "cus_1",
		Items: []events.OrderItem{
			{ProductID: "sku-1", Quantity: 2, UnitPrice: 2499},
			{ProductID: "sku-2", Quantity: 1, UnitPrice: 450},
		},
		TotalAmount: 5448,
		Currency:    "EUR",
		Version:     1,
		CreatedAt:   at,
	}
}

func validOrderStatusChanged() events.OrderStatusChanged {
	return events.OrderStatusChanged{
		SchemaVersion: events.SchemaVersion,
		OrderID:       "ord_1",
		CustomerID:    "cus_1",
		From:          events.OrderStatusPending,
		To:            events.OrderStatusPaid,
		TotalAmount:   5448,
		Currency:      "EUR",
		Version:       2,
		ChangedAt:     at,
	}
}

func validPaymentCompleted() events.PaymentCompleted {
	return events.PaymentCompleted{
		SchemaVersion: events.SchemaVersion,
		PaymentID:     "pay_1",
		OrderID:       "ord_1",
		CustomerID:    "cus_1",
		Amount:        5448,
		Currency:      "EUR",
		Version:       1,
		CompletedAt:   at,
	}
}

func validPaymentFailed() events.PaymentFailed {
	return events.PaymentFailed{
		SchemaVersion: events.SchemaVersion,
		PaymentID:     "pay_1",
		OrderID:       "ord_1",
		CustomerID:    "cus_1",
		Amount:        5448,
		Currency:      "EUR",
		Reason:        "card declined",
		Version:       1,
		FailedAt:      at,
	}
}

func validPaymentRefunded() events.PaymentRefunded {
	return events.PaymentRefunded{
		SchemaVersion: events.SchemaVersion,
		PaymentID:     "pay_1",
		OrderID:       "ord_1",
		CustomerID:    "cus_1",
		Amount:        5448,
		Currency:      "EUR",
		Version:       2,
		RefundedAt:    at,
	}
}

// Structs built in Go (not decoded from a sample) marshal to JSON their schema accepts.
func TestStructsMarshalToSchema(t *testing.T) {
	schemas := compiledSchemas(t)
	withToken := validOrderCreated()
	withToken.PaymentToken = "tok_1"
	cancelled := validOrderStatusChanged()
	cancelled.To, cancelled.Reason = events.OrderStatusCancelled, "payment failed"
	refundReason := validPaymentRefunded()
	refundReason.Reason = "order cancelled"
	nonUTC := validPaymentCompleted()
	nonUTC.CompletedAt = at.In(time.FixedZone("CET", 3600))

	tests := []struct {
		name      string
		eventType string
		ev        event
	}{
		{"order.created", events.TypeOrderCreated, validOrderCreated()},
		{"order.created with payment token", events.TypeOrderCreated, withToken},
		{"order.status.changed", events.TypeOrderStatusChanged, validOrderStatusChanged()},
		{"order.status.changed with reason", events.TypeOrderStatusChanged, cancelled},
		{"payment.completed", events.TypePaymentCompleted, validPaymentCompleted()},
		{"payment.completed with an offset time", events.TypePaymentCompleted, nonUTC},
		{"payment.failed", events.TypePaymentFailed, validPaymentFailed()},
		{"payment.refunded", events.TypePaymentRefunded, validPaymentRefunded()},
		{"payment.refunded with reason", events.TypePaymentRefunded, refundReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.ev.Validate())
			b, err := json.Marshal(tt.ev)
			require.NoError(t, err)
			assert.NoError(t, validateJSON(schemaFor(t, schemas, tt.eventType, events.SchemaVersion), b), string(b))

			back := newEvent[tt.eventType]()
			require.NoError(t, json.Unmarshal(b, back))
			again, err := json.Marshal(back)
			require.NoError(t, err)
			assert.JSONEq(t, string(b), string(again))
		})
	}
}

func TestSamplesValidate(t *testing.T) {
	for _, s := range loadSamples(t, "testdata/samples") {
		t.Run(s.Name(), func(t *testing.T) {
			ev := newEvent[s.EventType]()
			require.NoError(t, json.Unmarshal(s.Data, ev))
			assert.NoError(t, ev.Validate())
		})
	}
}

func TestValidateRejectsBrokenEvents(t *testing.T) {
	oc := func(fn func(e *events.OrderCreated)) event { e := validOrderCreated(); fn(&e); return e }
	osc := func(fn func(e *events.OrderStatusChanged)) event { e := validOrderStatusChanged(); fn(&e); return e }
	pc := func(fn func(e *events.PaymentCompleted)) event { e := validPaymentCompleted(); fn(&e); return e }
	pf := func(fn func(e *events.PaymentFailed)) event { e := validPaymentFailed(); fn(&e); return e }
	pr := func(fn func(e *events.PaymentRefunded)) event { e := validPaymentRefunded(); fn(&e); return e }

	tests := []struct {
		name string
		ev   event
		want string // substring of the error
	}{
		{"order.created zero value", events.OrderCreated{}, "orderId is required"},
		{"order.created schemaVersion 0", oc(func(e *events.OrderCreated) { e.SchemaVersion = 0 }), "schemaVersion must be >= 1"},
		{"order.created no orderId", oc(func(e *events.OrderCreated) { e.OrderID = "" }), "orderId is required"},
		{"order.created no customerId", oc(func(e *events.OrderCreated) { e.CustomerID = "" }), "customerId is required"},
		{"order.created lowercase currency", oc(func(e *events.OrderCreated) { e.Currency = "eur" }), "currency must be an ISO 4217 code"},
		{"order.created 4-letter currency", oc(func(e *events.OrderCreated) { e.Currency = "EURO" }), "currency must be an ISO 4217 code"},
		{"order.created empty currency", oc(func(e *events.OrderCreated) { e.Currency = "" }), "currency must be an ISO 4217 code"},
		{"order.created version 0", oc(func(e *events.OrderCreated) { e.Version = 0 }), "version must be >= 1"},
		{"order.created no items", oc(func(e *events.OrderCreated) { e.Items, e.TotalAmount = nil, 0 }), "items must not be empty"},
		{"order.created item without product", oc(func(e *events.OrderCreated) { e.Items[0].ProductID = "" }), "items[0].productId is required"},
		{"order.created item quantity 0", oc(func(e *events.OrderCreated) { e.Items[1].Quantity = 0; e.TotalAmount = 4998 }), "items[1].quantity must be positive"},
		{"order.created negative unit price", oc(func(e *events.OrderCreated) { e.Items[1].UnitPrice = -450 }), "items[1].unitPrice must not be negative"},
		{"order.created wrong total", oc(func(e *events.OrderCreated) { e.TotalAmount = 5449 }), "totalAmount must equal the sum of the items"},
		{"order.created overflowing total", oc(func(e *events.OrderCreated) {
			// 2 * (2^62+1) wraps to 2 in int64; the wrapped sum must not be accepted.
			e.Items = []events.OrderItem{{ProductID: "sku-1", Quantity: 2, UnitPrice: math.MaxInt64/2 + 1}}
			e.TotalAmount = 2
		}), "overflows"},
		{"order.created overflowing sum of lines", oc(func(e *events.OrderCreated) {
			e.Items = []events.OrderItem{
				{ProductID: "sku-1", Quantity: 1, UnitPrice: math.MaxInt64},
				{ProductID: "sku-2", Quantity: 1, UnitPrice: 1},
			}
			e.TotalAmount = math.MinInt64
		}), "overflows"},
		{"order.created no createdAt", oc(func(e *events.OrderCreated) { e.CreatedAt = time.Time{} }), "createdAt is required"},

		{"order.status.changed zero value", events.OrderStatusChanged{}, "from must be an order status"},
		{"order.status.changed unknown from", osc(func(e *events.OrderStatusChanged) { e.From = "delivered" }), "from must be an order status"},
		{"order.status.changed uppercase to", osc(func(e *events.OrderStatusChanged) { e.To = "PAID" }), "to must be an order status"},
		{"order.status.changed negative total", osc(func(e *events.OrderStatusChanged) { e.TotalAmount = -1 }), "totalAmount must not be negative"},
		{"order.status.changed no orderId", osc(func(e *events.OrderStatusChanged) { e.OrderID = "" }), "orderId is required"},
		{"order.status.changed bad currency", osc(func(e *events.OrderStatusChanged) { e.Currency = "E1R" }), "currency must be an ISO 4217 code"},
		{"order.status.changed no changedAt", osc(func(e *events.OrderStatusChanged) { e.ChangedAt = time.Time{} }), "changedAt is required"},

		{"payment.completed zero value", events.PaymentCompleted{}, "paymentId is required"},
		{"payment.completed no paymentId", pc(func(e *events.PaymentCompleted) { e.PaymentID = "" }), "paymentId is required"},
		{"payment.completed negative amount", pc(func(e *events.PaymentCompleted) { e.Amount = -5448 }), "amount must not be negative"},
		{"payment.completed no customerId", pc(func(e *events.PaymentCompleted) { e.CustomerID = "" }), "customerId is required"},
		{"payment.completed schemaVersion 0", pc(func(e *events.PaymentCompleted) { e.SchemaVersion = 0 }), "schemaVersion must be >= 1"},
		{"payment.completed no completedAt", pc(func(e *events.PaymentCompleted) { e.CompletedAt = time.Time{} }), "timestamp is required"},

		{"payment.failed zero value", events.PaymentFailed{}, "reason is required"},
		{"payment.failed no reason", pf(func(e *events.PaymentFailed) { e.Reason = "" }), "reason is required"},
		{"payment.failed no orderId", pf(func(e *events.PaymentFailed) { e.OrderID = "" }), "orderId is required"},
		{"payment.failed version 0", pf(func(e *events.PaymentFailed) { e.Version = 0 }), "version must be >= 1"},
		{"payment.failed no failedAt", pf(func(e *events.PaymentFailed) { e.FailedAt = time.Time{} }), "timestamp is required"},

		{"payment.refunded zero value", events.PaymentRefunded{}, "paymentId is required"},
		{"payment.refunded negative amount", pr(func(e *events.PaymentRefunded) { e.Amount = -1 }), "amount must not be negative"},
		{"payment.refunded lowercase currency", pr(func(e *events.PaymentRefunded) { e.Currency = "usd" }), "currency must be an ISO 4217 code"},
		{"payment.refunded no refundedAt", pr(func(e *events.PaymentRefunded) { e.RefundedAt = time.Time{} }), "timestamp is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ev.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, events.ErrInvalid)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// Every problem is reported, not just the first, and the error names the event type.
func TestValidateReportsEveryProblem(t *testing.T) {
	e := validPaymentFailed()
	e.OrderID, e.Currency, e.Reason = "", "eur", ""
	err := e.Validate()
	require.ErrorIs(t, err, events.ErrInvalid)
	for _, want := range []string{events.TypePaymentFailed, "orderId is required", "currency must be", "reason is required"} {
		assert.ErrorContains(t, err, want)
	}
}

func TestValidateAcceptsEdgeCases(t *testing.T) {
	free := validOrderCreated()
	free.Items = []events.OrderItem{{ProductID: "gift", Quantity: 3, UnitPrice: 0}}
	free.TotalAmount = 0
	zeroRefund := validPaymentRefunded()
	zeroRefund.Amount = 0
	later := validOrderCreated()
	later.SchemaVersion = 2 // a later additive version is still processed
	big := validOrderCreated()
	big.Items = []events.OrderItem{{ProductID: "yacht", Quantity: 1, UnitPrice: math.MaxInt64}}
	big.TotalAmount = math.MaxInt64

	for name, ev := range map[string]event{"free order": free, "zero refund": zeroRefund, "later schema version": later, "largest total": big} {
		assert.NoError(t, ev.Validate(), name)
	}
}
