package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Payment tokens the simulated provider of the payment service treats specially.
const (
	tokenDecline = "tok_decline" // declined: "card declined"
	tokenError   = "tok_error"   // the provider is unavailable: the charge is retried, never succeeds
)

// poll is the interval of the bounded waits.
const poll = 200 * time.Millisecond

// suite is the state the scenarios share.
type suite struct {
	sys    System
	api    *api
	dbs    map[string]*pgxpool.Pool
	broker *redis.Client
	run    string // prefix of the run's customer ids
	cur    currencies
}

// Run runs every scenario against sys, one after the other (they share the system; each
// uses its own customers and currency, so their assertions are exact).
func Run(t *testing.T, sys System) {
	s := &suite{sys: sys, api: newAPI(sys), dbs: map[string]*pgxpool.Pool{}, broker: sys.Broker(t), run: "e2e-" + newID()[:8]}
	for _, svc := range DatabaseServices {
		s.dbs[svc] = sys.DB(t, svc)
	}
	scenarios := []struct {
		name string
		fn   func(t *testing.T)
	}{
		// First, while the system is still quiet, so that "nothing stored" is exact.
		{"bad input is rejected and stores nothing", s.badInput},
		{"happy path", s.happyPath},
		{"decline cancels the order", s.decline},
		{"cancel a paid order refunds it", s.cancelPaid},
		{"cancel a pending order before payment handles it: never charged", s.cancelPending},
		{"payment.completed for a cancelled order is refunded", s.completedAfterCancel},
		{"status changes the order does not allow", s.invalidTransitions},
		{"unknown order", s.unknownOrder},
		{"idempotency key", s.idempotency},
		{"duplicate delivery of order.created", s.duplicateDelivery},
		{"poison event is dead-lettered and replayed", s.poisonEvent},
		{"50 concurrent orders", s.concurrentOrders},
	}
	if f, ok := sys.(Faults); ok {
		scenarios = append(scenarios, struct {
			name string
			fn   func(t *testing.T)
		}{"payment down: orders accepted, each paid once after its restart", func(t *testing.T) { s.paymentDown(t, f) }})
	}
	for _, sc := range scenarios {
		t.Run(sc.name, sc.fn)
	}
}

func (s *suite) customer(name string) string { return s.run + "-" + name }

func (s *suite) order(customer, currency string, items ...item) newOrder {
	if len(items) == 0 {
		items = []item{{ProductID: "p-1", Quantity: 2, UnitPrice: 1250}, {ProductID: "p-2", Quantity: 1, UnitPrice: 499}}
	}
	return newOrder{CustomerID: customer, Currency: currency, Items: items}
}

// waitStatus waits until the order has status and returns it.
func (s *suite) waitStatus(t *testing.T, id, status string) order {
	t.Helper()
	var last order
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		o, err := s.api.order(id)
		require.NoError(c, err)
		last = o
		assert.Equal(c, status, o.Status, "order %s", id)
	}, Timeout, poll)
	return last
}

// waitAnalytics waits until the analytics aggregates of currency equal want.
func (s *suite) waitAnalytics(t *testing.T, currency string, want stats) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		got, err := s.api.analytics(currency)
		require.NoError(c, err)
		assert.Equal(c, want, got, "analytics of %s", currency)
	}, Timeout, poll)
}

// waitNotifications waits until the order's notifications hold exactly want of each event
// type named in want, and returns them.
func (s *suite) waitNotifications(t *testing.T, orderID string, want map[string]int) []notification {
	t.Helper()
	var last []notification
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ns, err := s.api.notifications(orderID)
		require.NoError(c, err)
		last = ns
		for typ, n := range want {
			assert.Equal(c, n, countWhere(ns, func(x notification) bool { return x.EventType == typ }), "%s notifications of order %s", typ, orderID)
		}
	}, Timeout, poll)
	return last
}

