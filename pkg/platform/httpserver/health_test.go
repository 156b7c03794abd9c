package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
)

func TestHealthz(t *testing.T) {
	s, _ := newServer(t, httpserver.Options{})
	s.AddReadyCheck("db", func(context.Context) error { return errors.New("down") })

	rec := serve(s, http.MethodGet, "/healthz", "", nil)

	assert.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"status":"ok"}`, rec.Body.String(), "liveness never checks dependencies")
}

func TestReadyz(t *testing.T) {
	const readyTimeout = 100 * time.Millisecond
	ok := func(context.Context) error { return nil }
	failing := func(context.Context) error { return errors.New("connection refused") }
	// ignoresContext blocks past the timeout without watching ctx, like a hung driver call.
	ignoresContext := func(context.Context) error { time.Sleep(20 * readyTimeout); return nil }
	slowButInTime := func(ctx context.Context) error {
		select {
		case <-time.After(readyTimeout / 2):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	tests := []struct {
		name       string
		checks     map[string]httpserver.Check
		wantStatus int
		wantBody   string
	}{
		{
			name:       "no checks",
			wantStatus: http.StatusOK,
			wantBody:   `{"status":"ready","checks":{}}`,
		},
		{
			name:       "all ok",
			checks:     map[string]httpserver.Check{"db": ok, "dapr": slowButInTime},
			wantStatus: http.StatusOK,
			wantBody:   `{"status":"ready","checks":{"db":"ok","dapr":"ok"}}`,
		},
		{
			name:       "one failing",
			checks:     map[string]httpserver.Check{"db": failing, "dapr": ok},
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   `{"status":"unavailable","checks":{"db":"connection refused","dapr":"ok"}}`,
		},
		{
			name:       "slow check times out",
			checks:     map[string]httpserver.Check{"db": ignoresContext, "dapr": ok},
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   `{"status":"unavailable","checks":{"db":"timed out after 100ms","dapr":"ok"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, httpserver.Options{ReadyTimeout: readyTimeout})
			for name, c := range tt.checks {
				s.AddReadyCheck(name, c)
			}

			start := time.Now()
			rec := serve(s, http.MethodGet, "/readyz", "", nil)

			assert.Less(t, time.Since(start), 10*readyTimeout, "readyz answers within about ReadyTimeout")
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.JSONEq(t, tt.wantBody, rec.Body.String())
		})
	}
}

func TestReadyzRunsChecksConcurrently(t *testing.T) {
	const delay = 200 * time.Millisecond
	s, _ := newServer(t, httpserver.Options{ReadyTimeout: 5 * time.Second})
	for _, name := range []string{"a", "b", "c", "d"} {
		s.AddReadyCheck(name, func(context.Context) error { time.Sleep(delay); return nil })
	}

	start := time.Now()
	rec := serve(s, http.MethodGet, "/readyz", "", nil)

	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Less(t, time.Since(start), 3*delay)
	var body struct{ Checks map[string]string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.Len(t, body.Checks, 4)
}
