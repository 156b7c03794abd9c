package service_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/services/order/contract"
	"github.com/orderflow/orderflow/services/order/internal/domain/order"
)

func TestPaymentCompletedPaysOrder(t *testing.T) {
	h := newHarness(t)
	o := h.createFor("c-1")
	ev := paymentCompleted(t, o)
	ev.CorrelationID = "corr-1"

	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentCompleted, ev))

	got := h.get(o.OrderID)
	assert.Equal(t, "paid", got.Status)
	assert.Equal(t, int64(2), got.Version)
	assert.Equal(t, 1, h.inboxRows())
	changes := h.statusChanges(o.OrderID)
	require.Len(t, changes, 1)
	assert.Equal(t, events.OrderStatusChanged{
		SchemaVersion: 1, OrderID: o.OrderID, CustomerID: "c-1", From: "pending", To: "paid",
		TotalAmount: o.TotalAmount, Currency: o.Currency, Version: 2, ChangedAt: got.UpdatedAt,
	}, changes[0])
	rows := h.outbox(o.OrderID)
	assert.Equal(t, events.TopicOrders, rows[len(rows)-1].Topic)
	assert.Equal(t, "corr-1", rows[len(rows)-1].Headers["correlationid"], "the correlation id is carried on")
}

func TestPaymentCompletedDuplicateDelivery(t *testing.T) {
	h := newHarness(t)
	o := h.createFor("c-1")
	ev := paymentCompleted(t, o)

	for range 3 {
		require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentCompleted, ev))
	}

	assert.Equal(t, int64(2), h.get(o.OrderID).Version, "one version bump")
	assert.Len(t, h.statusChanges(o.OrderID), 1, "one event")
	assert.Equal(t, 1, h.inboxRows())

	// Another completion of the same order (a stale or repeated payment event) changes nothing.
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentCompleted, paymentCompleted(t, o)))
	assert.Equal(t, int64(2), h.get(o.OrderID).Version)
	assert.Len(t, h.statusChanges(o.OrderID), 1)
	assert.Equal(t, 2, h.inboxRows())
}

func TestPaymentCompletedAfterCancellationRequestsRefund(t *testing.T) {
	h := newHarness(t)
	o := h.orderIn("cancelled") // version 2, reason "setup"

	ev := paymentCompleted(t, o)
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentCompleted, ev))

	got := h.get(o.OrderID)
	assert.Equal(t, "cancelled", got.Status, "stays cancelled")
	assert.Equal(t, "setup", got.StatusReason, "the cancellation's reason is kept")
	assert.Equal(t, int64(3), got.Version)
	changes := h.statusChanges(o.OrderID)
	require.Len(t, changes, 2)
	assert.Equal(t, events.OrderStatusChanged{
		SchemaVersion: 1, OrderID: o.OrderID, CustomerID: "c-1", From: "cancelled", To: "cancelled",
		Reason: order.ReasonRefundRequested, TotalAmount: o.TotalAmount, Currency: o.Currency,
		Version: 3, ChangedAt: got.UpdatedAt,
	}, changes[1])
	assert.Equal(t, "payment completed after cancellation: refund requested", changes[1].Reason)

	// Redelivered: no second refund request.
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentCompleted, ev))
	assert.Len(t, h.statusChanges(o.OrderID), 2)
}

func TestPaymentFailedCancelsOrder(t *testing.T) {
	h := newHarness(t)
	o := h.createFor("c-1")
	ev := paymentFailed(t, o, "card declined")

	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentFailed, ev))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentFailed, ev)) // duplicate

	got := h.get(o.OrderID)
	assert.Equal(t, "cancelled", got.Status)
	assert.Equal(t, "payment failed: card declined", got.StatusReason)
	assert.Equal(t, int64(2), got.Version)
	changes := h.statusChanges(o.OrderID)
	require.Len(t, changes, 1)
	assert.Equal(t, "pending", changes[0].From)
	assert.Equal(t, "cancelled", changes[0].To)
	assert.Equal(t, "payment failed: card declined", changes[0].Reason)

	// Already cancelled: another failure is a no-op.
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentFailed, paymentFailed(t, o, "again")))
	assert.Equal(t, got, h.get(o.OrderID))
	assert.Len(t, h.statusChanges(o.OrderID), 1)
}

