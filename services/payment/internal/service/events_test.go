package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/contract/contracttest"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pgdbtest"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/subscriptions"
	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/migrations"
)

func TestRoutesCoverSubscriptions(t *testing.T) {
	subs, err := subscriptions.Load(daprtest.DaprPath(t, "subscriptions"))
	require.NoError(t, err)
	require.NotEmpty(t, subscriptions.ForApp(subs, contract.AppID))
	h := newHarnessWithoutDB(t)
	require.NoError(t, subscriptions.CheckRouter(subs, contract.AppID, h.svc.Router.Routes()))
}

// TestContractServed checks the service against contract.Spec: its routes are registered and
// its event routes are exactly the contract's.
func TestContractServed(t *testing.T) {
	h := newHarnessWithoutDB(t)
	require.NoError(t, contracttest.CheckServed(contract.Spec, h.svc.Server.Echo.Routes(), h.svc.Router.Routes()))
}

func TestOrderCreatedChargesOnce(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	ev := orderCreated(orderID, "tok_visa", 2500)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	ev.TraceParent = "00-" + traceID + "-00f067aa0ba902b7-01"
	ev.CorrelationID = "corr-" + orderID

	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, ev))

	ps := h.payments(orderID)
	require.Len(t, ps, 1)
	p := ps[0]
	assert.Equal(t, "completed", p.Status)
	assert.Equal(t, int64(2500), p.Amount)
	assert.Equal(t, "EUR", p.Currency)
	assert.Equal(t, int64(1), p.Version)
	assert.NotEmpty(t, p.ProviderRef)

	out := h.outbox(orderID)
	require.Len(t, out, 1)
	assert.Equal(t, events.TypePaymentCompleted, out[0].Type)
	assert.Equal(t, events.TopicPayments, out[0].Topic)
	var data events.PaymentCompleted
	require.NoError(t, json.Unmarshal(out[0].Payload, &data))
	require.NoError(t, data.Validate())
	assert.Equal(t, p.ID, data.PaymentID)
	assert.Equal(t, orderID, data.OrderID)
	assert.Equal(t, int64(2500), data.Amount)
	assert.Equal(t, "EUR", data.Currency)
	assert.Equal(t, int64(1), data.Version)
	assert.Equal(t, 1, h.inboxRows())

	var headers map[string]string
	require.NoError(t, h.db.QueryRow(context.Background(), `SELECT headers FROM outbox WHERE aggregate_id = $1`, orderID).Scan(&headers))
	assert.Equal(t, "corr-"+orderID, headers["correlationid"], "the correlation id travels on")
	assert.Contains(t, headers["traceparent"], traceID, "the trace continues")

	got := h.get(t, p.ID)
	assert.True(t, got.UpdatedAt.Equal(data.CompletedAt), "the API and the event show the same instant")

	t.Run("duplicate delivery of the same event", func(t *testing.T) {
		require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, ev))
		assert.Len(t, h.payments(orderID), 1)
		assert.Len(t, h.outbox(orderID), 1)
		assert.Equal(t, 1, h.inboxRows())
	})
	t.Run("another order.created for the same order", func(t *testing.T) {
		again := orderCreated(orderID, "tok_visa", 2500)
		require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, again))
		assert.Equal(t, ps, h.payments(orderID), "the payment is unchanged")
		assert.Len(t, h.outbox(orderID), 1)
		assert.Equal(t, 2, h.inboxRows(), "the second event is acknowledged")
	})
	charges, _ := h.provider.counts()
	assert.Equal(t, 1, charges, "the provider charged once")
}

func TestOrderCreatedDeclined(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		amount int64
		reason string
	}{
		{"by token", "tok_decline", 2500, "card declined"},
		{"by amount", "tok_visa", declineAbove + 1, "amount above limit"},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orderID := newOrderID()
			require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, orderCreated(orderID, tt.token, tt.amount)))

			ps := h.payments(orderID)
			require.Len(t, ps, 1)
			assert.Equal(t, "failed", ps[0].Status)
			assert.Equal(t, tt.reason, ps[0].Reason)
			assert.Equal(t, tt.amount, ps[0].Amount)

			out := h.outbox(orderID)
			require.Len(t, out, 1)
			assert.Equal(t, events.TypePaymentFailed, out[0].Type)
			var data events.PaymentFailed
			require.NoError(t, json.Unmarshal(out[0].Payload, &data))
			require.NoError(t, data.Validate())
			assert.Equal(t, tt.reason, data.Reason)
			assert.Equal(t, tt.amount, data.Amount)
			assert.Equal(t, ps[0].ID, data.PaymentID)
		})
	}
}

