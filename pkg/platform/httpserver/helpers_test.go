package httpserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/logging"
)

// syncBuffer is a log sink safe for the concurrent writes of a running server.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records decodes the JSON log lines written so far.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for line := range strings.Lines(b.String()) {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		recs = append(recs, rec)
	}
	return recs
}

// newServer returns a server logging at debug level into the returned buffer.
func newServer(t *testing.T, opts httpserver.Options) (*httpserver.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
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