func TestPaymentFailedForPaidOrderChangesNothing(t *testing.T) {
	h := newHarness(t)
	o := h.orderIn("paid")
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentFailed, paymentFailed(t, o, "late failure")))
	assert.Equal(t, o, h.get(o.OrderID))
	assert.Len(t, h.statusChanges(o.OrderID), 1)
}

func TestPaymentEventsDropped(t *testing.T) {
	h := newHarness(t)
	o := h.createFor("c-1")
	unknown := o
	unknown.OrderID = uuid.NewString()

	withData := func(ev events.CloudEvent, data string) events.CloudEvent {
		ev.Data = json.RawMessage(data)
		return ev
	}
	tests := []struct {
		name string
		path string
		ev   events.CloudEvent
		raw  string
	}{
		{name: "unknown order", path: contract.PathPaymentCompleted, ev: paymentCompleted(t, unknown)},
		{name: "order id not a uuid", path: contract.PathPaymentFailed, ev: func() events.CloudEvent {
			u := o
			u.OrderID = "order-1"
			return paymentFailed(t, u, "declined")
		}()},
		{name: "missing order id", path: contract.PathPaymentCompleted,
			ev: withData(paymentCompleted(t, o), `{"schemaVersion":1,"paymentId":"p","customerId":"c-1","amount":500,"currency":"EUR","version":1,"completedAt":"2025-01-01T00:00:00Z"}`)},
		{name: "float amount", path: contract.PathPaymentCompleted,
			ev: withData(paymentCompleted(t, o), `{"schemaVersion":1,"paymentId":"p","orderId":"`+o.OrderID+`","customerId":"c-1","amount":5.5,"currency":"EUR","version":1,"completedAt":"2025-01-01T00:00:00Z"}`)},
		{name: "failure without reason", path: contract.PathPaymentFailed,
			ev: withData(paymentFailed(t, o, "x"), `{"schemaVersion":1,"paymentId":"p","orderId":"`+o.OrderID+`","customerId":"c-1","amount":500,"currency":"EUR","version":1,"failedAt":"2025-01-01T00:00:00Z"}`)},
		{name: "data not an object", path: contract.PathPaymentCompleted, ev: withData(paymentCompleted(t, o), `[1]`)},
		{name: "wrong type for the route", path: contract.PathPaymentCompleted, ev: paymentFailed(t, o, "declined")},
		{name: "not a cloud event", path: contract.PathPaymentCompleted, raw: `{"hello":"world"}`},
		{name: "not JSON", path: contract.PathPaymentFailed, raw: `garbage`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status pubsub.Status
			if tt.raw != "" {
				status = h.deliverRaw(tt.path, []byte(tt.raw))
			} else {
				status = h.deliver(tt.path, tt.ev)
			}
			assert.Equal(t, pubsub.StatusDrop, status)
			assert.Zero(t, h.inboxRows(), "a dropped event leaves no inbox row")
			assert.Equal(t, o, h.get(o.OrderID))
			assert.Empty(t, h.statusChanges(o.OrderID))
			assert.Zero(t, h.count(`SELECT count(*) FROM outbox WHERE type = 'order.status.changed'`))
		})
	}
}

func TestPaymentEventTransientFailureIsRetried(t *testing.T) {
	h, url := newHarnessURL(t)
	o := h.createFor("c-1")
	broken := pooltest.Open(t, url)
	broken.Close()
	down := newHarnessOn(t, h.db, broken)

	ev := paymentCompleted(t, o)
	assert.Equal(t, pubsub.StatusRetry, down.deliver(contract.PathPaymentCompleted, ev))
	assert.Equal(t, pubsub.StatusRetry, down.deliver(contract.PathPaymentFailed, paymentFailed(t, o, "declined")))
	assert.Zero(t, h.inboxRows())

	// Once the database is back, the redelivery applies.
	assert.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentCompleted, ev))
	assert.Equal(t, "paid", h.get(o.OrderID).Status)
}