// onePayment waits until the order has exactly one payment with status and returns it.
func (s *suite) onePayment(t *testing.T, orderID, status string) payment {
	t.Helper()
	var last []payment
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps, err := s.api.payments(orderID)
		require.NoError(c, err)
		last = ps
		if assert.Len(c, ps, 1, "payments of order %s", orderID) {
			assert.Equal(c, status, ps[0].Status)
		}
	}, Timeout, poll)
	n, err := count(context.Background(), s.dbs[Payment], `SELECT count(*) FROM payments WHERE order_id = $1`, orderID)
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "payment rows of order %s", orderID)
	return last[0]
}

// noDeadLetters asserts that no service dead-lettered an event about the order.
func (s *suite) noDeadLetters(t *testing.T, orderID string) {
	t.Helper()
	letters, err := s.api.deadLetters()
	require.NoError(t, err)
	for _, l := range letters {
		assert.NotContains(t, string(l.Event), orderID, "dead letter of %s: %s", l.Service, l.Event)
	}
}

// orderEventID returns the CloudEvent id of the order's order.created, read from the broker.
func (s *suite) orderEventID(t *testing.T, orderID string) streamEvent {
	t.Helper()
	var ev streamEvent
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		evs, err := findEvents(context.Background(), s.broker, topicOrders, "order.created", orderID)
		require.NoError(c, err)
		require.Len(c, evs, 1, "order.created of %s in the orders stream", orderID)
		ev = evs[0]
	}, Timeout, poll)
	return ev
}

// 201 → paid; one payment; order and payment notifications; analytics counts order and revenue.
func (s *suite) happyPath(t *testing.T) {
	cur := s.cur.next()
	req := s.order(s.customer("happy"), cur)
	resp := s.api.must(t, request{Method: http.MethodPost, Path: "/orders", Body: req, Headers: map[string]string{"Idempotency-Key": newID()}})
	require.Equal(t, http.StatusCreated, resp.Status, resp.String())
	var created order
	require.NoError(t, json.Unmarshal(resp.Body, &created))
	assert.Equal(t, "pending", created.Status)
	assert.Equal(t, req.total(), created.TotalAmount, "total computed server-side")
	assert.Equal(t, req.CustomerID, created.CustomerID)
	assert.Equal(t, "/orders/"+created.OrderID, resp.Header.Get("Location"))

	paid := s.waitStatus(t, created.OrderID, "paid")
	assert.Greater(t, paid.Version, created.Version)
	p := s.onePayment(t, created.OrderID, "completed")
	assert.Equal(t, req.total(), p.Amount)
	assert.Equal(t, cur, p.Currency)

	ns := s.waitNotifications(t, created.OrderID, map[string]int{"order.created": 1, "payment.completed": 1})
	for _, n := range ns {
		assert.Equal(t, req.CustomerID, n.Recipient)
		assert.NotEmpty(t, n.Subject)
	}
	s.waitAnalytics(t, cur, stats{OrdersCreated: 1, OrdersPaid: 1, Revenue: req.total()})

	listed, err := s.api.ordersOf(req.CustomerID)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	assert.Equal(t, created.OrderID, listed[0].OrderID)
	s.noDeadLetters(t, created.OrderID)
}

// A declined payment cancels the order with the reason; payment-failed notification.
func (s *suite) decline(t *testing.T) {
	cases := []struct {
		name, token, reason string
		items               []item
	}{
		{"declined card", tokenDecline, "card declined", nil},
		{"amount above the provider's limit", "", "amount above limit", []item{{ProductID: "p-big", Quantity: 1000, UnitPrice: 1_000_000}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cur := s.cur.next()
			req := s.order(s.customer("decline-"+strings.ReplaceAll(tc.name, " ", "-")), cur, tc.items...)
			req.PaymentToken = tc.token
			o := s.api.placeOrder(t, req)

			cancelled := s.waitStatus(t, o.OrderID, "cancelled")
			assert.Contains(t, cancelled.StatusReason, tc.reason)
			p := s.onePayment(t, o.OrderID, "failed")
			assert.Contains(t, p.Reason, tc.reason)
			s.waitNotifications(t, o.OrderID, map[string]int{"order.created": 1, "payment.failed": 1, "payment.completed": 0})
			s.waitAnalytics(t, cur, stats{OrdersCreated: 1, OrdersCancelled: 1, PaymentsFailed: 1})
			s.noDeadLetters(t, o.OrderID)
		})
	}
}

