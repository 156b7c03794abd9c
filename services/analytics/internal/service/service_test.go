package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/pubsubtest"
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/service"
	"github.com/orderflow/orderflow/services/analytics/migrations"
)

const appToken = "app-token"

// now is the test clock; the events happen in the hours before it.
var (
	now   = time.Date(2025, 3, 2, 12, 30, 0, 0, time.UTC)
	hour1 = time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC)
	hour2 = time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC)
)

type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	svc  *service.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pool := pooltest.New(t, migrations.FS)
	svc := service.New(service.Options{AppToken: appToken, Pool: pool, Log: slog.New(slog.DiscardHandler),
		SidecarReady: func(context.Context) error { return nil }, Now: func() time.Time { return now }})
	return &env{t: t, pool: pool, svc: svc}
}

func (e *env) do(method, target, token, contentType, body string) (int, string) {
	e.t.Helper()
	return pubsubtest.Request(e.t, e.svc.Server.Echo, method, target, token, contentType, body)
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	return pooltest.Count(e.t, e.pool, sql, args...)
}

func (e *env) exec(sql string) {
	e.t.Helper()
	_, err := e.pool.Exec(context.Background(), sql)
	require.NoError(e.t, err)
}

// entry is one entry of a bulk delivery; event is raw JSON.
type entry struct {
	EntryID     string            `json:"entryId"`
	Event       json.RawMessage   `json:"event"`
	ContentType string            `json:"contentType"`
	Metadata    map[string]string `json:"metadata"`
}

// bulk posts entries to path as the sidecar does and returns the status of each entry id; it
// fails the test unless every entry is answered exactly once.
func (e *env) bulk(path string, entries ...entry) map[string]string {
	e.t.Helper()
	body, err := json.Marshal(map[string]any{"id": "bulk-1", "topic": "orders", "pubsubname": "pubsub",
		"type": "com.dapr.event.sent.bulk", "entries": entries})
	require.NoError(e.t, err)
	code, resp := e.do(http.MethodPost, path, appToken, "application/json", string(body))
	require.Equal(e.t, http.StatusOK, code, resp)
	return statuses(e.t, resp, len(entries))
}

func statuses(t *testing.T, body string, entries int) map[string]string {
	t.Helper()
	var resp struct {
		Statuses []struct{ EntryID, Status string }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &resp), body)
	got := make(map[string]string, len(resp.Statuses))
	for _, s := range resp.Statuses {
		_, dup := got[s.EntryID]
		require.False(t, dup, "entry %s answered twice", s.EntryID)
		got[s.EntryID] = s.Status
	}
	require.Len(t, got, entries, body)
	return got
}

func ce(t *testing.T, id, eventType string, when time.Time, data any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	b, err := json.Marshal(events.CloudEvent{SpecVersion: "1.0", ID: id, Source: "test", Type: eventType, Subject: "o",
		Time: &when, DataContentType: "application/json", Data: raw})
	require.NoError(t, err)
	return b
}

func ent(id string, event json.RawMessage) entry {
	return entry{EntryID: id, Event: event, ContentType: events.ContentTypeCloudEvents, Metadata: map[string]string{}}
}

func orderCreated(t *testing.T, id, orderID, currency string, amount int64, when time.Time) json.RawMessage {
	return ce(t, id, events.TypeOrderCreated, when, events.OrderCreated{SchemaVersion: 1, OrderID: orderID, CustomerID: "c-1",
		Items: []events.OrderItem{{ProductID: "sku", Quantity: 1, UnitPrice: amount}}, TotalAmount: amount,
		Currency: currency, Version: 1, CreatedAt: when})
}

func statusChanged(t *testing.T, id, orderID, to string, when time.Time) json.RawMessage {
	return ce(t, id, events.TypeOrderStatusChanged, when, events.OrderStatusChanged{SchemaVersion: 1, OrderID: orderID, CustomerID: "c-1",
		From: "pending", To: to, TotalAmount: 2500, Currency: "EUR", Version: 2, ChangedAt: when})
}

func paymentCompleted(t *testing.T, id, orderID, currency string, amount int64, when time.Time) json.RawMessage {
	return ce(t, id, events.TypePaymentCompleted, when, events.PaymentCompleted{SchemaVersion: 1, PaymentID: "pay-" + orderID,
		OrderID: orderID, CustomerID: "c-1", Amount: amount, Currency: currency, Version: 1, CompletedAt: when})
}

