package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/services/gateway/contract"
	gwconfig "github.com/orderflow/orderflow/services/gateway/internal/config"
	"github.com/orderflow/orderflow/services/gateway/internal/domain"
)

func TestLoadDefaults(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "app-token")
	t.Setenv("API_KEYS", "dev-key:dev-client")

	cfg, err := gwconfig.Load()

	require.NoError(t, err)
	assert.Equal(t, contract.DefaultPort, cfg.Port, "the contract's port")
	assert.Equal(t, ":8080", cfg.Addr())
	assert.Equal(t, 600, cfg.RateLimitPerMinute)
	assert.Equal(t, "127.0.0.1:6379", cfg.RedisAddr)
	assert.Equal(t, 0, cfg.RedisDB)
	assert.Equal(t, 100*time.Millisecond, cfg.RedisTimeout)
	assert.Equal(t, 5*time.Second, cfg.UpstreamTimeout)
	assert.Equal(t, 24*time.Hour, cfg.IdempotencyTTL)
	assert.Equal(t, 30*time.Second, cfg.IdempotencyLockTTL)
	assert.Equal(t, 3500, cfg.DaprHTTPPort)
	auth, err := cfg.Authenticator()
	require.NoError(t, err)
	c, ok := auth.Authenticate("dev-key")
	require.True(t, ok)
	assert.Equal(t, "dev-client", c.ID)
}

func TestLoadAll(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "app-token")
	t.Setenv("APP_PORT", "9090")
	t.Setenv("API_KEYS", "k1:c1,k2:c2")
	t.Setenv("ADMIN_API_KEYS", "adm-secret:ops")
	t.Setenv("RATE_LIMIT_PER_MINUTE", "0")
	t.Setenv("REDIS_ADDR", "redis:6379")
	t.Setenv("REDIS_PASSWORD", "redis-secret")
	t.Setenv("REDIS_DB", "1")
	t.Setenv("UPSTREAM_TIMEOUT", "2s")

	cfg, err := gwconfig.Load()

	require.NoError(t, err)
	assert.Equal(t, ":9090", cfg.Addr())
	assert.Equal(t, 0, cfg.RateLimitPerMinute)
	auth, err := cfg.Authenticator()
	require.NoError(t, err)
	for key, want := range map[string]string{"k1": "c1", "k2": "c2", "adm-secret": "ops"} {
		c, ok := auth.Authenticate(key)
		require.True(t, ok, key)
		assert.Equal(t, want, c.ID)
	}
	assert.Equal(t, 1, cfg.RedisDB)
	assert.Equal(t, 2*time.Second, cfg.UpstreamTimeout)

	logged := config.LogValue(cfg).String()
	for _, secret := range []string{"k1", "k2", "adm-secret", "redis-secret", "app-token"} {
		assert.NotContains(t, logged, secret)
	}
	assert.Contains(t, logged, "API_KEYS=***")
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "no keys at all", env: map[string]string{"API_KEYS": ""}, want: "API_KEYS"},
		{name: "malformed keys", env: map[string]string{"API_KEYS": "just-a-key"}, want: "API_KEYS"},
		{name: "key both public and admin", env: map[string]string{"ADMIN_API_KEYS": "dev-key:ops"}, want: "API_KEYS"},
		{name: "malformed admin keys", env: map[string]string{"ADMIN_API_KEYS": "adm:"}, want: "ADMIN_API_KEYS"},
		{name: "no app token", env: map[string]string{"APP_API_TOKEN": ""}, want: "APP_API_TOKEN"},
		{name: "negative rate limit", env: map[string]string{"RATE_LIMIT_PER_MINUTE": "-1"}, want: "RATE_LIMIT_PER_MINUTE"},
		{name: "bad port", env: map[string]string{"APP_PORT": "70000"}, want: "APP_PORT"},
		{name: "redis db", env: map[string]string{"REDIS_DB": "16"}, want: "REDIS_DB"},
		{name: "slow redis timeout", env: map[string]string{"REDIS_TIMEOUT": "5s"}, want: "REDIS_TIMEOUT"},
		{name: "lock shorter than upstream", env: map[string]string{"IDEMPOTENCY_LOCK_TTL": "5s"}, want: "IDEMPOTENCY_LOCK_TTL"},
		{name: "zero upstream timeout", env: map[string]string{"UPSTREAM_TIMEOUT": "0s"}, want: "UPSTREAM_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("APP_API_TOKEN", "app-token")
			t.Setenv("API_KEYS", "dev-key:dev-client")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}

			_, err := gwconfig.Load()

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "dev-key", "errors never quote keys")
		})
	}
}

// TestDeadLetterLimitsMatchTheServices: the gateway checks limit itself before the fan-out, so
// its bounds must be the services'.
func TestDeadLetterLimitsMatchTheServices(t *testing.T) {
	assert.Equal(t, deadletter.DefaultLimit, domain.DefaultDeadLetterLimit)
	assert.Equal(t, deadletter.MaxLimit, domain.MaxDeadLetterLimit)
}
