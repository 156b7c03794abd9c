package config_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/order/contract"
	"github.com/orderflow/orderflow/services/order/internal/config"
)

func TestLoadDefaults(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "app-token")
	t.Setenv("DATABASE_URL", "postgres://order:secret@db:5432/orders")
	cfg, err := config.Load()
	require.NoError(t, err)
	assert.Equal(t, contract.DefaultPort, cfg.Port, "the contract's port")
	assert.Equal(t, ":8081", cfg.Addr())
	assert.Equal(t, 24*time.Hour, cfg.IdempotencyTTL)
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"missing database url", map[string]string{"APP_API_TOKEN": "t"}, "DATABASE_URL"},
		{"missing app token", map[string]string{"DATABASE_URL": "postgres://db/orders"}, "APP_API_TOKEN"},
		{"bad port", map[string]string{"APP_API_TOKEN": "t", "DATABASE_URL": "postgres://db/orders", "APP_PORT": "70000"}, "APP_PORT"},
		{"short ttl", map[string]string{"APP_API_TOKEN": "t", "DATABASE_URL": "postgres://db/orders", "IDEMPOTENCY_TTL": "1s"}, "IDEMPOTENCY_TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"APP_API_TOKEN", "DATABASE_URL", "APP_PORT", "IDEMPOTENCY_TTL"} {
				t.Setenv(k, tt.env[k]) // restores the variable after the test
				if _, ok := tt.env[k]; !ok {
					require.NoError(t, os.Unsetenv(k))
				}
			}
			_, err := config.Load()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
