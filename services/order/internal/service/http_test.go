package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/services/order/contract"
	httpport "github.com/orderflow/orderflow/services/order/internal/ports/http"
)

func TestCreateOrder(t *testing.T) {
	h := newHarness(t)
	before := time.Now().UTC().Add(-time.Second)

	rec := h.do(http.MethodPost, "/orders", []byte(validBody), jsonHeader("X-Request-Id", "req-123"))

	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	o := decode[httpport.OrderJSON](t, rec)
	_, err := uuid.Parse(o.OrderID)
	require.NoError(t, err)
	assert.Equal(t, "/orders/"+o.OrderID, rec.Header().Get("Location"))
	assert.Empty(t, rec.Header().Get(contract.HeaderIdempotentReplayed))
	assert.Equal(t, "pending", o.Status)
	assert.Equal(t, "c-1", o.CustomerID)
	assert.Equal(t, "EUR", o.Currency)
	assert.Equal(t, []httpport.ItemJSON{{ProductID: "p-1", Quantity: 2, UnitPrice: 1250}, {ProductID: "p-2", Quantity: 1, UnitPrice: 99}}, o.Items)
	assert.Equal(t, int64(2599), o.TotalAmount)
	assert.Equal(t, int64(1), o.Version)
	assert.WithinRange(t, o.CreatedAt, before, time.Now().UTC().Add(time.Second))
	assert.Equal(t, o.CreatedAt, o.UpdatedAt)
	assert.Equal(t, time.UTC, o.CreatedAt.Location())
	assert.NotContains(t, rec.Body.String(), "tok_visa", "the payment token is not echoed")

	assert.Equal(t, 1, h.count(`SELECT count(*) FROM orders`))
	assert.Equal(t, 2, h.count(`SELECT count(*) FROM order_items WHERE order_id = $1`, o.OrderID))
	assert.Equal(t, 0, h.count(`SELECT count(*) FROM idempotency_keys`))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM outbox`))

	rows := h.outbox(o.OrderID)
	require.Len(t, rows, 1)
	assert.Equal(t, events.TypeOrderCreated, rows[0].Type)
	assert.Equal(t, events.TopicOrders, rows[0].Topic)
	assert.Equal(t, "req-123", rows[0].Headers["correlationid"])
	var created events.OrderCreated
	require.NoError(t, json.Unmarshal(rows[0].Payload, &created))
	require.NoError(t, created.Validate())
	assert.Equal(t, events.OrderCreated{
		SchemaVersion: 1, OrderID: o.OrderID, CustomerID: "c-1",
		Items:       []events.OrderItem{{ProductID: "p-1", Quantity: 2, UnitPrice: 1250}, {ProductID: "p-2", Quantity: 1, UnitPrice: 99}},
		TotalAmount: 2599, Currency: "EUR", PaymentToken: "tok_visa", Version: 1, CreatedAt: o.CreatedAt,
	}, created)

	// What was answered is what is stored.
	got := h.do(http.MethodGet, "/orders/"+o.OrderID, nil, nil)
	require.Equal(t, http.StatusOK, got.Code)
	assert.JSONEq(t, rec.Body.String(), got.Body.String())
}

func TestCreateOrderWithoutPaymentToken(t *testing.T) {
	h := newHarness(t)
	o := h.create(`{"customerId":"c-9","currency":"USD","items":[{"productId":"p","quantity":1000,"unitPrice":0}]}`, jsonHeader())
	assert.Equal(t, int64(0), o.TotalAmount)
	var created events.OrderCreated
	require.NoError(t, json.Unmarshal(h.outbox(o.OrderID)[0].Payload, &created))
	assert.Empty(t, created.PaymentToken)
}

func TestCreateOrderIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	withKey := jsonHeader(contract.HeaderIdempotencyKey, "key-1")

	first := h.do(http.MethodPost, "/orders", []byte(validBody), withKey)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	assert.Empty(t, first.Header().Get(contract.HeaderIdempotentReplayed))
	id := decode[httpport.OrderJSON](t, first).OrderID

	// The same request again, even formatted differently: the stored response, no new order.
	var v any
	require.NoError(t, json.Unmarshal([]byte(validBody), &v))
	reformatted, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	second := h.do(http.MethodPost, "/orders", reformatted, withKey)
	require.Equal(t, http.StatusCreated, second.Code, second.Body.String())
	assert.Equal(t, "true", second.Header().Get(contract.HeaderIdempotentReplayed))
	assert.Equal(t, "/orders/"+id, second.Header().Get("Location"))
	assert.JSONEq(t, first.Body.String(), second.Body.String())

	// The stored response is the original one even after the order changed.
	require.Equal(t, http.StatusOK, h.putStatus(id, `{"status":"cancelled"}`).Code)
	third := h.do(http.MethodPost, "/orders", []byte(validBody), withKey)
	require.Equal(t, http.StatusCreated, third.Code)
	assert.JSONEq(t, first.Body.String(), third.Body.String())

	// The same key with another request: 422 and nothing stored.
	other := h.do(http.MethodPost, "/orders", []byte(strings.Replace(validBody, `"quantity":2`, `"quantity":3`, 1)), withKey)
	require.Equal(t, http.StatusUnprocessableEntity, other.Code, other.Body.String())
	assert.Equal(t, "idempotency_key_reused", errorOf(t, other).Error.Code)

	assert.Equal(t, 1, h.count(`SELECT count(*) FROM orders`))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM idempotency_keys`))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM outbox WHERE type = 'order.created'`))

	// Keys are scoped to the API client: another client's key-1 is another request.
	otherClient := h.do(http.MethodPost, "/orders", []byte(validBody),
		jsonHeader(contract.HeaderIdempotencyKey, "key-1", contract.HeaderClientID, "client-b"))
	require.Equal(t, http.StatusCreated, otherClient.Code)
	assert.Empty(t, otherClient.Header().Get(contract.HeaderIdempotentReplayed))
	assert.NotEqual(t, id, decode[httpport.OrderJSON](t, otherClient).OrderID)
	assert.Equal(t, 2, h.count(`SELECT count(*) FROM orders`))
	assert.Equal(t, 2, h.count(`SELECT count(*) FROM idempotency_keys`))
}

func TestCreateOrderConcurrentSameKey(t *testing.T) {
	h := newHarness(t)
	const n = 10
	var wg sync.WaitGroup
	type result struct {
		code     int
		orderID  string
		replayed string
	}
	results := make([]result, n)
	for i := range n {
		wg.Go(func() {
			rec := h.do(http.MethodPost, "/orders", []byte(validBody), jsonHeader(contract.HeaderIdempotencyKey, "same-key"))
			var o httpport.OrderJSON
			_ = json.Unmarshal(rec.Body.Bytes(), &o)
			results[i] = result{rec.Code, o.OrderID, rec.Header().Get(contract.HeaderIdempotentReplayed)}
		})
	}
	wg.Wait()

	replayed := 0
	for _, r := range results {
		require.Equal(t, http.StatusCreated, r.code)
		assert.Equal(t, results[0].orderID, r.orderID, "every request answers the one order")
		if r.replayed == "true" {
			replayed++
		}
	}
	assert.Equal(t, n-1, replayed)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM orders`))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM outbox`))
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM idempotency_keys`))
}

