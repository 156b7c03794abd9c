package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/services/notification/internal/app"
)

var at = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func statusChanged(to, reason string) events.OrderStatusChanged {
	return events.OrderStatusChanged{SchemaVersion: 1, OrderID: "o-1", CustomerID: "c-1", From: "pending", To: to,
		Reason: reason, TotalAmount: 2500, Currency: "EUR", Version: 2, ChangedAt: at}
}

func TestRender(t *testing.T) {
	tests := []struct {
		name        string
		eventType   string
		data        any
		wantSubject string
		wantBody    string
	}{
		{
			name:      "order created",
			eventType: events.TypeOrderCreated,
			data: events.OrderCreated{SchemaVersion: 1, OrderID: "o-1", CustomerID: "c-1", Currency: "EUR", TotalAmount: 2500,
				Items: []events.OrderItem{{ProductID: "p", Quantity: 2, UnitPrice: 1250}}, Version: 1, CreatedAt: at},
			wantSubject: "Order o-1 received",
			wantBody:    "We received your order o-1: 1 item(s) for a total of 25.00 EUR.\nWe will let you know as soon as the payment is complete.",
		},
		{
			name:        "order cancelled with reason",
			eventType:   events.TypeOrderStatusChanged,
			data:        statusChanged("cancelled", "card declined"),
			wantSubject: "Order o-1 cancelled: card declined",
			wantBody:    "Your order o-1 of 25.00 EUR was cancelled: card declined.",
		},
		{
			name:        "order cancelled without reason",
			eventType:   events.TypeOrderStatusChanged,
			data:        statusChanged("cancelled", ""),
			wantSubject: "Order o-1 cancelled",
			wantBody:    "Your order o-1 of 25.00 EUR was cancelled.",
		},
		{
			name:        "order paid",
			eventType:   events.TypeOrderStatusChanged,
			data:        statusChanged("paid", ""),
			wantSubject: "Order o-1 paid",
			wantBody:    "Your order o-1 of 25.00 EUR is paid. We are preparing it.",
		},
		{
			name:        "order shipped",
			eventType:   events.TypeOrderStatusChanged,
			data:        statusChanged("shipped", ""),
			wantSubject: "Order o-1 shipped",
			wantBody:    "Your order o-1 has shipped and is on its way.",
		},
		{
			name:        "other status",
			eventType:   events.TypeOrderStatusChanged,
			data:        statusChanged("pending", ""),
			wantSubject: "Order o-1 is pending",
			wantBody:    "Your order o-1 changed from pending to pending.",
		},
		{
			name:      "payment completed",
			eventType: events.TypePaymentCompleted,
			data: events.PaymentCompleted{SchemaVersion: 1, PaymentID: "pay-1", OrderID: "o-1", CustomerID: "c-1",
				Amount: 2500, Currency: "EUR", Version: 1, CompletedAt: at},
			wantSubject: "Payment of 25.00 EUR completed for order o-1",
			wantBody:    "We received your payment of 25.00 EUR for order o-1 (payment pay-1).",
		},
		{
			name:      "payment failed",
			eventType: events.TypePaymentFailed,
			data: events.PaymentFailed{SchemaVersion: 1, PaymentID: "pay-1", OrderID: "o-1", CustomerID: "c-1",
				Amount: 1500, Currency: "JPY", Reason: "card declined", Version: 1, FailedAt: at},
			wantSubject: "Payment of 1500 JPY failed for order o-1",
			wantBody:    "Your payment of 1500 JPY for order o-1 failed: card declined.",
		},
		{
			name:      "payment refunded",
			eventType: events.TypePaymentRefunded,
			data: events.PaymentRefunded{SchemaVersion: 1, PaymentID: "pay-1", OrderID: "o-1", CustomerID: "c-1",
				Amount: 2500, Currency: "EUR", Reason: "order cancelled", Version: 2, RefundedAt: at},
			wantSubject: "Refund of 25.00 EUR for order o-1",
			wantBody:    "We refunded 25.00 EUR for order o-1 (order cancelled).\nIt may take a few days to appear on your statement.",
		},
		{
			name:        "subject stays on one line",
			eventType:   events.TypeOrderStatusChanged,
			data:        statusChanged("cancelled", "fraud\r\nBcc: x@example.com"),
			wantSubject: "Order o-1 cancelled: fraud  Bcc: x@example.com",
			wantBody:    "Your order o-1 of 25.00 EUR was cancelled: fraud\r\nBcc: x@example.com.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := app.Render(tt.eventType, tt.data)
			require.NoError(t, err)
			assert.Equal(t, tt.wantSubject, msg.Subject)
			assert.Equal(t, tt.wantBody, msg.Body)
		})
	}
}

