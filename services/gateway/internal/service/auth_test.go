package service_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuth(t *testing.T) {
	g := newGateway(t, setup{})
	for _, app := range []string{"order", "payment", "notification", "analytics"} {
		g.sidecar.handle(app, jsonHandler(http.StatusOK, `{"ok":true,"deadLetters":[]}`))
	}

	tests := []struct {
		name       string
		method     string
		path       string
		key        string
		wantStatus int
		wantCode   string
		wantClient string
	}{
		{name: "no key", method: http.MethodGet, path: "/orders/o-1", wantStatus: http.StatusUnauthorized, wantCode: "unauthorized"},
		{name: "unknown key", method: http.MethodGet, path: "/orders/o-1", key: "not-a-key", wantStatus: http.StatusUnauthorized, wantCode: "unauthorized"},
		{name: "key with a client id as key", method: http.MethodGet, path: "/orders/o-1", key: devClient, wantStatus: http.StatusUnauthorized, wantCode: "unauthorized"},
		{name: "public key", method: http.MethodGet, path: "/orders/o-1", key: devKey, wantStatus: http.StatusOK, wantClient: devClient},
		{name: "other public key", method: http.MethodGet, path: "/orders/o-1", key: otherKey, wantStatus: http.StatusOK, wantClient: otherClient},
		{name: "admin key on a public route", method: http.MethodGet, path: "/analytics/summary", key: adminKey, wantStatus: http.StatusOK, wantClient: adminClient},
		{name: "admin route without key", method: http.MethodGet, path: "/admin/deadletters", wantStatus: http.StatusUnauthorized, wantCode: "unauthorized"},
		{name: "admin route with public key", method: http.MethodGet, path: "/admin/deadletters", key: devKey, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "admin replay with public key", method: http.MethodPost, path: "/admin/deadletters/order/dl-1/replay", key: devKey, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "admin route with admin key", method: http.MethodGet, path: "/admin/deadletters/order/dl-1", key: adminKey, wantStatus: http.StatusOK, wantClient: adminClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(g.sidecar.recorded())

			rec := g.do(request{method: tt.method, path: tt.path, key: tt.key})

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			calls := g.sidecar.recorded()[before:]
			if tt.wantCode != "" {
				assert.Equal(t, tt.wantCode, errorOf(t, rec).Code)
				assert.Empty(t, calls, "a refused request reaches no service")
				return
			}
			require.Len(t, calls, 1)
			assert.Equal(t, tt.wantClient, calls[0].Header.Get("X-Client-Id"))
			assert.Empty(t, calls[0].Header.Get("X-API-Key"), "the API key is not passed on")
			assert.Equal(t, daprToken, calls[0].Header.Get("dapr-api-token"))
		})
	}
	for _, key := range []string{devKey, otherKey, adminKey} {
		assert.NotContains(t, g.logs.String(), key, "API keys are never logged")
	}
}