func TestCreateOrderBadInput(t *testing.T) {
	h := newHarness(t)
	items := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = `{"productId":"p","quantity":1,"unitPrice":1}`
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	body := func(items string) string {
		return `{"customerId":"c-1","currency":"EUR","items":` + items + `}`
	}
	tests := []struct {
		name        string
		body        string
		header      http.Header
		wantStatus  int
		wantCode    string
		wantDetail  string // a key of details
		withoutKey  bool
		contentType string
	}{
		{name: "malformed JSON", body: `{"customerId":"c-1",`, wantStatus: 400, wantCode: "invalid_json"},
		{name: "not an object", body: `[1,2]`, wantStatus: 400, wantCode: "invalid_json"},
		{name: "two JSON values", body: validBody + validBody, wantStatus: 400, wantCode: "invalid_json"},
		{name: "empty body", body: ``, wantStatus: 400, wantCode: "invalid_json"},
		{name: "unknown field", body: `{"customerId":"c-1","currency":"EUR","items":[],"discount":5}`, wantStatus: 400, wantCode: "unknown_field", wantDetail: "field"},
		{name: "unknown item field", body: body(`[{"productId":"p","quantity":1,"unitPrice":1,"color":"red"}]`), wantStatus: 400, wantCode: "unknown_field"},
		{name: "wrong content type", body: validBody, contentType: "text/plain", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "empty items", body: body(`[]`), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items"},
		{name: "null items", body: body(`null`), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items"},
		{name: "missing items", body: `{"customerId":"c-1","currency":"EUR"}`, wantStatus: 400, wantCode: "validation_failed", wantDetail: "items"},
		{name: "101 items", body: body(items(101)), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items"},
		{name: "negative quantity", body: body(`[{"productId":"p","quantity":-1,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items[0].quantity"},
		{name: "zero quantity", body: body(`[{"productId":"p","quantity":0,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items[0].quantity"},
		{name: "quantity over 1000", body: body(`[{"productId":"p","quantity":1001,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items[0].quantity"},
		{name: "negative price", body: body(`[{"productId":"p","quantity":1,"unitPrice":-1}]`), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items[0].unitPrice"},
		{name: "fractional price", body: body(`[{"productId":"p","quantity":1,"unitPrice":12.5}]`), wantStatus: 400, wantCode: "validation_failed"},
		{name: "price as string", body: body(`[{"productId":"p","quantity":1,"unitPrice":"12"}]`), wantStatus: 400, wantCode: "validation_failed"},
		{name: "missing product", body: body(`[{"quantity":1,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items[0].productId"},
		{name: "total overflows", body: body(`[{"productId":"p","quantity":2,"unitPrice":9223372036854775807}]`), wantStatus: 400, wantCode: "validation_failed", wantDetail: "items"},
		{name: "bad currency", body: `{"customerId":"c-1","currency":"euro","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`, wantStatus: 400, wantCode: "validation_failed", wantDetail: "currency"},
		{name: "lower-case currency", body: `{"customerId":"c-1","currency":"eur","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`, wantStatus: 400, wantCode: "validation_failed", wantDetail: "currency"},
		{name: "missing customer", body: `{"currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`, wantStatus: 400, wantCode: "validation_failed", wantDetail: "customerId"},
		{name: "customer too long", body: `{"customerId":"` + strings.Repeat("c", 101) + `","currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`, wantStatus: 400, wantCode: "validation_failed", wantDetail: "customerId"},
		{name: "payment token too long", body: `{"customerId":"c","currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1}],"paymentToken":"` + strings.Repeat("t", 201) + `"}`, wantStatus: 400, wantCode: "validation_failed", wantDetail: "paymentToken"},
		{name: "body too large", body: body(`[{"productId":"` + strings.Repeat("p", 70_000) + `","quantity":1,"unitPrice":1}]`), wantStatus: 413, wantCode: "payload_too_large"},
		{name: "idempotency key too long", body: validBody, header: http.Header{contract.HeaderIdempotencyKey: {strings.Repeat("k", 201)}}, wantStatus: 400, wantCode: "validation_failed", wantDetail: contract.HeaderIdempotencyKey},
		{name: "idempotency key without client", body: validBody, header: http.Header{contract.HeaderClientID: {""}}, wantStatus: 400, wantCode: "validation_failed", wantDetail: contract.HeaderClientID},
		{name: "missing app token", body: validBody, header: http.Header{pubsub.HeaderAPIToken: {"wrong"}}, wantStatus: 401, wantCode: "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every request carries an idempotency key, so that no key may be stored either.
			header := jsonHeader(contract.HeaderIdempotencyKey, "bad-"+tt.name)
			if tt.contentType != "" {
				header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.header {
				header[k] = v
			}
			rec := h.do(http.MethodPost, "/orders", []byte(tt.body), header)

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json", strings.Split(rec.Header().Get("Content-Type"), ";")[0])
			e := errorOf(t, rec)
			assert.Equal(t, tt.wantCode, e.Error.Code, rec.Body.String())
			assert.NotEmpty(t, e.Error.Message)
			if tt.wantDetail != "" {
				assert.Contains(t, e.Error.Details, tt.wantDetail, rec.Body.String())
			}
			for _, table := range []string{"orders", "order_items", "outbox", "idempotency_keys"} {
				assert.Zero(t, h.count(`SELECT count(*) FROM `+table), "rows in %s", table)
			}
		})
	}
}

func TestGetOrder(t *testing.T) {
	h := newHarness(t)
	created := h.create(validBody, jsonHeader())
	assert.Equal(t, created, h.get(created.OrderID))

	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		rec := h.do(http.MethodGet, "/orders/"+id, nil, nil)
		require.Equal(t, http.StatusNotFound, rec.Code, id)
		assert.Equal(t, "not_found", errorOf(t, rec).Error.Code)
	}

	rec := h.do(http.MethodGet, "/orders/"+created.OrderID, nil, http.Header{pubsub.HeaderAPIToken: {""}})
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestListOrders(t *testing.T) {
	h := newHarness(t)
	var mine []string
	for range 3 {
		mine = append(mine, h.createFor("c-1").OrderID)
	}
	h.createFor("c-2")

	rec := h.do(http.MethodGet, "/orders?customerId=c-1", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	list := decode[httpport.OrderListJSON](t, rec)
	require.Len(t, list.Orders, 3)
	assert.Equal(t, []string{mine[2], mine[1], mine[0]}, []string{list.Orders[0].OrderID, list.Orders[1].OrderID, list.Orders[2].OrderID}, "newest first")
	assert.Equal(t, h.get(mine[2]), list.Orders[0])

	rec = h.do(http.MethodGet, "/orders?customerId=c-1&limit=2", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Len(t, decode[httpport.OrderListJSON](t, rec).Orders, 2)

	rec = h.do(http.MethodGet, "/orders?customerId=nobody", nil, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"orders":[]}`, rec.Body.String())

	for _, q := range []string{"", "?limit=5", "?customerId=", "?customerId=c-1&limit=0", "?customerId=c-1&limit=101", "?customerId=c-1&limit=x"} {
		rec := h.do(http.MethodGet, "/orders"+q, nil, nil)
		require.Equal(t, http.StatusBadRequest, rec.Code, q)
		assert.Equal(t, "validation_failed", errorOf(t, rec).Error.Code, q)
	}
}

// orderIn creates an order and brings it to status through the API and payment events.
func (h *harness) orderIn(status string) httpport.OrderJSON {
	h.t.Helper()
	o := h.createFor("c-1")
	switch status {
	case "pending":
	case "paid":
		h.pay(o)
	case "cancelled":
		require.Equal(h.t, http.StatusOK, h.putStatus(o.OrderID, `{"status":"cancelled","reason":"setup"}`).Code)
	case "shipped":
		h.pay(o)
		require.Equal(h.t, http.StatusOK, h.putStatus(o.OrderID, `{"status":"shipped"}`).Code)
	default:
		h.t.Fatalf("unknown status %s", status)
	}
	o = h.get(o.OrderID)
	require.Equal(h.t, status, o.Status)
	return o
}

func TestChangeStatus(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		from, to   string
		wantStatus int
		wantCode   string
	}{
		{"pending", "cancelled", 200, ""},
		{"paid", "cancelled", 200, ""},
		{"paid", "shipped", 200, ""},
		{"pending", "paid", 409, "invalid_transition"},
		{"pending", "shipped", 409, "invalid_transition"},
		{"pending", "pending", 409, "invalid_transition"},
		{"pending", "refunded", 409, "invalid_transition"},
		{"paid", "paid", 409, "invalid_transition"},
		{"paid", "pending", 409, "invalid_transition"},
		{"cancelled", "cancelled", 409, "invalid_transition"},
		{"cancelled", "shipped", 409, "invalid_transition"},
		{"cancelled", "paid", 409, "invalid_transition"},
		{"shipped", "shipped", 409, "invalid_transition"},
		{"shipped", "cancelled", 409, "invalid_transition"},
	}
	for _, tt := range tests {
		t.Run(tt.from+"→"+tt.to, func(t *testing.T) {
			o := h.orderIn(tt.from)
			changesBefore := h.statusChanges(o.OrderID)

			rec := h.putStatus(o.OrderID, fmt.Sprintf(`{"status":%q,"reason":"customer request"}`, tt.to))

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			after := h.get(o.OrderID)
			changes := h.statusChanges(o.OrderID)
			if tt.wantStatus != http.StatusOK {
				e := errorOf(t, rec)
				assert.Equal(t, tt.wantCode, e.Error.Code)
				assert.Equal(t, map[string]any{"from": tt.from, "to": tt.to}, e.Error.Details)
				assert.Equal(t, o, after, "order unchanged")
				assert.Len(t, changes, len(changesBefore), "no event")
				return
			}
			got := decode[httpport.OrderJSON](t, rec)
			assert.Equal(t, after, got)
			assert.Equal(t, tt.to, got.Status)
			assert.Equal(t, "customer request", got.StatusReason)
			assert.Equal(t, o.Version+1, got.Version)
			assert.True(t, got.UpdatedAt.After(o.UpdatedAt))
			assert.Equal(t, o.CreatedAt, got.CreatedAt)
			require.Len(t, changes, len(changesBefore)+1)
			last := changes[len(changes)-1]
			assert.Equal(t, events.OrderStatusChanged{
				SchemaVersion: 1, OrderID: o.OrderID, CustomerID: o.CustomerID, From: tt.from, To: tt.to,
				Reason: "customer request", TotalAmount: o.TotalAmount, Currency: o.Currency,
				Version: got.Version, ChangedAt: got.UpdatedAt,
			}, last)
		})
	}
}

func TestChangeStatusBadRequests(t *testing.T) {
	h := newHarness(t)
	o := h.createFor("c-1")
	tests := []struct {
		name       string
		id         string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"unknown order", uuid.NewString(), `{"status":"cancelled"}`, 404, "not_found"},
		{"unknown order asking for paid", uuid.NewString(), `{"status":"paid"}`, 404, "not_found"},
		{"missing status", o.OrderID, `{"reason":"x"}`, 400, "validation_failed"},
		{"unknown field", o.OrderID, `{"status":"cancelled","by":"me"}`, 400, "unknown_field"},
		{"malformed", o.OrderID, `{"status":`, 400, "invalid_json"},
		{"reason too long", o.OrderID, `{"status":"cancelled","reason":"` + strings.Repeat("r", 501) + `"}`, 400, "validation_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.putStatus(tt.id, tt.body)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			assert.Equal(t, tt.wantCode, errorOf(t, rec).Error.Code)
		})
	}
	assert.Equal(t, o, h.get(o.OrderID))
	assert.Empty(t, h.statusChanges(o.OrderID))
}

func TestChangeStatusConcurrent(t *testing.T) {
	h := newHarness(t)
	o := h.orderIn("paid")
	const n = 10
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		target := "cancelled"
		if i%2 == 1 {
			target = "shipped"
		}
		wg.Go(func() {
			codes[i] = h.putStatus(o.OrderID, `{"status":"`+target+`"}`).Code
		})
	}
	wg.Wait()

	ok := 0
	for _, code := range codes {
		if code == http.StatusOK {
			ok++
		} else {
			assert.Equal(t, http.StatusConflict, code)
		}
	}
	assert.Equal(t, 1, ok, "exactly one change wins: %v", codes)
	final := h.get(o.OrderID)
	assert.Equal(t, o.Version+1, final.Version)
	changes := h.statusChanges(o.OrderID)
	require.Len(t, changes, 2) // pending → paid, then the winner
	assert.Equal(t, "paid", changes[1].From)
	assert.Equal(t, final.Status, changes[1].To)
}

func TestDatabaseUnavailable(t *testing.T) {
	h, url := newHarnessURL(t)
	o := h.createFor("c-1")
	broken := pooltest.Open(t, url)
	broken.Close()
	down := newHarnessOn(t, h.db, broken)

	requests := []struct{ method, target, body string }{
		{http.MethodGet, "/orders/" + o.OrderID, ""},
		{http.MethodGet, "/orders?customerId=c-1", ""},
		{http.MethodPost, "/orders", validBody},
		{http.MethodPut, "/orders/" + o.OrderID + "/status", `{"status":"cancelled"}`},
	}
	for _, r := range requests {
		rec := down.do(r.method, r.target, []byte(r.body), jsonHeader(contract.HeaderIdempotencyKey, "k"))
		require.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s %s: %s", r.method, r.target, rec.Body.String())
		assert.Equal(t, "unavailable", errorOf(t, rec).Error.Code)
		assert.NotContains(t, rec.Body.String(), "pool")
	}

	assert.Equal(t, http.StatusOK, down.do(http.MethodGet, "/healthz", nil, nil).Code)
	ready := down.do(http.MethodGet, "/readyz", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, ready.Code, ready.Body.String())
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/readyz", nil, nil).Code)
	assert.Equal(t, 1, h.count(`SELECT count(*) FROM orders`))
}

func TestCreatedAtPrecisionSurvivesStorage(t *testing.T) {
	h := newHarness(t)
	o := h.createFor("c-1")
	var stored time.Time
	require.NoError(t, h.db.QueryRow(context.Background(), `SELECT created_at FROM orders WHERE id = $1`, o.OrderID).Scan(&stored))
	assert.True(t, stored.Equal(o.CreatedAt), "answered %s, stored %s", o.CreatedAt, stored)
}
