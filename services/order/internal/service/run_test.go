package service_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	platformconfig "github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pgdbtest"
	"github.com/orderflow/orderflow/services/order/internal/config"
	"github.com/orderflow/orderflow/services/order/internal/service"
)

// TestRun starts the whole service (migrations included) without a sidecar: it serves, reports
// itself not ready because the sidecar is missing, and stops cleanly when its context ends.
func TestRun(t *testing.T) {
	url := pgdbtest.NewDatabase(t)
	port := daprtest.FreePort(t)
	cfg := config.Config{
		Common: platformconfig.Common{
			AppAPIToken: appToken, ShutdownTimeout: 5 * time.Second,
			DaprHost: "127.0.0.1", DaprHTTPPort: daprtest.FreePort(t), DaprGRPCPort: daprtest.FreePort(t),
		},
		Port:           port,
		Database:       platformconfig.Database{DatabaseURL: url},
		IdempotencyTTL: time.Hour,
	}
	ctx, cancel := context.WithCancel(context.Background())
	var runErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runErr = service.Run(ctx, cfg, quietLogger())
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("Run did not return")
		}
	})

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 5 * time.Second}
	require.Eventually(t, func() bool {
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond)

	resp, err := client.Get(base + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "no sidecar: not ready")

	req, err := http.NewRequest(http.MethodGet, base+"/orders?customerId=c-1", nil)
	require.NoError(t, err)
	req.Header.Set("dapr-api-token", appToken)
	resp, err = client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "migrated and serving")

	cancel()
	select {
	case <-done:
		assert.NoError(t, runErr)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop")
	}
}