func paymentFailed(t *testing.T, id, orderID string, when time.Time) json.RawMessage {
	return ce(t, id, events.TypePaymentFailed, when, events.PaymentFailed{SchemaVersion: 1, PaymentID: "pay-" + orderID,
		OrderID: orderID, CustomerID: "c-1", Amount: 900, Currency: "EUR", Reason: "card declined", Version: 1, FailedAt: when})
}

func paymentRefunded(t *testing.T, id, orderID string, amount int64, when time.Time) json.RawMessage {
	return ce(t, id, events.TypePaymentRefunded, when, events.PaymentRefunded{SchemaVersion: 1, PaymentID: "pay-" + orderID,
		OrderID: orderID, CustomerID: "c-1", Amount: amount, Currency: "EUR", Version: 2, RefundedAt: when})
}

// stats is one hourly_stats row.
type stats struct {
	Hour                                                                         time.Time
	Currency                                                                     string
	OrdersCreated, OrdersPaid, OrdersCancelled, PaymentsFailed, PaymentsRefunded int64
	Revenue, Refunded                                                            string
}

func (e *env) stats() []stats {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(), `SELECT hour, currency, orders_created, orders_paid, orders_cancelled,
		payments_failed, payments_refunded, revenue::text, refunded_amount::text FROM hourly_stats ORDER BY hour, currency`)
	require.NoError(e.t, err)
	defer rows.Close()
	var out []stats
	for rows.Next() {
		var s stats
		require.NoError(e.t, rows.Scan(&s.Hour, &s.Currency, &s.OrdersCreated, &s.OrdersPaid, &s.OrdersCancelled,
			&s.PaymentsFailed, &s.PaymentsRefunded, &s.Revenue, &s.Refunded))
		s.Hour = s.Hour.UTC()
		out = append(out, s)
	}
	require.NoError(e.t, rows.Err())
	return out
}