// Cancelling a paid order refunds its payment; the refund is recorded and counted.
func (s *suite) cancelPaid(t *testing.T) {
	cur := s.cur.next()
	req := s.order(s.customer("cancel-paid"), cur)
	o := s.api.placeOrder(t, req)
	s.waitStatus(t, o.OrderID, "paid")
	s.onePayment(t, o.OrderID, "completed")

	resp := s.api.must(t, request{Method: http.MethodPut, Path: "/orders/" + o.OrderID + "/status", Body: map[string]string{"status": "cancelled", "reason": "customer changed their mind"}})
	require.Equal(t, http.StatusOK, resp.Status, resp.String())
	var changed order
	require.NoError(t, json.Unmarshal(resp.Body, &changed))
	assert.Equal(t, "cancelled", changed.Status)

	s.onePayment(t, o.OrderID, "refunded")
	s.waitNotifications(t, o.OrderID, map[string]int{"payment.completed": 1, "payment.refunded": 1})
	s.waitAnalytics(t, cur, stats{OrdersCreated: 1, OrdersPaid: 1, OrdersCancelled: 1, PaymentsRefunded: 1, Revenue: req.total(), Refunded: req.total()})
	final, err := s.api.order(o.OrderID)
	require.NoError(t, err)
	assert.Equal(t, "cancelled", final.Status)
	s.noDeadLetters(t, o.OrderID)
}

// An order cancelled while payment cannot handle its order.created yet (the provider is
// unavailable for the token, so payment keeps retrying) is never charged: payment records the
// cancellation and skips the charge when it handles order.created.
func (s *suite) cancelPending(t *testing.T) {
	cur := s.cur.next()
	req := s.order(s.customer("cancel-pending"), cur)
	req.PaymentToken = tokenError
	o := s.api.placeOrder(t, req)
	created := s.orderEventID(t, o.OrderID)

	resp := s.api.must(t, request{Method: http.MethodPut, Path: "/orders/" + o.OrderID + "/status", Body: map[string]string{"status": "cancelled", "reason": "too slow"}})
	require.Equal(t, http.StatusOK, resp.Status, "the order is still pending: %s", resp)

	// Payment handled order.created (its inbox holds the event) and charged nothing.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		n, err := count(context.Background(), s.dbs[Payment], `SELECT count(*) FROM processed_events WHERE event_id = $1`, created.ID)
		require.NoError(c, err)
		assert.EqualValues(c, 1, n, "payment processed order.created %s", created.ID)
	}, Timeout, poll)
	ps, err := s.api.payments(o.OrderID)
	require.NoError(t, err)
	assert.Empty(t, ps, "never charged")
	final, err := s.api.order(o.OrderID)
	require.NoError(t, err)
	assert.Equal(t, "cancelled", final.Status)
	payEvents, err := streamEvents(context.Background(), s.broker, topicPayments)
	require.NoError(t, err)
	assert.Zero(t, countWhere(payEvents, func(e streamEvent) bool { return e.Subject == o.OrderID }), "no payment event for the order")
	s.waitAnalytics(t, cur, stats{OrdersCreated: 1, OrdersCancelled: 1})
	s.noDeadLetters(t, o.OrderID)
}

