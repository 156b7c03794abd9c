package service_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type mergedDeadLetters struct {
	DeadLetters []map[string]any  `json:"deadLetters"`
	Errors      map[string]string `json:"errors"`
}

func TestAdminDeadLettersFanOut(t *testing.T) {
	g := newGateway(t, setup{})
	g.sidecar.handle("order", jsonHandler(http.StatusOK, `{"deadLetters":[
		{"id":"o-dl-1","consumer":"order","eventId":"e-1","receivedAt":"2026-03-01T10:00:00Z","replayCount":0}]}`))
	g.sidecar.handle("payment", jsonHandler(http.StatusOK, `{"deadLetters":[
		{"id":"p-dl-2","consumer":"payment","eventId":"e-3","receivedAt":"2026-03-01T12:00:00Z","replayCount":1},
		{"id":"p-dl-1","consumer":"payment","eventId":"e-2","receivedAt":"2026-03-01T09:00:00Z","replayCount":0}]}`))
	g.sidecar.handle("notification", jsonHandler(http.StatusInternalServerError, `{"error":{"code":"internal","message":"boom"}}`))
	// analytics has no handler: the sidecar answers ERR_DIRECT_INVOKE, as when the app is down.

	rec := g.do(request{method: http.MethodGet, path: "/admin/deadletters?limit=10&pending=true", key: adminKey})

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got mergedDeadLetters
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	ids := make([]string, len(got.DeadLetters))
	for i, l := range got.DeadLetters {
		ids[i] = l["id"].(string)
	}
	assert.Equal(t, []string{"p-dl-2", "o-dl-1", "p-dl-1"}, ids, "merged newest first")
	assert.Equal(t, "payment", got.DeadLetters[0]["service"])
	assert.Equal(t, "order", got.DeadLetters[1]["service"])
	assert.Equal(t, "e-3", got.DeadLetters[0]["eventId"], "letters keep their fields")
	assert.Equal(t, float64(1), got.DeadLetters[0]["replayCount"])
	assert.Equal(t, map[string]string{"analytics": "unavailable", "notification": "upstream_error"}, got.Errors)
	assert.NotContains(t, rec.Body.String(), "boom")

	calls := g.sidecar.recorded()
	require.Len(t, calls, 4)
	apps := map[string]bool{}
	for _, c := range calls {
		apps[c.App] = true
		assert.Equal(t, "/admin/deadletters", c.Path)
		assert.Equal(t, "limit=10&pending=true", c.Query.Encode())
		assert.Equal(t, adminClient, c.Header.Get("X-Client-Id"))
	}
	assert.Len(t, apps, 4, "every service was asked")
}

func TestAdminDeadLettersLimitAndEmpty(t *testing.T) {
	g := newGateway(t, setup{})
	g.sidecar.handle("order", jsonHandler(http.StatusOK, `{"deadLetters":[{"id":"a","receivedAt":"2026-03-01T10:00:00Z"},{"id":"b","receivedAt":"2026-03-01T08:00:00Z"}]}`))
	g.sidecar.handle("payment", jsonHandler(http.StatusOK, `{"deadLetters":[{"id":"c","receivedAt":"2026-03-01T09:00:00Z"}]}`))
	g.sidecar.handle("notification", jsonHandler(http.StatusOK, `{"deadLetters":[]}`))
	g.sidecar.handle("analytics", jsonHandler(http.StatusOK, `{"deadLetters":[]}`))

	rec := g.do(request{method: http.MethodGet, path: "/admin/deadletters?limit=2", key: adminKey})

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var got mergedDeadLetters
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Len(t, got.DeadLetters, 2, "the merged list is cut to the limit")
	assert.Equal(t, "a", got.DeadLetters[0]["id"])
	assert.Equal(t, "c", got.DeadLetters[1]["id"])
	assert.Empty(t, got.Errors)
	assert.JSONEq(t, `{}`, string(mustField(t, rec.Body.Bytes(), "errors")))
}

func TestAdminDeadLettersAllServicesDown(t *testing.T) {
	g := newGateway(t, setup{})

	rec := g.do(request{method: http.MethodGet, path: "/admin/deadletters", key: adminKey})

	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	got := errorOf(t, rec)
	assert.Equal(t, "service_unavailable", got.Code)
	assert.Equal(t, map[string]any{"order": "unavailable", "payment": "unavailable", "notification": "unavailable", "analytics": "unavailable"}, got.Details)
}

func TestAdminDeadLetterGetAndReplay(t *testing.T) {
	g := newGateway(t, setup{})
	g.sidecar.handle("payment", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/admin/deadletters/missing":
			jsonHandler(http.StatusNotFound, `{"error":{"code":"not_found","message":"dead letter not found"}}`)(w, r)
		case r.Method == http.MethodPost:
			jsonHandler(http.StatusOK, `{"deadLetter":{"id":"dl-1","replayCount":1}}`)(w, r)
		default:
			jsonHandler(http.StatusOK, `{"deadLetter":{"id":"dl-1","replayCount":0}}`)(w, r)
		}
	})
	g.sidecar.handle("analytics", jsonHandler(http.StatusUnprocessableEntity, `{"error":{"code":"replay_failed","message":"still invalid"}}`))

	get := g.do(request{method: http.MethodGet, path: "/admin/deadletters/payment/dl-1", key: adminKey})
	missing := g.do(request{method: http.MethodGet, path: "/admin/deadletters/payment/missing", key: adminKey})
	replay := g.do(request{method: http.MethodPost, path: "/admin/deadletters/payment/dl-1/replay", key: adminKey,
		body: `{"data":{"orderId":"o-1","amount":100}}`})
	replayNoBody := g.do(request{method: http.MethodPost, path: "/admin/deadletters/payment/dl-1/replay", key: adminKey})
	failed := g.do(request{method: http.MethodPost, path: "/admin/deadletters/analytics/dl-9/replay", key: adminKey})

	require.Equal(t, http.StatusOK, get.Code, get.Body.String())
	assert.JSONEq(t, `{"deadLetter":{"id":"dl-1","replayCount":0}}`, get.Body.String())
	require.Equal(t, http.StatusNotFound, missing.Code)
	assert.Equal(t, "not_found", errorOf(t, missing).Code)
	require.Equal(t, http.StatusOK, replay.Code, replay.Body.String())
	assert.JSONEq(t, `{"deadLetter":{"id":"dl-1","replayCount":1}}`, replay.Body.String())
	require.Equal(t, http.StatusOK, replayNoBody.Code, replayNoBody.Body.String())
	require.Equal(t, http.StatusUnprocessableEntity, failed.Code)
	assert.Equal(t, "replay_failed", errorOf(t, failed).Code)

	calls := g.sidecar.recorded()
	require.Len(t, calls, 5)
	assert.Equal(t, "/admin/deadletters/dl-1", calls[0].Path)
	assert.Equal(t, http.MethodPost, calls[2].Method)
	assert.Equal(t, "/admin/deadletters/dl-1/replay", calls[2].Path)
	assert.JSONEq(t, `{"data":{"orderId":"o-1","amount":100}}`, string(calls[2].Body), "the replay body is passed on")
	assert.Equal(t, "application/json", calls[2].Header.Get("Content-Type"))
	assert.Empty(t, calls[3].Body)
	assert.Equal(t, "analytics", calls[4].App)
}

func mustField(t *testing.T, body []byte, field string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m))
	v, ok := m[field]
	require.True(t, ok, "no %q in %s", field, body)
	return v
}