func TestBulkMixedBatch(t *testing.T) {
	e := newEnv(t)
	// Stored before: payment pay-old, counted once already.
	require.Equal(t, map[string]string{"0": "SUCCESS"},
		e.bulk(contract.PathBulkPayments, ent("0", paymentCompleted(t, "ev-old", "o-0", "EUR", 1000, hour1))))

	wrongTotal := events.OrderCreated{SchemaVersion: 1, OrderID: "o-9", CustomerID: "c-1",
		Items: []events.OrderItem{{ProductID: "sku", Quantity: 1, UnitPrice: 5}}, TotalAmount: 6, Currency: "EUR", Version: 1, CreatedAt: hour1}
	got := e.bulk(contract.PathBulkOrders,
		ent("1", orderCreated(t, "ev-1", "o-1", "EUR", 2500, hour1.Add(5*time.Minute))),
		ent("2", orderCreated(t, "ev-1", "o-1", "EUR", 2500, hour1.Add(5*time.Minute))),       // same event twice in the batch
		ent("3", paymentCompleted(t, "ev-old", "o-0", "EUR", 1000, hour1)),                    // stored by an earlier batch
		ent("4", json.RawMessage(`{"specversion":"1.0","id":"ev-4","type":"order.created"}`)), // no source, no data
		ent("5", json.RawMessage(`"aGVsbG8="`)),                                               // a raw payload, not a CloudEvent
		ent("6", ce(t, "ev-6", events.TypeOrderCreated, hour1, wrongTotal)),                   // invalid data
		ent("7", ce(t, "ev-7", events.TypePaymentCompleted, hour1, map[string]any{"amount": "25.00"})),
		ent("8", ce(t, "ev-8", events.TypeOrderStatusChanged, hour1, map[string]any{
			"schemaVersion": 1, "orderId": "o-1", "customerId": "c-1", "from": "pending", "to": "cancelled",
			"reason": "nul \u0000 inside", "totalAmount": 2500, "currency": "EUR", "version": 2, "changedAt": hour1})),
		ent("9", ce(t, "ev-9", "order.archived", hour1, map[string]any{"orderId": "o-1"})), // unknown type: ignored
		ent("10", statusChanged(t, "ev-10", "o-1", "cancelled", hour2.Add(time.Minute))),
		ent("11", statusChanged(t, "ev-11", "o-2", "paid", hour2.Add(2*time.Minute))),
		ent("12", statusChanged(t, "ev-12", "o-3", "shipped", hour2.Add(3*time.Minute))),
		ent("13", paymentCompleted(t, "ev-13", "o-2", "EUR", 4000, hour2.Add(4*time.Minute))),
		ent("14", paymentFailed(t, "ev-14", "o-1", hour1.Add(6*time.Minute))),
		ent("15", paymentRefunded(t, "ev-15", "o-2", 1500, hour2.Add(5*time.Minute))),
		ent("16", orderCreated(t, "ev-16", "o-4", "JPY", 1500, hour2.Add(6*time.Minute))),
	)
	assert.Equal(t, map[string]string{
		"1": "SUCCESS", "2": "SUCCESS", "3": "SUCCESS",
		"4": "DROP", "5": "DROP", "6": "DROP", "7": "DROP", "8": "DROP",
		"9": "SUCCESS", "10": "SUCCESS", "11": "SUCCESS", "12": "SUCCESS", "13": "SUCCESS", "14": "SUCCESS",
		"15": "SUCCESS", "16": "SUCCESS",
	}, got)

	assert.Equal(t, 9, e.count(`SELECT count(*) FROM events`), "ev-old, ev-1 once and ev-10 to ev-16")
	assert.Zero(t, e.count(`SELECT count(*) FROM events WHERE event_id IN ('ev-4','ev-6','ev-7','ev-8','ev-9')`))
	assert.Equal(t, []stats{
		{Hour: hour1, Currency: "EUR", OrdersCreated: 1, PaymentsFailed: 1, Revenue: "1000", Refunded: "0"},
		{Hour: hour2, Currency: "EUR", OrdersPaid: 1, OrdersCancelled: 1, PaymentsRefunded: 1, Revenue: "4000", Refunded: "1500"},
		{Hour: hour2, Currency: "JPY", OrdersCreated: 1, Revenue: "0", Refunded: "0"},
	}, e.stats())

	// The stored row keeps the event's columns and its data.
	var typ, orderID, customerID, currency string
	var amount int64
	var occurred time.Time
	var data map[string]any
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT type, order_id, customer_id, amount, currency, occurred_at, data
		FROM events WHERE event_id = 'ev-15'`).Scan(&typ, &orderID, &customerID, &amount, &currency, &occurred, &data))
	assert.Equal(t, []any{events.TypePaymentRefunded, "o-2", "c-1", int64(1500), "EUR"}, []any{typ, orderID, customerID, amount, currency})
	assert.True(t, occurred.Equal(hour2.Add(5*time.Minute)))
	assert.Equal(t, "pay-o-2", data["paymentId"])

	// The same batch again: everything valid succeeds, nothing counts twice.
	again := e.bulk(contract.PathBulkOrders,
		ent("a", orderCreated(t, "ev-1", "o-1", "EUR", 2500, hour1.Add(5*time.Minute))),
		ent("b", paymentRefunded(t, "ev-15", "o-2", 1500, hour2.Add(5*time.Minute))),
		ent("c", ce(t, "ev-6", events.TypeOrderCreated, hour1, wrongTotal)))
	assert.Equal(t, map[string]string{"a": "SUCCESS", "b": "SUCCESS", "c": "DROP"}, again)
	assert.Equal(t, 9, e.count(`SELECT count(*) FROM events`))
	assert.Equal(t, int64(1), e.stats()[1].PaymentsRefunded)
}

func TestBulkDatabaseFailure(t *testing.T) {
	e := newEnv(t)
	batch := []entry{
		ent("1", orderCreated(t, "ev-1", "o-1", "EUR", 2500, hour1)),
		ent("2", ce(t, "ev-2", events.TypeOrderCreated, hour1, map[string]any{"orderId": "o-2"})), // invalid
		ent("3", paymentCompleted(t, "ev-3", "o-1", "EUR", 2500, hour1)),
		ent("4", json.RawMessage(`{"id":"ev-4"}`)), // not a CloudEvent
	}
	want := map[string]string{"1": "RETRY", "2": "DROP", "3": "RETRY", "4": "DROP"}

	t.Run("aggregates table missing", func(t *testing.T) {
		// The events insert succeeds and the aggregate update fails: the transaction keeps neither.
		e.exec(`ALTER TABLE hourly_stats RENAME TO hourly_stats_away`)
		assert.Equal(t, want, e.bulk(contract.PathBulkOrders, batch...))
		assert.Zero(t, e.count(`SELECT count(*) FROM events`))
		e.exec(`ALTER TABLE hourly_stats_away RENAME TO hourly_stats`)

		// Dapr redelivers: now it is stored, once.
		assert.Equal(t, map[string]string{"1": "SUCCESS", "2": "DROP", "3": "SUCCESS", "4": "DROP"}, e.bulk(contract.PathBulkOrders, batch...))
		assert.Equal(t, []stats{{Hour: hour1, Currency: "EUR", OrdersCreated: 1, Revenue: "2500", Refunded: "0"}}, e.stats())
	})
	t.Run("database unreachable", func(t *testing.T) {
		e.pool.Close()
		assert.Equal(t, want, e.bulk(contract.PathBulkOrders, batch...))
		code, body := e.do(http.MethodGet, contract.RouteSummary, appToken, "", "")
		assert.Equal(t, http.StatusServiceUnavailable, code)
		assert.Contains(t, body, `"code":"unavailable"`)
	})
}

func TestBulkConcurrentDuplicatesCountOnce(t *testing.T) {
	e := newEnv(t)
	var batch []entry
	for i := range 50 {
		batch = append(batch, ent(fmt.Sprint(i), paymentCompleted(t, fmt.Sprintf("ev-%02d", i), "o", "EUR", 100, hour1)))
	}
	body, err := json.Marshal(map[string]any{"entries": batch})
	require.NoError(t, err)
	answers := make([]string, 4)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, contract.PathBulkPayments, strings.NewReader(string(body)))
			req.Header.Set("dapr-api-token", appToken)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.svc.Server.Echo.ServeHTTP(rec, req)
			answers[i] = rec.Body.String()
		})
	}
	wg.Wait()
	for _, answer := range answers {
		for _, status := range statuses(t, answer, len(batch)) {
			assert.Contains(t, []string{"SUCCESS", "RETRY"}, status) // RETRY only for a deadlock victim
		}
	}
	// Whatever was answered RETRY is redelivered; the totals are exact once everything succeeds.
	for _, status := range e.bulk(contract.PathBulkPayments, batch...) {
		require.Equal(t, "SUCCESS", status)
	}
	assert.Equal(t, 50, e.count(`SELECT count(*) FROM events`))
	assert.Equal(t, []stats{{Hour: hour1, Currency: "EUR", Revenue: "5000", Refunded: "0"}}, e.stats())
}

func TestBulkLargeDeliveryIsAccepted(t *testing.T) {
	e := newEnv(t)
	var batch []entry
	for i := range 100 {
		batch = append(batch, ent(fmt.Sprint(i), orderCreated(t, fmt.Sprintf("ev-%03d-%s", i, strings.Repeat("x", 600)), "o", "EUR", 100, hour1)))
	}
	body, err := json.Marshal(map[string]any{"entries": batch})
	require.NoError(t, err)
	require.Greater(t, len(body), 64<<10, "larger than the server's default body limit")
	for _, status := range e.bulk(contract.PathBulkOrders, batch...) {
		require.Equal(t, "SUCCESS", status)
	}
	assert.Equal(t, 100, e.count(`SELECT count(*) FROM events`))
}

func TestBulkRoutesRequireTheAppToken(t *testing.T) {
	e := newEnv(t)
	body, err := json.Marshal(map[string]any{"entries": []entry{ent("1", orderCreated(t, "ev-1", "o-1", "EUR", 1, hour1))}})
	require.NoError(t, err)
	code, _ := e.do(http.MethodPost, contract.PathBulkOrders, "wrong", "application/json", string(body))
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Zero(t, e.count(`SELECT count(*) FROM events`))
}

// summaryResponse mirrors the JSON of GET /analytics/summary.
type summaryResponse struct {
	From, To time.Time
	Totals   struct {
		OrdersCreated, OrdersPaid, OrdersCancelled, PaymentsFailed, PaymentsRefunded int64
		Revenue, Refunded                                                            map[string]json.Number
	}
	Hourly []struct {
		Hour                                                                         time.Time
		Currency                                                                     string
		OrdersCreated, OrdersPaid, OrdersCancelled, PaymentsFailed, PaymentsRefunded int64
		Revenue, Refunded                                                            json.Number
	}
}

func (e *env) summary(query string) summaryResponse {
	e.t.Helper()
	code, body := e.do(http.MethodGet, contract.RouteSummary+query, appToken, "", "")
	require.Equal(e.t, http.StatusOK, code, body)
	var s summaryResponse
	require.NoError(e.t, json.Unmarshal([]byte(body), &s), body)
	return s
}

func TestSummary(t *testing.T) {
	e := newEnv(t)
	old := now.Add(-48 * time.Hour)
	e.bulk(contract.PathBulkOrders,
		ent("1", orderCreated(t, "ev-1", "o-1", "EUR", 2500, hour1)),
		ent("2", orderCreated(t, "ev-2", "o-2", "EUR", 4000, hour1.Add(10*time.Minute))),
		ent("3", orderCreated(t, "ev-3", "o-3", "JPY", 1500, hour2)),
		ent("4", statusChanged(t, "ev-4", "o-1", "paid", hour2)),
		ent("5", statusChanged(t, "ev-5", "o-2", "cancelled", hour2)),
		ent("6", orderCreated(t, "ev-6", "o-old", "EUR", 999, old)))
	e.bulk(contract.PathBulkPayments,
		ent("1", paymentCompleted(t, "ev-p1", "o-1", "EUR", 2500, hour1.Add(20*time.Minute))),
		ent("2", paymentCompleted(t, "ev-p3", "o-3", "JPY", 1500, hour2)),
		ent("3", paymentFailed(t, "ev-p2", "o-2", hour2)),
		ent("4", paymentRefunded(t, "ev-r1", "o-1", 1000, hour2)),
		ent("5", paymentCompleted(t, "ev-pold", "o-old", "EUR", 999, old)))

	// Default period: the 24 hours before now (from rounded down to its hour).
	s := e.summary("")
	assert.Equal(t, now.Add(-24*time.Hour).Truncate(time.Hour), s.From)
	assert.Equal(t, now, s.To)
	assert.Equal(t, []int64{3, 1, 1, 1, 1}, []int64{s.Totals.OrdersCreated, s.Totals.OrdersPaid, s.Totals.OrdersCancelled,
		s.Totals.PaymentsFailed, s.Totals.PaymentsRefunded})
	assert.Equal(t, map[string]json.Number{"EUR": "2500", "JPY": "1500"}, s.Totals.Revenue)
	assert.Equal(t, map[string]json.Number{"EUR": "1000", "JPY": "0"}, s.Totals.Refunded)
	require.Len(t, s.Hourly, 3)
	assert.Equal(t, hour1, s.Hourly[0].Hour)
	assert.Equal(t, "EUR", s.Hourly[0].Currency)
	assert.Equal(t, int64(2), s.Hourly[0].OrdersCreated)
	assert.Equal(t, json.Number("2500"), s.Hourly[0].Revenue)
	assert.Equal(t, []any{hour2, "EUR", int64(0), int64(1), int64(1), int64(1), int64(1), json.Number("0"), json.Number("1000")},
		[]any{s.Hourly[1].Hour, s.Hourly[1].Currency, s.Hourly[1].OrdersCreated, s.Hourly[1].OrdersPaid, s.Hourly[1].OrdersCancelled,
			s.Hourly[1].PaymentsFailed, s.Hourly[1].PaymentsRefunded, s.Hourly[1].Revenue, s.Hourly[1].Refunded})
	assert.Equal(t, []any{hour2, "JPY", int64(1), json.Number("1500")},
		[]any{s.Hourly[2].Hour, s.Hourly[2].Currency, s.Hourly[2].OrdersCreated, s.Hourly[2].Revenue})

	// An explicit period: the hours that start in [from, to).
	s = e.summary("?" + url.Values{"from": {hour2.Add(30 * time.Minute).Format(time.RFC3339)}, "to": {now.Format(time.RFC3339)}}.Encode())
	assert.Equal(t, hour2, s.From, "from is rounded down to its hour")
	assert.Equal(t, int64(1), s.Totals.OrdersCreated)
	assert.Len(t, s.Hourly, 2)

	s = e.summary("?" + url.Values{"from": {old.Add(-time.Hour).Format(time.RFC3339)}, "to": {hour2.Format(time.RFC3339)}}.Encode())
	assert.Equal(t, int64(3), s.Totals.OrdersCreated, "the old order and the two of hour1; hour2 is excluded")
	assert.Equal(t, map[string]json.Number{"EUR": "3499"}, s.Totals.Revenue)

	s = e.summary("?" + url.Values{"from": {"2020-01-01T00:00:00+02:00"}, "to": {"2020-01-01T05:00:00Z"}}.Encode())
	assert.Equal(t, time.Date(2019, 12, 31, 22, 0, 0, 0, time.UTC), s.From)
	assert.Empty(t, s.Hourly)
	assert.Empty(t, s.Totals.Revenue)
	code, body := e.do(http.MethodGet, contract.RouteSummary+"?to=2020-01-01T05:00:00Z", appToken, "", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"hourly":[]`)
	assert.Contains(t, body, `"revenue":{}`)
}