// payment.completed reaches the order service only after the order was cancelled: the order
// stays cancelled, asks for a refund (order.status.changed cancelled → cancelled) and the
// payment is refunded. The order service's inbox table is locked for a moment, so it cannot
// apply payment.completed before the cancellation.
func (s *suite) completedAfterCancel(t *testing.T) {
	ctx := context.Background()
	cur := s.cur.next()
	req := s.order(s.customer("completed-after-cancel"), cur)

	lock, err := s.dbs[Order].Begin(ctx)
	require.NoError(t, err)
	release := sync.OnceFunc(func() { _ = lock.Rollback(context.Background()) })
	t.Cleanup(release)
	_, err = lock.Exec(ctx, `LOCK TABLE processed_events IN EXCLUSIVE MODE`)
	require.NoError(t, err)

	o := s.api.placeOrder(t, req)
	s.onePayment(t, o.OrderID, "completed") // charged; payment.completed is on its way
	pending, err := s.api.order(o.OrderID)
	require.NoError(t, err)
	require.Equal(t, "pending", pending.Status, "order must not have applied payment.completed yet")

	resp := s.api.must(t, request{Method: http.MethodPut, Path: "/orders/" + o.OrderID + "/status", Body: map[string]string{"status": "cancelled", "reason": "changed my mind"}})
	require.Equal(t, http.StatusOK, resp.Status, resp.String())
	release() // the order service now applies payment.completed to a cancelled order

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		evs, err := findEvents(ctx, s.broker, topicOrders, "order.status.changed", o.OrderID)
		require.NoError(c, err)
		refundRequests := countWhere(evs, func(e streamEvent) bool {
			var d struct{ From, To string }
			return json.Unmarshal(e.Data, &d) == nil && d.From == "cancelled" && d.To == "cancelled"
		})
		assert.Equal(c, 1, refundRequests, "refund request (cancelled → cancelled) published once")
		assert.Zero(c, countWhere(evs, func(e streamEvent) bool { return strings.Contains(string(e.Data), `"to":"paid"`) }), "never paid")
	}, Timeout, poll)
	s.onePayment(t, o.OrderID, "refunded")
	final, err := s.api.order(o.OrderID)
	require.NoError(t, err)
	assert.Equal(t, "cancelled", final.Status)
	s.waitNotifications(t, o.OrderID, map[string]int{"payment.completed": 1, "payment.refunded": 1})
	s.waitAnalytics(t, cur, stats{OrdersCreated: 1, OrdersCancelled: 1, PaymentsRefunded: 1, Revenue: req.total(), Refunded: req.total()})
	s.noDeadLetters(t, o.OrderID)
}

// PUT to paid (only payment.completed pays an order), and from a final status → 409.
func (s *suite) invalidTransitions(t *testing.T) {
	paid := s.api.placeOrder(t, s.order(s.customer("transitions"), s.cur.next()))
	s.waitStatus(t, paid.OrderID, "paid")
	cancelled := s.api.placeOrder(t, newOrder{CustomerID: s.customer("transitions"), Currency: s.cur.next(),
		Items: []item{{ProductID: "p-1", Quantity: 1, UnitPrice: 100}}, PaymentToken: tokenDecline})
	s.waitStatus(t, cancelled.OrderID, "cancelled")

	cases := []struct {
		name, id, status string
	}{
		{"pending or paid → paid", paid.OrderID, "paid"},
		{"paid → pending", paid.OrderID, "pending"},
		{"cancelled → paid", cancelled.OrderID, "paid"},
		{"cancelled → shipped", cancelled.OrderID, "shipped"},
		{"cancelled → cancelled", cancelled.OrderID, "cancelled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, err := s.api.order(tc.id)
			require.NoError(t, err)
			resp := s.api.must(t, request{Method: http.MethodPut, Path: "/orders/" + tc.id + "/status", Body: map[string]string{"status": tc.status}})
			assert.Equal(t, http.StatusConflict, resp.Status, resp.String())
			assertErrorBody(t, resp)
			after, err := s.api.order(tc.id)
			require.NoError(t, err)
			assert.Equal(t, before, after, "the order is unchanged")
		})
	}
	// A paid order may still ship: the allowed transition works.
	resp := s.api.must(t, request{Method: http.MethodPut, Path: "/orders/" + paid.OrderID + "/status", Body: map[string]string{"status": "shipped"}})
	assert.Equal(t, http.StatusOK, resp.Status, resp.String())
}

// An order that does not exist → 404 on read and on status change.
func (s *suite) unknownOrder(t *testing.T) {
	id := newID()
	for _, r := range []request{
		{Method: http.MethodGet, Path: "/orders/" + id},
		{Method: http.MethodPut, Path: "/orders/" + id + "/status", Body: map[string]string{"status": "cancelled"}},
	} {
		resp := s.api.must(t, r)
		assert.Equal(t, http.StatusNotFound, resp.Status, "%s %s: %s", r.Method, r.Path, resp)
		assertErrorBody(t, resp)
	}
}

