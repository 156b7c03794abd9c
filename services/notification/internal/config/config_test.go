package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/config"
)

func TestLoad(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "secret")
	t.Setenv("DATABASE_URL", "postgres://notification:pw@db:5432/notifications")
	cfg, err := config.Load()
	require.NoError(t, err)
	assert.Equal(t, contract.DefaultPort, cfg.Port, "the contract's port")
	assert.Equal(t, ":8083", cfg.Addr())
	assert.Equal(t, "postgres://notification:pw@db:5432/notifications", cfg.DatabaseURL)
}

func TestLoadRejects(t *testing.T) {
	tests := map[string]map[string]string{
		"no database url": {"APP_API_TOKEN": "secret"},
		"no app token":    {"DATABASE_URL": "postgres://db/notifications"},
		"bad port":        {"APP_API_TOKEN": "secret", "DATABASE_URL": "postgres://db/notifications", "APP_PORT": "70000"},
	}
	for name, vars := range tests {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"APP_API_TOKEN", "DATABASE_URL", "APP_PORT"} {
				t.Setenv(k, vars[k])
			}
			_, err := config.Load()
			require.Error(t, err)
		})
	}
}
