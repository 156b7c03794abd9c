package service_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/logging/logtest"
	gwconfig "github.com/orderflow/orderflow/services/gateway/internal/config"
	"github.com/orderflow/orderflow/services/gateway/internal/service"
)

// TestRun starts the gateway as main does, from the environment, against a fake sidecar and a
// private Redis database, serves requests over TCP and shuts down cleanly.
func TestRun(t *testing.T) {
	sidecar := newFakeSidecar(t)
	orders := &fakeOrderService{}
	sidecar.handle("order", orders.ServeHTTP)
	port := daprtest.FreePort(t)
	t.Setenv("APP_PORT", strconv.Itoa(port))
	t.Setenv("APP_API_TOKEN", "app-token")
	t.Setenv("DAPR_API_TOKEN", daprToken)
	t.Setenv("DAPR_HTTP_PORT", strconv.Itoa(sidecar.port(t)))
	t.Setenv("API_KEYS", devKey+":"+devClient)
	t.Setenv("REDIS_ADDR", daprtest.RedisAddr())
	t.Setenv("REDIS_DB", strconv.Itoa(daprtest.RedisDB(t)))
	t.Setenv("RATE_LIMIT_PER_MINUTE", "100")
	cfg, err := gwconfig.Load()
	require.NoError(t, err)
	logs := &logtest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- service.Run(ctx, cfg, logging.New("gateway", slog.LevelInfo, logs)) }()
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "the gateway becomes ready")

	post := func() (*http.Response, string) {
		req, err := http.NewRequest(http.MethodPost, base+"/orders", strings.NewReader(validOrder))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", devKey)
		req.Header.Set("Idempotency-Key", "k-run")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}
	first, firstBody := post()
	second, secondBody := post()

	require.Equal(t, http.StatusCreated, first.StatusCode, firstBody)
	require.Equal(t, http.StatusCreated, second.StatusCode, secondBody)
	assert.Equal(t, firstBody, secondBody)
	assert.Equal(t, "true", second.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, "99", first.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "98", second.Header.Get("X-RateLimit-Remaining"))
	assert.NotEmpty(t, first.Header.Get("X-Request-Id"))
	assert.Equal(t, 1, orders.created)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	assert.Contains(t, logs.String(), `"http server stopped"`)
	assert.NotContains(t, logs.String(), devKey)
	assert.NotContains(t, logs.String(), "app-token")
}