// The same Idempotency-Key twice → one order and identical responses; the same key with
// another body → 422; concurrent repeats → still one order.
func (s *suite) idempotency(t *testing.T) {
	customer := s.customer("idempotency")
	req := s.order(customer, s.cur.next())
	key := newID()
	post := func(body any, key string) response {
		return s.api.must(t, request{Method: http.MethodPost, Path: "/orders", Body: body, Headers: map[string]string{"Idempotency-Key": key}})
	}
	first := post(req, key)
	require.Equal(t, http.StatusCreated, first.Status, first.String())
	second := post(req, key)
	assert.Equal(t, first.Status, second.Status)
	assert.JSONEq(t, string(first.Body), string(second.Body), "the repeat returns the original response")
	assert.Equal(t, first.Header.Get("Location"), second.Header.Get("Location"))
	assert.Equal(t, "true", second.Header.Get("Idempotent-Replayed"))

	other := req
	other.Items = []item{{ProductID: "p-9", Quantity: 1, UnitPrice: 1}}
	reused := post(other, key)
	assert.Equal(t, http.StatusUnprocessableEntity, reused.Status, reused.String())
	assertErrorBody(t, reused)

	// Concurrent requests with one new key: one order; every answer is the order or "in progress".
	key2 := newID()
	var wg sync.WaitGroup
	answers := make([]response, 8)
	for i := range answers {
		wg.Go(func() { answers[i] = post(req, key2) })
	}
	wg.Wait()
	var created []string
	for _, a := range answers {
		switch a.Status {
		case http.StatusCreated:
			var o order
			require.NoError(t, json.Unmarshal(a.Body, &o))
			created = append(created, o.OrderID)
		case http.StatusConflict:
			assertErrorBody(t, a)
		default:
			t.Errorf("concurrent repeat: %s", a)
		}
	}
	require.NotEmpty(t, created)
	for _, id := range created {
		assert.Equal(t, created[0], id, "every 201 names the same order")
	}

	n, err := count(context.Background(), s.dbs[Order], `SELECT count(*) FROM orders WHERE customer_id = $1`, customer)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n, "one order per idempotency key")
	listed, err := s.api.ordersOf(customer)
	require.NoError(t, err)
	assert.Len(t, listed, 2)
}

// The same order.created delivered twice (same CloudEvent id, appended to the stream again)
// → one payment, one notification, one analytics count.
func (s *suite) duplicateDelivery(t *testing.T) {
	ctx := context.Background()
	cur := s.cur.next()
	req := s.order(s.customer("duplicate"), cur)
	o := s.api.placeOrder(t, req)
	s.waitStatus(t, o.OrderID, "paid")
	s.waitNotifications(t, o.OrderID, map[string]int{"order.created": 1})
	s.waitAnalytics(t, cur, stats{OrdersCreated: 1, OrdersPaid: 1, Revenue: req.total()})

	original := s.orderEventID(t, o.OrderID)
	dupID, err := xadd(ctx, s.broker, topicOrders, original.Raw)
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		waiting, err := consumed(ctx, s.broker, topicOrders, dupID)
		require.NoError(c, err)
		assert.Empty(c, waiting, "consumer groups still to handle the duplicate")
	}, Timeout, poll)

	s.onePayment(t, o.OrderID, "completed")
	ns, err := s.api.notifications(o.OrderID)
	require.NoError(t, err)
	assert.Equal(t, 1, countWhere(ns, func(n notification) bool { return n.EventType == "order.created" }), "one order.created notification")
	got, err := s.api.analytics(cur)
	require.NoError(t, err)
	assert.Equal(t, stats{OrdersCreated: 1, OrdersPaid: 1, Revenue: req.total()}, got, "counted once")
	for _, svc := range []string{Payment, Notification} {
		n, err := count(ctx, s.dbs[svc], `SELECT count(*) FROM processed_events WHERE event_id = $1`, original.ID)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "%s inbox rows of %s", svc, original.ID)
	}
	s.noDeadLetters(t, o.OrderID)
}