func TestProviderErrorRetries(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	require.Equal(t, pubsub.StatusRetry, h.deliver(contract.PathOrderCreated, orderCreated(orderID, "tok_error", 2500)))
	assert.Empty(t, h.payments(orderID))
	assert.Empty(t, h.outbox(orderID))
	assert.Zero(t, h.inboxRows(), "a retried event leaves no inbox row")
	assert.Zero(t, h.count(`SELECT count(*) FROM order_locks`), "nothing of the transaction is kept")
}

func TestDatabaseErrorRetries(t *testing.T) {
	url := pgdbtest.NewDatabase(t)
	db := pooltest.Open(t, url)
	require.NoError(t, pgdb.Migrate(context.Background(), db, migrations.FS, nil))
	svcPool := pooltest.Open(t, url)
	h := newHarnessOn(t, db, svcPool)
	svcPool.Close() // the service's database is gone

	orderID := newOrderID()
	assert.Equal(t, pubsub.StatusRetry, h.deliver(contract.PathOrderCreated, orderCreated(orderID, "tok_visa", 2500)))
	assert.Equal(t, pubsub.StatusRetry, h.deliver(contract.PathOrderStatusChanged, cancelled(orderID)))
	assert.Empty(t, h.payments(orderID))
	assert.Zero(t, h.inboxRows())
	assert.Zero(t, h.count(`SELECT count(*) FROM order_cancellations`))
}

func TestCancelAfterCompletedRefundsOnce(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, orderCreated(orderID, "", 4200)))
	paid := h.payments(orderID)
	require.Len(t, paid, 1)

	cancel := cancelled(orderID)
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderStatusChanged, cancel))

	ps := h.payments(orderID)
	require.Len(t, ps, 1)
	assert.Equal(t, "refunded", ps[0].Status)
	assert.Equal(t, "customer request", ps[0].Reason)
	assert.Equal(t, int64(2), ps[0].Version)
	assert.Equal(t, paid[0].ProviderRef, ps[0].ProviderRef)

	out := h.outbox(orderID)
	require.Len(t, out, 2)
	assert.Equal(t, events.TypePaymentCompleted, out[0].Type)
	assert.Equal(t, events.TypePaymentRefunded, out[1].Type)
	var data events.PaymentRefunded
	require.NoError(t, json.Unmarshal(out[1].Payload, &data))
	require.NoError(t, data.Validate())
	assert.Equal(t, ps[0].ID, data.PaymentID)
	assert.Equal(t, int64(4200), data.Amount)
	assert.Equal(t, int64(2), data.Version)
	assert.Equal(t, "customer request", data.Reason)

	t.Run("duplicate cancel event", func(t *testing.T) {
		require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderStatusChanged, cancel))
		assert.Len(t, h.outbox(orderID), 2)
	})
	t.Run("another cancel event for the same order", func(t *testing.T) {
		require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderStatusChanged, cancelled(orderID)))
		assert.Len(t, h.outbox(orderID), 2)
		assert.Equal(t, "refunded", h.payments(orderID)[0].Status)
	})
	_, refunds := h.provider.counts()
	assert.Equal(t, 1, refunds, "the provider refunded once")
}

func TestCancelOfFailedPaymentRefundsNothing(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, orderCreated(orderID, "tok_decline", 100)))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderStatusChanged, cancelled(orderID)))
	assert.Equal(t, "failed", h.payments(orderID)[0].Status)
	out := h.outbox(orderID)
	require.Len(t, out, 1)
	assert.Equal(t, events.TypePaymentFailed, out[0].Type)
	_, refunds := h.provider.counts()
	assert.Zero(t, refunds)
}

func TestRefundProviderErrorRetries(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, orderCreated(orderID, "", 4200)))

	h.provider.failRefunds(errors.New("provider timeout"))
	cancel := cancelled(orderID)
	require.Equal(t, pubsub.StatusRetry, h.deliver(contract.PathOrderStatusChanged, cancel))
	assert.Equal(t, "completed", h.payments(orderID)[0].Status)
	assert.Len(t, h.outbox(orderID), 1)
	assert.Zero(t, h.count(`SELECT count(*) FROM order_cancellations`), "the marker rolls back with the refund")

	h.provider.failRefunds(nil)
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderStatusChanged, cancel), "the redelivery refunds")
	assert.Equal(t, "refunded", h.payments(orderID)[0].Status)
	assert.Len(t, h.outbox(orderID), 2)
}