func TestOtherPaymentEventsAcknowledged(t *testing.T) {
	h := newHarness(t)
	o := h.orderIn("cancelled")
	before := ignoredCount(t, h, events.TypePaymentRefunded)

	refunded := cloudEvent(t, events.TypePaymentRefunded, o.OrderID, events.PaymentRefunded{
		SchemaVersion: 1, PaymentID: uuid.NewString(), OrderID: o.OrderID, CustomerID: o.CustomerID,
		Amount: o.TotalAmount, Currency: o.Currency, Version: 3, RefundedAt: time.Now().UTC(),
	})
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentsOther, refunded))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentsOther, cloudEvent(t, "payment.unheard.of", o.OrderID, map[string]int{"x": 1})))

	assert.Equal(t, before+1, ignoredCount(t, h, events.TypePaymentRefunded))
	assert.Equal(t, o, h.get(o.OrderID))
	assert.Zero(t, h.inboxRows())
}

// ignoredCount reads order_ignored_events_total{type=eventType} from /metrics.
func ignoredCount(t *testing.T, h *harness, eventType string) float64 {
	t.Helper()
	rec := h.do(http.MethodGet, "/metrics", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	m := regexp.MustCompile(`(?m)^order_ignored_events_total\{type="` + regexp.QuoteMeta(eventType) + `"\} (\S+)$`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		return 0
	}
	n, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return n
}

func TestEventRoutesRequireAppToken(t *testing.T) {
	h := newHarness(t)
	o := h.createFor("c-1")
	body, err := json.Marshal(paymentCompleted(t, o))
	require.NoError(t, err)
	rec := h.do(http.MethodPost, contract.PathPaymentCompleted, body, http.Header{
		"Content-Type": {events.ContentTypeCloudEvents}, "Dapr-Api-Token": {"wrong"},
	})
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, "pending", h.get(o.OrderID).Status)
}

func TestDeadLetterReplay(t *testing.T) {
	h := newHarness(t)
	o := h.createFor("c-1")
	unknown := o
	unknown.OrderID = uuid.NewString()
	ev := paymentCompleted(t, unknown)

	// The event is dropped, and Dapr delivers it back on the dead-letter topic.
	require.Equal(t, pubsub.StatusDrop, h.deliver(contract.PathPaymentCompleted, ev))
	dl := ev
	dl.Topic = events.DeadLetterTopic(events.TopicPayments, contract.AppID)
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentsDeadLetters, dl))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathPaymentsDeadLetters, dl)) // redelivered: stored once

	rec := h.do(http.MethodGet, "/admin/deadletters", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var list struct {
		DeadLetters []struct {
			ID        string `json:"id"`
			EventID   string `json:"eventId"`
			EventType string `json:"eventType"`
			Topic     string `json:"topic"`
		} `json:"deadLetters"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list.DeadLetters, 1)
	letter := list.DeadLetters[0]
	assert.Equal(t, ev.ID, letter.EventID)
	assert.Equal(t, events.TypePaymentCompleted, letter.EventType)
	assert.Equal(t, "payments.order.dlq", letter.Topic)

	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/admin/deadletters/"+letter.ID, nil, nil).Code)
	assert.Equal(t, http.StatusUnauthorized, h.do(http.MethodGet, "/admin/deadletters", nil, http.Header{"Dapr-Api-Token": {""}}).Code)

	// As stored, the event still names no order: 422.
	rec = h.do(http.MethodPost, "/admin/deadletters/"+letter.ID+"/replay", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	assert.Zero(t, h.inboxRows())

	// Corrected to the right order, the replay pays it, keeping the event id.
	fixed, err := json.Marshal(map[string]any{"data": map[string]any{
		"schemaVersion": 1, "paymentId": "pay-1", "orderId": o.OrderID, "customerId": "c-1",
		"amount": o.TotalAmount, "currency": o.Currency, "version": 2, "completedAt": "2025-01-01T00:00:00Z",
	}})
	require.NoError(t, err)
	rec = h.do(http.MethodPost, "/admin/deadletters/"+letter.ID+"/replay", fixed, jsonHeader())
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "paid", h.get(o.OrderID).Status)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM processed_events WHERE event_id = $1`, ev.ID))

	// Replaying again is a no-op success (the inbox has the event id).
	rec = h.do(http.MethodPost, "/admin/deadletters/"+letter.ID+"/replay", fixed, jsonHeader())
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Len(t, h.statusChanges(o.OrderID), 1)
}