// A poison event published straight to the broker lands in each consumer's dead-letter store,
// is listed by the admin API and leaves the flow working; replaying it with corrected data
// applies it once.
func (s *suite) poisonEvent(t *testing.T) {
	ctx := context.Background()
	customer, cur := s.customer("poison"), s.cur.next()
	orderID, eventID := newID(), newID()
	data := map[string]any{
		"schemaVersion": 1, "orderId": orderID, "customerId": customer, "currency": cur, "version": 1,
		"items": []any{}, "totalAmount": 0, // invalid: an order has items
		"createdAt": time.Now().UTC().Format(time.RFC3339Nano),
	}
	poison, err := cloudEvent(eventID, "order.created", topicOrders, orderID, data)
	require.NoError(t, err)
	_, err = xadd(ctx, s.broker, topicOrders, poison)
	require.NoError(t, err)

	consumers := []string{Payment, Notification, Analytics} // every consumer of the orders topic
	letters := map[string]deadLetter{}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		all, err := s.api.deadLetters()
		require.NoError(c, err)
		for _, l := range all {
			if l.EventID == eventID {
				letters[l.Service] = l
			}
		}
		for _, svc := range consumers {
			assert.Contains(c, letters, svc, "dead letter of %s", svc)
		}
	}, Timeout, poll)
	for _, svc := range consumers {
		l := letters[svc]
		assert.Equal(t, "order.created", l.EventType)
		assert.Equal(t, "orders."+svc+".dlq", l.Topic)
		assert.Nil(t, l.ReplayedAt)
		n, err := count(ctx, s.dbs[svc], `SELECT count(*) FROM processed_events WHERE event_id = $1`, eventID)
		require.NoError(t, err)
		assert.Zero(t, n, "%s: a dropped event leaves no inbox row", svc)
	}
	ps, err := s.api.payments(orderID)
	require.NoError(t, err)
	assert.Empty(t, ps, "nothing charged for the poison")

	// The flow goes on.
	after := s.api.placeOrder(t, s.order(customer, s.cur.next()))
	s.waitStatus(t, after.OrderID, "paid")

	// Replay at the notification service: as stored it still fails (422, nothing stored)...
	letter := letters[Notification]
	replayPath := "/admin/deadletters/" + Notification + "/" + letter.ID + "/replay"
	resp := s.api.must(t, request{Method: http.MethodPost, Path: replayPath, Key: &s.api.adminKey})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.Status, resp.String())
	assertErrorBody(t, resp)
	// ...with corrected data it is applied, once, however often it is replayed.
	data["items"] = []item{{ProductID: "p-1", Quantity: 2, UnitPrice: 700}}
	data["totalAmount"] = 1400
	for i := range 2 {
		resp = s.api.must(t, request{Method: http.MethodPost, Path: replayPath, Key: &s.api.adminKey, Body: map[string]any{"data": data}})
		require.Equal(t, http.StatusOK, resp.Status, "replay %d: %s", i+1, resp)
		var body struct {
			DeadLetter deadLetter `json:"deadLetter"`
		}
		require.NoError(t, json.Unmarshal(resp.Body, &body))
		assert.Equal(t, i+1, body.DeadLetter.ReplayCount)
		assert.NotNil(t, body.DeadLetter.ReplayedAt)
		assert.Empty(t, body.DeadLetter.LastError)
	}
	ns, err := s.api.notifications(orderID)
	require.NoError(t, err)
	require.Len(t, ns, 1, "the replayed event is applied once")
	assert.Equal(t, eventID, ns[0].EventID, "the replay keeps the original CloudEvent id")
	assert.Equal(t, "order.created", ns[0].EventType)
	n, err := count(ctx, s.dbs[Notification], `SELECT count(*) FROM processed_events WHERE event_id = $1`, eventID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)

	// The other consumers' letters stay pending; nothing else changed for them.
	all, err := s.api.deadLetters()
	require.NoError(t, err)
	for _, l := range all {
		if l.EventID == eventID && l.Service != Notification {
			assert.Nil(t, l.ReplayedAt, "%s letter untouched", l.Service)
		}
	}
}

