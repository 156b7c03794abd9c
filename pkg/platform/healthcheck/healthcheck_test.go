package healthcheck_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/orderflow/orderflow/pkg/platform/healthcheck"
)

func TestFromArgs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.WriteHeader(http.StatusOK)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(2 * healthcheck.Timeout):
			}
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOK   bool
	}{
		{name: "no arguments", args: nil, wantOK: false},
		{name: "other arguments", args: []string{"-v", "serve"}, wantOK: false},
		{name: "healthy", args: []string{"-healthcheck", srv.URL + "/healthz"}, wantCode: 0, wantOK: true},
		{name: "healthy with double dash and equals", args: []string{"--healthcheck=" + srv.URL + "/healthz"}, wantCode: 0, wantOK: true},
		{name: "unhealthy status", args: []string{"-healthcheck", srv.URL + "/readyz"}, wantCode: 1, wantOK: true},
		{name: "nothing listening", args: []string{"-healthcheck", "http://127.0.0.1:1/healthz"}, wantCode: 1, wantOK: true},
		{name: "missing URL", args: []string{"-healthcheck"}, wantCode: 1, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ok := healthcheck.FromArgs(tt.args)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantCode, code)
		})
	}

	t.Run("times out", func(t *testing.T) {
		start := time.Now()
		code, ok := healthcheck.FromArgs([]string{"-healthcheck", srv.URL + "/slow"})
		assert.True(t, ok)
		assert.Equal(t, 1, code)
		assert.Less(t, time.Since(start), healthcheck.Timeout+time.Second)
	})
}
