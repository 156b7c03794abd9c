package deadletter_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

func TestAdmin(t *testing.T) {
	pool := newPool(t)
	s := deadletter.NewStore(pool, consumer)
	letters := map[string]deadletter.Letter{}
	for _, id := range []string{"ok", "permanent", "transient", "listed"} {
		ev, raw := deadEvent(t, id, map[string]string{"orderId": "order-1"})
		letters[id] = saved(t, s, ev, raw)
	}
	// The handler's verdict depends on the event id, and corrected data fixes "permanent".
	dispatch := func(_ context.Context, ev events.CloudEvent) error {
		switch {
		case ev.ID == "permanent" && !strings.Contains(string(ev.Data), "order-2"):
			return pubsub.Permanent(errors.New("unknown order"))
		case ev.ID == "transient":
			return errors.New("connection refused")
		}
		return nil
	}
	srv := httpserver.New(httpserver.Options{Service: consumer, Logger: slog.New(slog.DiscardHandler)})
	deadletter.RegisterAdmin(srv.Echo.Group("/admin"), s, dispatch)

	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		noLength   bool // the body's length is unknown, as when the sidecar forwards a request
		wantStatus int
		wantCode   string // error code, for errors
		check      func(t *testing.T, body []byte)
	}{
		{
			name: "list", method: http.MethodGet, target: "/admin/deadletters", wantStatus: http.StatusOK,
			check: func(t *testing.T, body []byte) { assert.Len(t, decodeList(t, body), 4) },
		},
		{
			name: "list with limit", method: http.MethodGet, target: "/admin/deadletters?limit=1", wantStatus: http.StatusOK,
			check: func(t *testing.T, body []byte) { assert.Len(t, decodeList(t, body), 1) },
		},
		{name: "limit zero", method: http.MethodGet, target: "/admin/deadletters?limit=0", wantStatus: http.StatusBadRequest, wantCode: "validation_failed"},
		{name: "limit over the maximum", method: http.MethodGet, target: "/admin/deadletters?limit=1001", wantStatus: http.StatusBadRequest, wantCode: "validation_failed"},
		{name: "pending not a boolean", method: http.MethodGet, target: "/admin/deadletters?pending=maybe", wantStatus: http.StatusBadRequest, wantCode: "validation_failed"},
		{
			name: "get", method: http.MethodGet, target: "/admin/deadletters/" + letters["listed"].ID, wantStatus: http.StatusOK,
			check: func(t *testing.T, body []byte) { assert.Equal(t, letters["listed"].ID, decodeLetter(t, body).ID) },
		},
		{name: "get unknown", method: http.MethodGet, target: "/admin/deadletters/7a0b6b7e-7d1c-4c3e-9b1a-8f3c9d0e1f2a", wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "get malformed id", method: http.MethodGet, target: "/admin/deadletters/42", wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{
			name: "replay without body", method: http.MethodPost, target: "/admin/deadletters/" + letters["ok"].ID + "/replay", wantStatus: http.StatusOK,
			check: func(t *testing.T, body []byte) {
				l := decodeLetter(t, body)
				assert.Equal(t, 1, l.ReplayCount)
				assert.NotNil(t, l.ReplayedAt)
			},
		},
		{
			name: "replay still invalid", method: http.MethodPost, target: "/admin/deadletters/" + letters["permanent"].ID + "/replay",
			body: `{"data":{"orderId":"order-1"}}`, wantStatus: http.StatusUnprocessableEntity, wantCode: "replay_failed",
		},
		{
			name: "pending after a failed replay", method: http.MethodGet, target: "/admin/deadletters?pending=true", wantStatus: http.StatusOK,
			check: func(t *testing.T, body []byte) {
				lastErrors := map[string]string{}
				for _, l := range decodeList(t, body) {
					lastErrors[l.EventID] = l.LastError
				}
				assert.Len(t, lastErrors, 3, "ok was replayed")
				assert.Contains(t, lastErrors["permanent"], "unknown order", "the letter keeps the error")
			},
		},
		{
			name: "replay with corrected data", method: http.MethodPost, target: "/admin/deadletters/" + letters["permanent"].ID + "/replay",
			body: `{"data":{"orderId":"order-2"}}`, wantStatus: http.StatusOK,
			check: func(t *testing.T, body []byte) {
				l := decodeLetter(t, body)
				assert.Equal(t, 1, l.ReplayCount)
				assert.Empty(t, l.LastError)
			},
		},
		{name: "replay transient failure", method: http.MethodPost, target: "/admin/deadletters/" + letters["transient"].ID + "/replay", wantStatus: http.StatusServiceUnavailable, wantCode: "unavailable"},
		{name: "replay with data not an object", method: http.MethodPost, target: "/admin/deadletters/" + letters["ok"].ID + "/replay", body: `{"data":[1]}`, wantStatus: http.StatusBadRequest, wantCode: "invalid_data"},
		{name: "replay with unknown field", method: http.MethodPost, target: "/admin/deadletters/" + letters["ok"].ID + "/replay", body: `{"date":{}}`, wantStatus: http.StatusBadRequest, wantCode: "unknown_field"},
		{name: "replay unknown", method: http.MethodPost, target: "/admin/deadletters/7a0b6b7e-7d1c-4c3e-9b1a-8f3c9d0e1f2a/replay", wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "replay without body, length unknown", method: http.MethodPost, target: "/admin/deadletters/" + letters["ok"].ID + "/replay", noLength: true, wantStatus: http.StatusOK},
		{name: "replay still invalid, length unknown", method: http.MethodPost, target: "/admin/deadletters/" + letters["permanent"].ID + "/replay",
			body: `{"data":{"orderId":"order-1"}}`, noLength: true, wantStatus: http.StatusUnprocessableEntity, wantCode: "replay_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			if tt.noLength {
				body = io.MultiReader(strings.NewReader(tt.body)) // hides the length from NewRequest
			}
			req := httptest.NewRequest(tt.method, tt.target, body)
			if tt.noLength {
				req.ContentLength = -1
			}
			if tt.body != "" {
				req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			}
			rec := httptest.NewRecorder()

			srv.Echo.ServeHTTP(rec, req)

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			if tt.wantCode != "" {
				var resp httpserver.ErrorResponse
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
				assert.Equal(t, tt.wantCode, resp.Error.Code)
				assert.NotEmpty(t, resp.Error.Message)
				assert.NotContains(t, resp.Error.Message, "connection refused", "5xx bodies never leak internals")
			}
			if tt.check != nil {
				tt.check(t, rec.Body.Bytes())
			}
		})
	}
}

func decodeList(t *testing.T, body []byte) []deadletter.Letter {
	t.Helper()
	var resp struct {
		DeadLetters []deadletter.Letter `json:"deadLetters"`
	}
	require.NoError(t, json.Unmarshal(body, &resp))
	require.NotNil(t, resp.DeadLetters)
	return resp.DeadLetters
}

func decodeLetter(t *testing.T, body []byte) deadletter.Letter {
	t.Helper()
	var resp struct {
		DeadLetter deadletter.Letter `json:"deadLetter"`
	}
	require.NoError(t, json.Unmarshal(body, &resp))
	require.NotEmpty(t, resp.DeadLetter.ID)
	return resp.DeadLetter
}
