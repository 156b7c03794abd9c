package httpserver_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/logging/logtest"
)

// newServer returns a server logging at debug level into the returned buffer.
func newServer(t *testing.T, opts httpserver.Options) (*httpserver.Server, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	if opts.Service == "" {
		opts.Service = "test"
	}
	opts.Logger = logging.New(opts.Service, slog.LevelDebug, logs)
	return httpserver.New(opts), logs
}

// serve sends one request through the server's router.
func serve(s *httpserver.Server, method, target, contentType string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return serveRequest(s, req)
}

// serveRequest sends req through the server's router.
func serveRequest(s *httpserver.Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.Echo.ServeHTTP(rec, req)
	return rec
}

// decodeError decodes an error response body.
func decodeError(t *testing.T, rec *httptest.ResponseRecorder) *httpserver.Error {
	t.Helper()
	var body httpserver.ErrorResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	require.NotNil(t, body.Error, rec.Body.String())
	return body.Error
}