func TestRenderUnknownType(t *testing.T) {
	_, err := app.Render("order.deleted", events.OrderCreated{})
	require.Error(t, err)
	assert.False(t, pubsub.IsPermanent(err), "a missing template is a bug, retried until fixed")
}

// recordingStore remembers what the use cases record.
type recordingStore struct {
	events   []string // event ids recorded as processed
	recorded []app.Notification
	err      error
}

func (s *recordingStore) Record(_ context.Context, eventID string, ns []app.Notification) (bool, error) {
	if s.err != nil {
		return false, s.err
	}
	s.events = append(s.events, eventID)
	s.recorded = append(s.recorded, ns...)
	return true, nil
}

func (s *recordingStore) List(context.Context, app.Filter) ([]app.Notification, error) {
	return s.recorded, s.err
}

func TestNotifyRecordsOneEmailToTheCustomer(t *testing.T) {
	store := &recordingStore{}
	svc := app.New(store)
	d := statusChanged("cancelled", "card declined")
	require.NoError(t, svc.OrderStatusChanged(context.Background(), app.Event{ID: "ev-1", Type: events.TypeOrderStatusChanged}, d))
	require.Len(t, store.recorded, 1)
	n := store.recorded[0]
	assert.NotEmpty(t, n.ID)
	assert.Equal(t, "ev-1", n.EventID)
	assert.Equal(t, events.TypeOrderStatusChanged, n.EventType)
	assert.Equal(t, "o-1", n.OrderID)
	assert.Equal(t, "c-1", n.Recipient)
	assert.Equal(t, app.ChannelEmail, n.Channel)
	assert.Equal(t, "Order o-1 cancelled: card declined", n.Subject)
}

func TestRepeatedStatusIsRecordedWithoutAMessage(t *testing.T) {
	store := &recordingStore{}
	d := statusChanged("cancelled", "payment completed after cancellation: refund requested")
	d.From = "cancelled"
	require.NoError(t, app.New(store).OrderStatusChanged(context.Background(), app.Event{ID: "ev-2", Type: events.TypeOrderStatusChanged}, d))
	assert.Equal(t, []string{"ev-2"}, store.events, "the event is processed")
	assert.Empty(t, store.recorded, "the customer already knows the order is cancelled")
}

func TestNotifyRejectsNUL(t *testing.T) {
	store := &recordingStore{}
	err := app.New(store).OrderStatusChanged(context.Background(),
		app.Event{ID: "ev-1", Type: events.TypeOrderStatusChanged}, statusChanged("cancelled", "bad\x00reason"))
	require.Error(t, err)
	assert.True(t, pubsub.IsPermanent(err))
	assert.Empty(t, store.recorded)
}

func TestNotifyPassesStoreErrorsOn(t *testing.T) {
	boom := errors.New("connection refused")
	err := app.New(&recordingStore{err: boom}).OrderStatusChanged(context.Background(),
		app.Event{ID: "ev-1", Type: events.TypeOrderStatusChanged}, statusChanged("paid", ""))
	require.ErrorIs(t, err, boom)
	assert.False(t, pubsub.IsPermanent(err))
}

func TestListRequiresAFilter(t *testing.T) {
	_, err := app.New(&recordingStore{}).List(context.Background(), app.Filter{})
	require.ErrorIs(t, err, app.ErrFilterRequired)
}