func TestSummaryBadRequests(t *testing.T) {
	e := newEnv(t)
	for _, query := range []string{
		"?from=yesterday",
		"?to=2025-03-02",
		"?from=2025-03-02T10:00:00",
		"?from=2025-03-02T10:00:00Z&to=2025-03-01T10:00:00Z",
		"?from=2025-01-01T00:00:00Z&to=2025-03-01T00:00:00Z",
	} {
		t.Run(query, func(t *testing.T) {
			code, body := e.do(http.MethodGet, contract.RouteSummary+query, appToken, "", "")
			assert.Equal(t, http.StatusBadRequest, code, body)
			var resp struct {
				Error struct {
					Code    string
					Details map[string]string
				}
			}
			require.NoError(t, json.Unmarshal([]byte(body), &resp), body)
			assert.Equal(t, "validation_failed", resp.Error.Code)
			assert.NotEmpty(t, resp.Error.Details)
		})
	}
	code, _ := e.do(http.MethodGet, contract.RouteSummary, "", "", "")
	assert.Equal(t, http.StatusUnauthorized, code, "the API is reached through the sidecar, with the app token")
}

func TestDeadLetterReplay(t *testing.T) {
	e := newEnv(t)
	bad := ce(t, "ev-1", events.TypePaymentCompleted, hour1, map[string]any{"orderId": "o-1"})
	require.Equal(t, map[string]string{"1": "DROP"}, e.bulk(contract.PathBulkPayments, ent("1", bad)))
	// Dapr publishes the dropped entry to payments.analytics.dlq, delivered back as one event.
	code, body := e.do(http.MethodPost, contract.PathPaymentsDeadLetters, appToken, events.ContentTypeCloudEvents, string(bad))
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"SUCCESS"}`, body)

	code, body = e.do(http.MethodGet, "/admin/deadletters", appToken, "", "")
	require.Equal(t, http.StatusOK, code, body)
	var list struct {
		DeadLetters []struct{ ID, EventID, Topic string }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.DeadLetters, 1)
	assert.Equal(t, "payments.analytics.dlq", list.DeadLetters[0].Topic)
	replay := "/admin/deadletters/" + list.DeadLetters[0].ID + "/replay"

	code, _ = e.do(http.MethodPost, replay, appToken, "", "")
	assert.Equal(t, http.StatusUnprocessableEntity, code, "still invalid")
	assert.Zero(t, e.count(`SELECT count(*) FROM events`))

	fixed, err := json.Marshal(map[string]any{"data": events.PaymentCompleted{SchemaVersion: 1, PaymentID: "pay-1", OrderID: "o-1",
		CustomerID: "c-1", Amount: 2500, Currency: "EUR", Version: 1, CompletedAt: hour1}})
	require.NoError(t, err)
	for range 2 {
		code, body = e.do(http.MethodPost, replay, appToken, "application/json", string(fixed))
		require.Equal(t, http.StatusOK, code, body)
	}
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM events WHERE event_id = 'ev-1'`))
	assert.Equal(t, []stats{{Hour: hour1, Currency: "EUR", Revenue: "2500", Refunded: "0"}}, e.stats(), "replayed twice, counted once")

	code, _ = e.do(http.MethodGet, "/admin/deadletters", "", "", "")
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestReadiness(t *testing.T) {
	e := newEnv(t)
	code, body := e.do(http.MethodGet, "/readyz", "", "", "")
	assert.Equal(t, http.StatusOK, code, body)
	e.pool.Close()
	code, _ = e.do(http.MethodGet, "/readyz", "", "", "")
	assert.Equal(t, http.StatusServiceUnavailable, code)
}
