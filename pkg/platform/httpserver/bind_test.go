package httpserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
)

type createOrder struct {
	CustomerID string `json:"customerId"`
	Amount     int64  `json:"amount"`
}

func TestBindJSON(t *testing.T) {
	const limit = 1024
	large := `{"customerId":"` + strings.Repeat("x", limit) + `"}`

	tests := []struct {
		name        string
		contentType string
		body        string
		streamed    bool // no Content-Length, so only reading finds the body too large
		wantStatus  int
		wantCode    string
		wantDetails any
	}{
		{name: "ok", contentType: "application/json", body: `{"customerId":"c-1","amount":1250}`, wantStatus: http.StatusOK},
		{name: "ok with charset and trailing whitespace", contentType: "application/json; charset=utf-8", body: "{\"customerId\":\"c-1\",\"amount\":1250}\n", wantStatus: http.StatusOK},
		{name: "wrong content type", contentType: "text/plain", body: `{"customerId":"c-1"}`, wantStatus: http.StatusUnsupportedMediaType, wantCode: "unsupported_media_type"},
		{name: "missing content type", body: `{"customerId":"c-1"}`, wantStatus: http.StatusUnsupportedMediaType, wantCode: "unsupported_media_type"},
		{
			name: "unknown field", contentType: "application/json", body: `{"customerId":"c-1","discount":5}`,
			wantStatus: http.StatusBadRequest, wantCode: "unknown_field", wantDetails: map[string]any{"field": "discount"},
		},
		{name: "malformed", contentType: "application/json", body: `{"customerId":}`, wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "truncated", contentType: "application/json", body: `{"customerId":"c-1"`, wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "empty", contentType: "application/json", body: ``, wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "trailing object", contentType: "application/json", body: `{"customerId":"c-1"}{"customerId":"c-2"}`, wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "trailing garbage", contentType: "application/json", body: `{"customerId":"c-1"} x`, wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{name: "not an object", contentType: "application/json", body: `[1,2]`, wantStatus: http.StatusBadRequest, wantCode: "invalid_json"},
		{
			name: "wrong type", contentType: "application/json", body: `{"amount":"ten"}`,
			wantStatus: http.StatusBadRequest, wantCode: "validation_failed", wantDetails: map[string]any{"amount": "has the wrong type (got JSON string)"},
		},
		{name: "too large", contentType: "application/json", body: large, wantStatus: http.StatusRequestEntityTooLarge, wantCode: "payload_too_large"},
		{name: "too large streamed", contentType: "application/json", body: large, streamed: true, wantStatus: http.StatusRequestEntityTooLarge, wantCode: "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, httpserver.Options{BodyLimit: "1K"})
			s.Echo.POST("/orders", func(c echo.Context) error {
				var req createOrder
				if err := httpserver.BindJSON(c, &req); err != nil {
					return err
				}
				return c.JSON(http.StatusOK, req)
			})
			req := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(tt.body))
			if tt.streamed {
				req = httptest.NewRequest(http.MethodPost, "/orders", io.MultiReader(strings.NewReader(tt.body)))
				req.ContentLength = -1
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}

			rec := serveRequest(s, req)

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			if tt.wantStatus == http.StatusOK {
				assert.JSONEq(t, `{"customerId":"c-1","amount":1250}`, rec.Body.String())
				return
			}
			got := decodeError(t, rec)
			assert.Equal(t, tt.wantCode, got.Code)
			assert.NotEmpty(t, got.Message)
			assert.Equal(t, tt.wantDetails, got.Details)
		})
	}
}

func TestBindJSONReturnsError(t *testing.T) {
	e := echo.New()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"x":1}`))
	req.Header.Set("Content-Type", "application/json")
	c := e.NewContext(req, httptest.NewRecorder())

	err := httpserver.BindJSON(c, &createOrder{})

	var public *httpserver.Error
	require.ErrorAs(t, err, &public)
	assert.Equal(t, http.StatusBadRequest, public.Status)
	assert.Equal(t, `unknown field "x"`, public.Message)
}