// 50 orders placed at once → 50 paid, one payment each.
func (s *suite) concurrentOrders(t *testing.T) {
	const n = 50
	customer, cur := s.customer("concurrent"), s.cur.next()
	req := s.order(customer, cur)
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := s.api.do(context.Background(), request{Method: http.MethodPost, Path: "/orders", Body: req, Headers: map[string]string{"Idempotency-Key": newID()}})
			if err == nil && resp.Status != http.StatusCreated {
				err = fmt.Errorf("order %d: %s", i, resp)
			}
			if err == nil {
				var o order
				err = json.Unmarshal(resp.Body, &o)
				ids[i] = o.OrderID
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	unique := map[string]bool{}
	for _, id := range ids {
		unique[id] = true
	}
	require.Len(t, unique, n, "distinct orders")

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		orders, err := s.api.ordersOf(customer)
		require.NoError(c, err)
		assert.Len(c, orders, n)
		assert.Equal(c, n, countWhere(orders, func(o order) bool { return o.Status == "paid" }), "paid orders")
	}, Timeout, poll)
	ctx := context.Background()
	var rows, distinct int64
	require.NoError(t, s.dbs[Payment].QueryRow(ctx, `SELECT count(*), count(DISTINCT order_id) FROM payments WHERE customer_id = $1`, customer).Scan(&rows, &distinct))
	assert.EqualValues(t, n, rows, "payments")
	assert.EqualValues(t, n, distinct, "one payment per order")
	completed, err := count(ctx, s.dbs[Payment], `SELECT count(*) FROM payments WHERE customer_id = $1 AND status = 'completed'`, customer)
	require.NoError(t, err)
	assert.EqualValues(t, n, completed)
	s.waitAnalytics(t, cur, stats{OrdersCreated: n, OrdersPaid: n, Revenue: n * req.total()})
}

// Bad input at the gateway → a 4xx JSON error and nothing stored anywhere (no row in any
// service database, no event on the broker).
func (s *suite) badInput(t *testing.T) {
	ctx := context.Background()
	before := s.quiet(t)
	for _, table := range []string{"order.orders", "order.outbox", "payment.payments", "notification.notifications", "analytics.events"} {
		require.Contains(t, before, table, "the snapshot counts the services' tables")
	}
	valid := `{"customerId":"` + s.customer("bad") + `","currency":"EUR","items":[{"productId":"p-1","quantity":1,"unitPrice":100}]}`
	wrongKey, noKey, publicKey := "not-a-key", "", s.api.key
	huge := `{"customerId":"c","currency":"EUR","items":[{"productId":"` + strings.Repeat("x", 100<<10) + `","quantity":1,"unitPrice":1}]}`
	cases := []struct {
		name   string
		req    request
		status int
		code   string
	}{
		{"malformed JSON", request{Body: []byte(`{"customerId": "c", "items": [`)}, http.StatusBadRequest, "invalid_json"},
		{"not an object", request{Body: []byte(`[1, 2]`)}, http.StatusBadRequest, ""},
		{"unknown field", request{Body: []byte(strings.Replace(valid, `{`, `{"discount":5,`, 1))}, http.StatusBadRequest, "unknown_field"},
		{"empty items", request{Body: []byte(`{"customerId":"c","currency":"EUR","items":[]}`)}, http.StatusBadRequest, "validation_failed"},
		{"negative quantity", request{Body: []byte(`{"customerId":"c","currency":"EUR","items":[{"productId":"p","quantity":-1,"unitPrice":100}]}`)}, http.StatusBadRequest, "validation_failed"},
		{"price as a float", request{Body: []byte(`{"customerId":"c","currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1.5}]}`)}, http.StatusBadRequest, ""},
		{"missing customer", request{Body: []byte(`{"currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`)}, http.StatusBadRequest, "validation_failed"},
		{"huge body", request{Body: []byte(huge)}, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"missing API key", request{Body: []byte(valid), Key: &noKey}, http.StatusUnauthorized, ""},
		{"wrong API key", request{Body: []byte(valid), Key: &wrongKey}, http.StatusUnauthorized, ""},
		{"wrong content type", request{Body: []byte(valid), Headers: map[string]string{"Content-Type": "text/plain"}}, http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"status change: unknown status", request{Method: http.MethodPut, Path: "/orders/" + newID() + "/status", Body: []byte(`{"status":"lost"}`)}, http.StatusBadRequest, "validation_failed"},
		{"admin route with a public key", request{Method: http.MethodGet, Path: "/admin/deadletters", Key: &publicKey}, http.StatusForbidden, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req
			if r.Method == "" {
				r.Method, r.Path = http.MethodPost, "/orders"
			}
			if r.Headers == nil {
				r.Headers = map[string]string{}
			}
			if r.Method == http.MethodPost {
				r.Headers["Idempotency-Key"] = newID()
			}
			resp := s.api.must(t, r)
			assert.Equal(t, tc.status, resp.Status, resp.String())
			e := assertErrorBody(t, resp)
			if tc.code != "" && e != nil {
				assert.Equal(t, tc.code, e.Error.Code)
			}
		})
	}
	// Whatever the services might still do with a request that got through, give them time.
	time.Sleep(2 * time.Second)
	after, err := takeSnapshot(ctx, s.dbs, s.broker)
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing stored:\nbefore %s\nafter  %s", before, after)
}

