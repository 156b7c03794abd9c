// Package dapr sends the gateway's calls to the services through the Dapr sidecar's service
// invocation API (/v1.0/invoke/<app>/method/<path>), which keeps the services' status codes and
// headers.
package dapr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"

	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/services/gateway/internal/app"
)

// MaxResponseBytes bounds a service's response body; a larger one is an error.
const MaxResponseBytes = 8 << 20

// passedHeaders are the response headers a service may hand to the client through the gateway.
var passedHeaders = []string{"Content-Type", "Location", "Idempotent-Replayed", "Retry-After"}

// Invoker builds and sends service-invocation requests: pkg/platform/dapr.Client, whose Config
// (DAPR_HOST, DAPR_HTTP_PORT) locates the sidecar, whose API token it sends as dapr-api-token,
// and whose Do never follows redirects (a service's 3xx is the gateway's to judge, and a
// Location must never steer the gateway elsewhere).
type Invoker interface {
	InvokeRequest(ctx context.Context, method, appID, path string, body []byte) (*http.Request, error)
	Do(req *http.Request) (*http.Response, error)
}

var _ Invoker = (*dapr.Client)(nil)

// Upstream implements app.Upstream through the sidecar.
type Upstream struct {
	invoker Invoker
}

// New returns an Upstream calling through invoker; the caller's context bounds each call.
func New(invoker Invoker) *Upstream {
	return &Upstream{invoker: invoker}
}

// sidecarError is the body the sidecar answers with on its own behalf, e.g.
// {"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: order, err: ..."}.
type sidecarError struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

// Call sends c and reads the whole response. It fails when the sidecar cannot be reached, the
// context ends, or the sidecar itself (not the service) answered with a Dapr error.
func (u *Upstream) Call(ctx context.Context, c app.Call) (app.Response, error) {
	path := c.Path
	if len(c.Query) > 0 {
		path += "?" + c.Query.Encode()
	}
	req, err := u.invoker.InvokeRequest(ctx, c.Method, c.App, path, c.Body)
	if err != nil {
		return app.Response{}, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if id := logging.RequestID(ctx); id != "" {
		req.Header.Set("X-Request-Id", id)
	}
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))

	resp, err := u.invoker.Do(req)
	if err != nil {
		return app.Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return app.Response{}, fmt.Errorf("read response: %w", err)
	}
	if len(body) > MaxResponseBytes {
		return app.Response{}, fmt.Errorf("response larger than %d bytes", MaxResponseBytes)
	}
	if e, ok := daprError(resp, body); ok {
		return app.Response{}, fmt.Errorf("dapr sidecar answered %d %s: %s", resp.StatusCode, e.ErrorCode, e.Message)
	}
	h := http.Header{}
	for _, k := range passedHeaders {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	return app.Response{Status: resp.StatusCode, Header: h, Body: body}, nil
}

// daprError recognises an answer of the sidecar itself: an error status whose JSON body carries a
// Dapr errorCode (ERR_...). The services answer errors as {"error":{...}}, never like this.
func daprError(resp *http.Response, body []byte) (sidecarError, bool) {
	if resp.StatusCode < 400 || !bytes.Contains(body, []byte(`"errorCode"`)) {
		return sidecarError{}, false
	}
	var e sidecarError
	if err := json.Unmarshal(body, &e); err != nil || !strings.HasPrefix(e.ErrorCode, "ERR_") {
		return sidecarError{}, false
	}
	return e, true
}
