package pubsub_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

func TestRequireAppToken(t *testing.T) {
	tests := []struct {
		name, configured, sent string
		want                   int
	}{
		{"right token", testToken, testToken, http.StatusOK},
		{"missing token", testToken, "", http.StatusUnauthorized},
		{"wrong token", testToken, "wrong-token-value", http.StatusUnauthorized},
		{"no token configured", "", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pubsub.NewRouter(consumerName, tt.configured, slog.New(slog.DiscardHandler))
			srv := httpserver.New(httpserver.Options{Service: "test", Logger: slog.New(slog.DiscardHandler)})
			called := false
			srv.Echo.Group("/admin", r.RequireAppToken).GET("/things", func(c echo.Context) error {
				called = true
				return c.NoContent(http.StatusOK)
			})
			req := httptest.NewRequest(http.MethodGet, "/admin/things", nil)
			if tt.sent != "" {
				req.Header.Set(pubsub.HeaderAPIToken, tt.sent)
			}
			rec := httptest.NewRecorder()
			srv.Echo.ServeHTTP(rec, req)

			assert.Equal(t, tt.want, rec.Code)
			assert.Equal(t, tt.want == http.StatusOK, called)
			if tt.want != http.StatusOK {
				var resp httpserver.ErrorResponse
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
				assert.Equal(t, "unauthorized", resp.Error.Code)
			}
		})
	}
}
