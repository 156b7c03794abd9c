package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/config/configtest"
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/config"
)

func TestLoad(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "secret")
	t.Setenv("DATABASE_URL", "postgres://analytics:pw@db:5432/analytics")
	cfg, err := config.Load()
	require.NoError(t, err)
	assert.Equal(t, contract.DefaultPort, cfg.Port, "the contract's port")
	assert.Equal(t, ":8084", cfg.Addr())
	assert.Equal(t, "postgres://analytics:pw@db:5432/analytics", cfg.DatabaseURL)
}

func TestLoadRejects(t *testing.T) {
	configtest.Rejects(t, loadErr, []string{"APP_API_TOKEN", "DATABASE_URL", "APP_PORT"},
		configtest.Case{Name: "no database url", Env: map[string]string{"APP_API_TOKEN": "secret", "DATABASE_URL": "", "APP_PORT": ""}, Want: "DATABASE_URL"},
		configtest.Case{Name: "no app token", Env: map[string]string{"APP_API_TOKEN": "", "DATABASE_URL": "postgres://db/analytics", "APP_PORT": ""}, Want: "APP_API_TOKEN"},
		configtest.Case{Name: "bad port", Env: map[string]string{"APP_API_TOKEN": "secret", "DATABASE_URL": "postgres://db/analytics", "APP_PORT": "70000"}, Want: "APP_PORT"},
	)
}

func loadErr() error {
	_, err := config.Load()
	return err
}
