package service_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/services/payment/contract"
	httpport "github.com/orderflow/orderflow/services/payment/internal/ports/http"
)

func TestGetPayments(t *testing.T) {
	h := newHarness(t)
	// Two orders of one customer (one paid, one declined) and one of another customer.
	first, second, other := newOrderID(), newOrderID(), newOrderID()
	customer := "cust-" + first[:8]
	createdFirst := orderCreated(first, "", 1200)
	createdSecond := cloudEvent(events.TypeOrderCreated, second, withCustomer(orderCreatedData(second, "tok_decline", 800, 1), customer))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, createdFirst))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, createdSecond))
	require.Equal(t, pubsub.StatusSuccess, h.deliver(contract.PathOrderCreated, orderCreated(other, "", 500)))

	t.Run("by order", func(t *testing.T) {
		list := h.list(t, url.Values{"orderId": {first}})
		require.Len(t, list.Payments, 1)
		p := list.Payments[0]
		assert.Equal(t, first, p.OrderID)
		assert.Equal(t, customer, p.CustomerID)
		assert.Equal(t, int64(1200), p.Amount)
		assert.Equal(t, "EUR", p.Currency)
		assert.Equal(t, "completed", p.Status)
		assert.Equal(t, int64(1), p.Version)
		assert.NotEmpty(t, p.ProviderRef)
		assert.Empty(t, p.Reason)
		assert.Equal(t, time.UTC, p.CreatedAt.Location())
	})
	t.Run("by customer, newest first", func(t *testing.T) {
		list := h.list(t, url.Values{"customerId": {customer}})
		require.Len(t, list.Payments, 2)
		assert.Equal(t, second, list.Payments[0].OrderID)
		assert.Equal(t, "failed", list.Payments[0].Status)
		assert.Equal(t, "card declined", list.Payments[0].Reason)
		assert.Equal(t, first, list.Payments[1].OrderID)

		limited := h.list(t, url.Values{"customerId": {customer}, "limit": {"1"}})
		require.Len(t, limited.Payments, 1)
		assert.Equal(t, second, limited.Payments[0].OrderID)
	})
	t.Run("none", func(t *testing.T) {
		rec := h.invoke(http.MethodGet, "/payments?orderId="+newOrderID(), nil, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.JSONEq(t, `{"payments":[]}`, rec.Body.String())
	})
	t.Run("by id", func(t *testing.T) {
		id := h.list(t, url.Values{"orderId": {first}}).Payments[0].ID
		rec := h.invoke(http.MethodGet, "/payments/"+id, nil, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var got httpport.GetResponse
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		assert.Equal(t, id, got.Payment.ID)
		assert.Equal(t, first, got.Payment.OrderID)
		assert.Equal(t, "completed", got.Payment.Status)
	})
	t.Run("JSON shape", func(t *testing.T) {
		rec := h.invoke(http.MethodGet, "/payments?orderId="+second, nil, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		var raw struct {
			Payments []map[string]any `json:"payments"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &raw))
		require.Len(t, raw.Payments, 1)
		keys := make([]string, 0)
		for k := range raw.Payments[0] {
			keys = append(keys, k)
		}
		assert.ElementsMatch(t, []string{"id", "orderId", "customerId", "amount", "currency", "status", "reason",
			"version", "createdAt", "updatedAt"}, keys, "a failed payment has no providerRef")
	})
}

func withCustomer(d events.OrderCreated, customer string) events.OrderCreated {
	d.CustomerID = customer
	return d
}

func (h *harness) get(t *testing.T, id string) httpport.Payment {
	t.Helper()
	rec := h.invoke(http.MethodGet, "/payments/"+id, nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got httpport.GetResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	return got.Payment
}

func (h *harness) list(t *testing.T, q url.Values) httpport.ListResponse {
	t.Helper()
	rec := h.invoke(http.MethodGet, "/payments?"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var list httpport.ListResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	return list
}

func TestGetPaymentsBadRequests(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name  string
		query string
		field string
	}{
		{"neither orderId nor customerId", "", "orderId"},
		{"empty orderId", "?orderId=", "orderId"},
		{"both", "?orderId=a&customerId=b", "customerId"},
		{"limit zero", "?orderId=a&limit=0", "limit"},
		{"limit too large", "?customerId=a&limit=1001", "limit"},
		{"limit not a number", "?customerId=a&limit=ten", "limit"},
		{"order id too long", "?orderId=" + longID(), "orderId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := h.invoke(http.MethodGet, "/payments"+tt.query, nil, nil)
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			var resp struct {
				Error struct {
					Code    string            `json:"code"`
					Message string            `json:"message"`
					Details map[string]string `json:"details"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
			assert.Equal(t, httpserver.CodeValidationFailed, resp.Error.Code)
			assert.Contains(t, resp.Error.Details, tt.field)
		})
	}
}

func longID() string { return strings.Repeat("x", 201) }

func TestGetPaymentNotFound(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		rec := h.invoke(http.MethodGet, "/payments/"+id, nil, nil)
		require.Equal(t, http.StatusNotFound, rec.Code, id)
		assert.JSONEq(t, `{"error":{"code":"not_found","message":"payment not found"}}`, rec.Body.String())
	}
}

func TestHealthAndReadiness(t *testing.T) {
	h := newHarness(t)
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/healthz", nil, nil).Code)
	rec := h.do(http.MethodGet, "/readyz", nil, nil)
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"database":"ok"`)
}

func TestAPIRequiresTheAppToken(t *testing.T) {
	h := newHarness(t)
	for _, target := range []string{"/payments?orderId=x", "/payments/" + uuid.NewString(), "/admin/deadletters"} {
		for _, token := range []string{"", "wrong"} {
			rec := h.do(http.MethodGet, target, nil, http.Header{pubsub.HeaderAPIToken: {token}})
			assert.Equal(t, http.StatusUnauthorized, rec.Code, "%s with token %q", target, token)
			assert.Contains(t, rec.Body.String(), `"code":"unauthorized"`)
		}
		assert.NotEqual(t, http.StatusUnauthorized, h.invoke(http.MethodGet, target, nil, nil).Code, "%s with the token", target)
	}
	rec := h.do(http.MethodPost, "/admin/deadletters/"+uuid.NewString()+"/replay", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	for _, target := range []string{"/healthz", "/readyz", "/metrics"} {
		assert.Equal(t, http.StatusOK, h.do(http.MethodGet, target, nil, nil).Code, target)
	}
}