func TestCancelBeforeCreatedIsNeverCharged(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderStatusChanged, cancelled(orderID)))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM order_cancellations WHERE order_id = $1 AND reason = 'customer request'`, orderID))
	assert.Empty(t, h.outbox(orderID))

	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, orderCreated(orderID, "tok_visa", 2500)))
	assert.Empty(t, h.payments(orderID))
	assert.Empty(t, h.outbox(orderID), "nothing is published for a cancelled order")
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM order_cancellations WHERE order_id = $1 AND charge_skipped_at IS NOT NULL`, orderID),
		"the skipped charge is recorded")
	assert.Equal(t, 2, h.inboxRows(), "both events are acknowledged")
	charges, _ := h.provider.counts()
	assert.Zero(t, charges)
}

// TestConcurrentChargeAndCancel delivers order.created and the order's cancellation at the
// same time, for many orders: whichever wins, an order must never end up charged and not
// refunded.
func TestConcurrentChargeAndCancel(t *testing.T) {
	h := newHarness(t)
	const orders = 25
	ids := make([]string, orders)
	var wg sync.WaitGroup
	statuses := make(chan pubsub.Status, 2*orders)
	for i := range ids {
		ids[i] = newOrderID()
		created, cancel := orderCreated(ids[i], "", 1000), cancelled(ids[i])
		wg.Add(2)
		go func() { defer wg.Done(); statuses <- h.deliverQuiet(contract.PathOrderCreated, created) }()
		go func() { defer wg.Done(); statuses <- h.deliverQuiet(contract.PathOrderStatusChanged, cancel) }()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		require.Equal(t, pubsub.StatusSuccess, s)
	}
	charged, skipped := 0, 0
	for _, id := range ids {
		ps := h.payments(id)
		var types []string
		for _, r := range h.outbox(id) {
			types = append(types, r.Type)
		}
		assert.Equal(t, 1, h.count(`SELECT count(*) FROM order_cancellations WHERE order_id = $1`, id))
		switch len(ps) {
		case 0: // the cancellation came first
			skipped++
			assert.Empty(t, types, id)
		case 1: // the charge came first: refunded
			charged++
			assert.Equal(t, "refunded", ps[0].Status, id)
			assert.Equal(t, []string{events.TypePaymentCompleted, events.TypePaymentRefunded}, types, id)
		default:
			t.Fatalf("order %s has %d payments", id, len(ps))
		}
	}
	t.Logf("charged then refunded: %d, never charged: %d", charged, skipped)
}

// deliverQuiet is deliver for goroutines: it reports failures as a status instead of stopping.
func (h *harness) deliverQuiet(path string, ev events.CloudEvent) pubsub.Status {
	body, err := json.Marshal(ev)
	if err != nil {
		return pubsub.Status(err.Error())
	}
	rec := h.do(http.MethodPost, path, body, http.Header{
		"Content-Type":        {events.ContentTypeCloudEvents},
		pubsub.HeaderAPIToken: {appToken},
	})
	var resp struct {
		Status pubsub.Status `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		return pubsub.Status(fmt.Sprintf("%d %s", rec.Code, rec.Body.String()))
	}
	return resp.Status
}

func TestOtherStatusChangesAreIgnored(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, orderCreated(orderID, "", 2500)))
	for _, to := range []string{events.OrderStatusPaid, events.OrderStatusShipped} {
		require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderStatusChanged, statusChanged(orderID, events.OrderStatusPending, to)), to)
	}
	assert.Equal(t, "completed", h.payments(orderID)[0].Status)
	assert.Len(t, h.outbox(orderID), 1)
	assert.Zero(t, h.count(`SELECT count(*) FROM order_cancellations`))
	assert.Equal(t, 1, h.inboxRows(), "ignored changes have no effect to record")
}

func TestInvalidEventsAreDropped(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	mismatch := orderCreatedData(orderID, "", 100, 2)
	mismatch.TotalAmount = 150
	noOrder := orderCreatedData(orderID, "", 100, 1)
	noOrder.OrderID = ""
	longOrder := orderCreatedData(orderID, "", 100, 1)
	longOrder.OrderID = strings.Repeat("x", 201)
	badStatus := statusChanged(orderID, events.OrderStatusPending, "lost")

	tests := []struct {
		name string
		path string
		ev   events.CloudEvent
	}{
		{"total does not match the items", contract.PathOrderCreated, cloudEvent(events.TypeOrderCreated, orderID, mismatch)},
		{"no order id", contract.PathOrderCreated, cloudEvent(events.TypeOrderCreated, orderID, noOrder)},
		{"order id too long", contract.PathOrderCreated, cloudEvent(events.TypeOrderCreated, orderID, longOrder)},
		{"data is not an object", contract.PathOrderCreated, withData(orderCreated(orderID, "", 1), `[1,2]`)},
		{"wrong type for the route", contract.PathOrderCreated, cancelled(orderID)},
		{"unknown status", contract.PathOrderStatusChanged, badStatus},
		{"status change without order", contract.PathOrderStatusChanged, withData(cancelled(orderID), `{"schemaVersion":1}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, pubsub.StatusDrop, h.deliver(tt.path, tt.ev))
		})
	}
	t.Run("not a CloudEvent", func(t *testing.T) {
		assert.Equal(t, pubsub.StatusDrop, h.deliverRaw(contract.PathOrderCreated, []byte(`{"hello":`)))
	})
	assert.Zero(t, h.inboxRows(), "a dropped event leaves no inbox row")
	assert.Zero(t, h.count(`SELECT count(*) FROM payments`))
	assert.Zero(t, h.count(`SELECT count(*) FROM order_cancellations`))
	assert.Zero(t, h.count(`SELECT count(*) FROM outbox`))
}

