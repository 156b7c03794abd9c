// Package pubsubtest sends a service's handler the requests its Dapr sidecar sends: event
// deliveries and service invocations, with the app token.
package pubsubtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

// Request sends one request to h as the sidecar forwards it: with appToken in dapr-api-token
// and contentType as Content-Type, each left out when empty. It returns the status code and
// the body.
func Request(t testing.TB, h http.Handler, method, target, appToken, contentType, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if appToken != "" {
		req.Header.Set(pubsub.HeaderAPIToken, appToken)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatalf("pubsubtest: %v", err)
	}
	return rec.Code, string(b)
}

// Deliver posts one event (a CloudEvent's JSON) to the subscription route path of h as the
// sidecar delivers it, with appToken, and returns the status the route answered. Any answer
// but HTTP 200 with a JSON status fails the test.
func Deliver(t testing.TB, h http.Handler, appToken, path string, event []byte) pubsub.Status {
	t.Helper()
	code, body := Request(t, h, http.MethodPost, path, appToken, events.ContentTypeCloudEvents, string(event))
	if code != http.StatusOK {
		t.Fatalf("pubsubtest: delivery to %s answered %d: %s", path, code, body)
	}
	var resp struct {
		Status pubsub.Status `json:"status"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("pubsubtest: delivery to %s: answer %q: %v", path, body, err)
	}
	return resp.Status
}