// quiet waits until nothing changes in the databases and on the broker for two seconds and
// returns that state.
func (s *suite) quiet(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	var last snapshot
	stableSince := time.Time{}
	deadline := time.Now().Add(Timeout)
	for {
		cur, err := takeSnapshot(ctx, s.dbs, s.broker)
		require.NoError(t, err)
		switch {
		case last == nil || !equal(cur, last):
			last, stableSince = cur, time.Now()
		case time.Since(stableSince) >= 2*time.Second:
			return cur
		}
		require.True(t, time.Now().Before(deadline), "the system did not settle: %s", cur)
		time.Sleep(500 * time.Millisecond)
	}
}

func equal(a, b snapshot) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// assertErrorBody checks the platform's JSON error shape {"error":{"code","message"}}.
func assertErrorBody(t *testing.T, resp response) *errorBody {
	t.Helper()
	assert.Contains(t, resp.Header.Get("Content-Type"), "application/json", "error content type")
	var e errorBody
	if !assert.NoError(t, json.Unmarshal(resp.Body, &e), "error body is JSON: %s", resp) {
		return nil
	}
	if !assert.NotNil(t, e.Error, "error body: %s", resp) {
		return nil
	}
	assert.NotEmpty(t, e.Error.Code, "error code: %s", resp)
	assert.NotEmpty(t, e.Error.Message, "error message: %s", resp)
	return &e
}

// While the payment service and its sidecar are down, the gateway still accepts orders; they
// wait as pending on the broker and are each paid exactly once when payment is back.
func (s *suite) paymentDown(t *testing.T, f Faults) {
	const n = 5
	customer, cur := s.customer("payment-down"), s.cur.next()
	req := s.order(customer, cur)
	s.quiet(t) // nothing in flight for payment: the kill loses no delivery in progress
	f.Kill(t, Payment)
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			f.Start(t, Payment)
		}
	})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.api.placeOrder(t, req).OrderID
	}
	time.Sleep(time.Second)
	for _, id := range ids {
		o, err := s.api.order(id)
		require.NoError(t, err)
		assert.Equal(t, "pending", o.Status, "nobody charges while payment is down")
	}
	f.Start(t, Payment)
	restarted = true
	for _, id := range ids {
		s.waitStatus(t, id, "paid")
		s.onePayment(t, id, "completed")
	}
	s.waitAnalytics(t, cur, stats{OrdersCreated: n, OrdersPaid: n, Revenue: n * req.total()})
}