func withData(ev events.CloudEvent, data string) events.CloudEvent {
	ev.Data = json.RawMessage(data)
	return ev
}

func TestDefaultRouteAcknowledgesAndCounts(t *testing.T) {
	h := newHarness(t)
	before := h.metric(`payment_events_ignored_total{type="payment.completed"}`)
	ev := cloudEvent(events.TypePaymentCompleted, "x", map[string]any{"schemaVersion": 1})
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrdersDefault, ev))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrdersDefault, ev))
	assert.Equal(t, before+2, h.metric(`payment_events_ignored_total{type="payment.completed"}`))
	assert.Zero(t, h.inboxRows())
}

// metric reads one sample from /metrics (0 when absent).
func (h *harness) metric(series string) float64 {
	h.t.Helper()
	rec := h.do(http.MethodGet, "/metrics", nil, nil)
	require.Equal(h.t, http.StatusOK, rec.Code)
	for line := range strings.Lines(rec.Body.String()) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			_, err := fmt.Sscan(rest, &v)
			require.NoError(h.t, err)
			return v
		}
	}
	return 0
}

func TestDeadLetterStoredAndReplayed(t *testing.T) {
	h := newHarness(t)
	orderID := newOrderID()
	bad := orderCreatedData(orderID, "", 300, 1)
	bad.TotalAmount = 1 // invalid: the event was dropped to the dead-letter topic
	ev := cloudEvent(events.TypeOrderCreated, orderID, bad)
	require.Equal(t, pubsub.StatusDrop, h.deliver(contract.PathOrderCreated, ev))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrdersDeadLetters, ev), "the sidecar delivers the dead letter back")

	rec := h.invoke(http.MethodGet, "/admin/deadletters", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var list struct {
		DeadLetters []struct {
			ID      string `json:"id"`
			EventID string `json:"eventId"`
			Topic   string `json:"topic"`
		} `json:"deadLetters"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	require.Len(t, list.DeadLetters, 1)
	assert.Equal(t, ev.ID, list.DeadLetters[0].EventID)
	assert.Equal(t, "orders.payment.dlq", list.DeadLetters[0].Topic)
	id := list.DeadLetters[0].ID

	rec = h.invoke(http.MethodGet, "/admin/deadletters/"+id, nil, nil)
	assert.Equal(t, http.StatusOK, rec.Code)

	rec = h.invoke(http.MethodPost, "/admin/deadletters/"+id+"/replay", nil, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, "still invalid: %s", rec.Body.String())
	assert.Empty(t, h.payments(orderID))

	fixed := bad
	fixed.TotalAmount = 300
	body, err := json.Marshal(map[string]any{"data": fixed})
	require.NoError(t, err)
	rec = h.invoke(http.MethodPost, "/admin/deadletters/"+id+"/replay", body, http.Header{"Content-Type": {"application/json"}})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	ps := h.payments(orderID)
	require.Len(t, ps, 1)
	assert.Equal(t, int64(300), ps[0].Amount)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM processed_events WHERE consumer = 'payment' AND event_id = $1`, ev.ID),
		"the replay keeps the original event id")
}

func TestEventRoutesRequireTheAppToken(t *testing.T) {
	h := newHarness(t)
	body, err := json.Marshal(orderCreated(newOrderID(), "", 100))
	require.NoError(t, err)
	rec := h.do(http.MethodPost, contract.PathOrderCreated, body, http.Header{"Content-Type": {events.ContentTypeCloudEvents}})
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Zero(t, h.count(`SELECT count(*) FROM payments`))
}

// newHarnessWithoutDB builds the service over a pool that never connects: enough to inspect
// its routes without PostgreSQL.
func newHarnessWithoutDB(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, nil, pooltest.Unreachable(t))
}
