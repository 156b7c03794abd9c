package service_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// order returns a create-order body with items replaced by items (JSON).
func orderWithItems(items string) string {
	return `{"customerId":"c-1","currency":"EUR","items":` + items + `}`
}

func TestBadInputNeverReachesAService(t *testing.T) {
	g := newGateway(t, setup{rateLimit: 1000})
	for _, app := range []string{"order", "payment", "notification", "analytics"} {
		g.sidecar.handle(app, jsonHandler(http.StatusOK, `{}`))
	}
	manyItems := "[" + strings.TrimSuffix(strings.Repeat(`{"productId":"p","quantity":1,"unitPrice":1},`, 101), ",") + "]"
	huge := `{"customerId":"` + strings.Repeat("x", 100*1024) + `","currency":"EUR","items":[]}`

	tests := []struct {
		name        string
		method      string
		path        string
		key         string
		body        string
		contentType string
		header      map[string]string
		wantStatus  int
		wantCode    string
		wantField   string // a key of details
	}{
		{name: "missing key", method: http.MethodPost, path: "/orders", body: validOrder, wantStatus: 401, wantCode: "unauthorized"},
		{name: "wrong key", method: http.MethodPost, path: "/orders", key: "wrong", body: validOrder, wantStatus: 401, wantCode: "unauthorized"},
		{name: "malformed JSON", method: http.MethodPost, path: "/orders", key: devKey, body: `{"customerId":`, wantStatus: 400, wantCode: "invalid_json"},
		{name: "not an object", method: http.MethodPost, path: "/orders", key: devKey, body: `[1]`, wantStatus: 400, wantCode: "invalid_json"},
		{name: "two JSON values", method: http.MethodPost, path: "/orders", key: devKey, body: validOrder + validOrder, wantStatus: 400, wantCode: "invalid_json"},
		{name: "empty body", method: http.MethodPost, path: "/orders", key: devKey, body: ``, contentType: "application/json", wantStatus: 400, wantCode: "invalid_json"},
		{name: "no body, no content type", method: http.MethodPost, path: "/orders", key: devKey, wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "unknown field", method: http.MethodPost, path: "/orders", key: devKey, body: `{"customerId":"c-1","currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1}],"discount":5}`, wantStatus: 400, wantCode: "unknown_field", wantField: "field"},
		{name: "unknown item field", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":1,"unitPrice":1,"sku":"x"}]`), wantStatus: 400, wantCode: "unknown_field", wantField: "field"},
		{name: "wrong content type", method: http.MethodPost, path: "/orders", key: devKey, body: validOrder, contentType: "text/plain", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "form content type", method: http.MethodPost, path: "/orders", key: devKey, body: "customerId=c-1", contentType: "application/x-www-form-urlencoded", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "huge body", method: http.MethodPost, path: "/orders", key: devKey, body: huge, wantStatus: 413, wantCode: "payload_too_large"},
		{name: "empty items", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items"},
		{name: "null items", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`null`), wantStatus: 400, wantCode: "validation_failed", wantField: "items"},
		{name: "too many items", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(manyItems), wantStatus: 400, wantCode: "validation_failed", wantField: "items"},
		{name: "negative quantity", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":-1,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items[0].quantity"},
		{name: "zero quantity", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":0,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items[0].quantity"},
		{name: "quantity over 1000", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":1001,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items[0].quantity"},
		{name: "fractional quantity", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":1.5,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items.quantity"},
		{name: "negative price", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":1,"unitPrice":-1}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items[0].unitPrice"},
		{name: "float price", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":1,"unitPrice":12.5}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items.unitPrice"},
		{name: "price as string", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":1,"unitPrice":"1"}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items.unitPrice"},
		{name: "missing price", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"productId":"p","quantity":1}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items[0].unitPrice"},
		{name: "missing product", method: http.MethodPost, path: "/orders", key: devKey, body: orderWithItems(`[{"quantity":1,"unitPrice":1}]`), wantStatus: 400, wantCode: "validation_failed", wantField: "items[0].productId"},
		{name: "missing customer", method: http.MethodPost, path: "/orders", key: devKey, body: `{"currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`, wantStatus: 400, wantCode: "validation_failed", wantField: "customerId"},
		{name: "customer too long", method: http.MethodPost, path: "/orders", key: devKey, body: `{"customerId":"` + strings.Repeat("c", 101) + `","currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`, wantStatus: 400, wantCode: "validation_failed", wantField: "customerId"},
		{name: "lower-case currency", method: http.MethodPost, path: "/orders", key: devKey, body: `{"customerId":"c-1","currency":"eur","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`, wantStatus: 400, wantCode: "validation_failed", wantField: "currency"},
		{name: "four-letter currency", method: http.MethodPost, path: "/orders", key: devKey, body: `{"customerId":"c-1","currency":"EURO","items":[{"productId":"p","quantity":1,"unitPrice":1}]}`, wantStatus: 400, wantCode: "validation_failed", wantField: "currency"},
		{name: "payment token too long", method: http.MethodPost, path: "/orders", key: devKey, body: `{"customerId":"c-1","currency":"EUR","items":[{"productId":"p","quantity":1,"unitPrice":1}],"paymentToken":"` + strings.Repeat("t", 101) + `"}`, wantStatus: 400, wantCode: "validation_failed", wantField: "paymentToken"},
		{name: "idempotency key too long", method: http.MethodPost, path: "/orders", key: devKey, body: validOrder, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}, wantStatus: 400, wantCode: "validation_failed", wantField: "Idempotency-Key"},
		{name: "empty idempotency key", method: http.MethodPost, path: "/orders", key: devKey, body: validOrder, header: map[string]string{"Idempotency-Key": ""}, wantStatus: 400, wantCode: "validation_failed", wantField: "Idempotency-Key"},
		{name: "unknown status", method: http.MethodPut, path: "/orders/o-1/status", key: devKey, body: `{"status":"refunded"}`, wantStatus: 400, wantCode: "validation_failed", wantField: "status"},
		{name: "upper-case status", method: http.MethodPut, path: "/orders/o-1/status", key: devKey, body: `{"status":"CANCELLED"}`, wantStatus: 400, wantCode: "validation_failed", wantField: "status"},
		{name: "status as number", method: http.MethodPut, path: "/orders/o-1/status", key: devKey, body: `{"status":1}`, wantStatus: 400, wantCode: "validation_failed", wantField: "status"},
		{name: "status unknown field", method: http.MethodPut, path: "/orders/o-1/status", key: devKey, body: `{"status":"cancelled","force":true}`, wantStatus: 400, wantCode: "unknown_field", wantField: "field"},
		{name: "status wrong content type", method: http.MethodPut, path: "/orders/o-1/status", key: devKey, body: `{"status":"cancelled"}`, contentType: "text/plain", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "id with a dot-dot", method: http.MethodGet, path: "/orders/..", key: devKey, wantStatus: 400, wantCode: "validation_failed", wantField: "id"},
		{name: "id with an encoded slash", method: http.MethodGet, path: "/orders/a%2Fb", key: devKey, wantStatus: 400, wantCode: "validation_failed", wantField: "id"},
		{name: "id with a space", method: http.MethodGet, path: "/orders/a%20b/payments", key: devKey, wantStatus: 400, wantCode: "validation_failed", wantField: "id"},
		{name: "list orders without customer", method: http.MethodGet, path: "/orders", key: devKey, wantStatus: 400, wantCode: "validation_failed", wantField: "customerId"},
		{name: "list payments without customer", method: http.MethodGet, path: "/payments", key: devKey, wantStatus: 400, wantCode: "validation_failed", wantField: "customerId"},
		{name: "list notifications without customer", method: http.MethodGet, path: "/notifications?orderId=o-1", key: devKey, wantStatus: 400, wantCode: "validation_failed", wantField: "customerId"},
		{name: "dead letters limit zero", method: http.MethodGet, path: "/admin/deadletters?limit=0", key: adminKey, wantStatus: 400, wantCode: "validation_failed", wantField: "limit"},
		{name: "dead letters limit too big", method: http.MethodGet, path: "/admin/deadletters?limit=1001", key: adminKey, wantStatus: 400, wantCode: "validation_failed", wantField: "limit"},
		{name: "dead letters pending not a bool", method: http.MethodGet, path: "/admin/deadletters?pending=maybe", key: adminKey, wantStatus: 400, wantCode: "validation_failed", wantField: "pending"},
		{name: "unknown service", method: http.MethodGet, path: "/admin/deadletters/billing/dl-1", key: adminKey, wantStatus: 404, wantCode: "unknown_service"},
		{name: "replay of unknown service", method: http.MethodPost, path: "/admin/deadletters/billing/dl-1/replay", key: adminKey, wantStatus: 404, wantCode: "unknown_service"},
		{name: "replay with text body", method: http.MethodPost, path: "/admin/deadletters/order/dl-1/replay", key: adminKey, body: `data`, contentType: "text/plain", wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "replay with malformed body", method: http.MethodPost, path: "/admin/deadletters/order/dl-1/replay", key: adminKey, body: `{"data":`, wantStatus: 400, wantCode: "invalid_json"},
		{name: "replay with huge body", method: http.MethodPost, path: "/admin/deadletters/order/dl-1/replay", key: adminKey, body: huge, wantStatus: 413, wantCode: "payload_too_large"},
		{name: "unknown route", method: http.MethodGet, path: "/internal/orders", key: devKey, wantStatus: 404, wantCode: "not_found"},
		{name: "wrong method", method: http.MethodDelete, path: "/orders/o-1", key: devKey, wantStatus: 405, wantCode: "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := g.do(request{method: tt.method, path: tt.path, key: tt.key, body: tt.body, contentType: tt.contentType, header: tt.header})

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			got := errorOf(t, rec)
			assert.Equal(t, tt.wantCode, got.Code)
			if tt.wantField != "" {
				details, ok := got.Details.(map[string]any)
				require.True(t, ok, "details: %#v", got.Details)
				assert.Contains(t, details, tt.wantField)
			}
		})
	}
	assert.Empty(t, g.sidecar.recorded(), "no invalid request reached a service")
}

func TestValidationReportsEveryField(t *testing.T) {
	g := newGateway(t, setup{})
	body := `{"customerId":"","currency":"E","items":[{"productId":"","quantity":0,"unitPrice":-5},{"productId":"p","quantity":2000}]}`

	rec := g.do(request{method: http.MethodPost, path: "/orders", key: devKey, body: body})

	require.Equal(t, http.StatusBadRequest, rec.Code)
	got := errorOf(t, rec)
	assert.Equal(t, "validation_failed", got.Code)
	raw, err := json.Marshal(got.Details)
	require.NoError(t, err)
	var details map[string]string
	require.NoError(t, json.Unmarshal(raw, &details))
	for _, field := range []string{"customerId", "currency", "items[0].productId", "items[0].quantity", "items[0].unitPrice", "items[1].quantity", "items[1].unitPrice"} {
		assert.Contains(t, details, field, fmt.Sprint(details))
	}
	assert.Len(t, details, 7)
	assert.Empty(t, g.sidecar.recorded())
}
