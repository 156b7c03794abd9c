package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/config/configtest"
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
	configtest.Rejects(t, loadErr, []string{"APP_API_TOKEN", "DATABASE_URL", "APP_PORT", "IDEMPOTENCY_TTL"},
		configtest.Case{Name: "missing database url", Env: map[string]string{"APP_API_TOKEN": "t"}, Want: "DATABASE_URL"},
		configtest.Case{Name: "missing app token", Env: map[string]string{"DATABASE_URL": "postgres://db/orders"}, Want: "APP_API_TOKEN"},
		configtest.Case{Name: "bad port", Env: map[string]string{"APP_API_TOKEN": "t", "DATABASE_URL": "postgres://db/orders", "APP_PORT": "70000"}, Want: "APP_PORT"},
		configtest.Case{Name: "short ttl", Env: map[string]string{"APP_API_TOKEN": "t", "DATABASE_URL": "postgres://db/orders", "IDEMPOTENCY_TTL": "1s"}, Want: "IDEMPOTENCY_TTL"},
	)
}

func loadErr() error {
	_, err := config.Load()
	return err
}
