package config_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/internal/config"
)

func TestLoadDefaults(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "secret")
	t.Setenv("DATABASE_URL", "postgres://payment:pw@db:5432/payments")
	cfg, err := config.Load()
	require.NoError(t, err)
	assert.Equal(t, contract.DefaultPort, cfg.Port, "the contract's port")
	assert.Equal(t, ":8082", cfg.Addr())
	assert.Equal(t, int64(1_000_000), cfg.DeclineAbove)
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"custom", map[string]string{"APP_PORT": "9000", "PAYMENT_DECLINE_ABOVE": "500"}, ""},
		{"no database", map[string]string{"DATABASE_URL": ""}, "DATABASE_URL"},
		{"no app token", map[string]string{"APP_API_TOKEN": ""}, "APP_API_TOKEN"},
		{"bad port", map[string]string{"APP_PORT": "70000"}, "APP_PORT"},
		{"negative limit", map[string]string{"PAYMENT_DECLINE_ABOVE": "-1"}, "PAYMENT_DECLINE_ABOVE"},
		{"limit not a number", map[string]string{"PAYMENT_DECLINE_ABOVE": "lots"}, "DeclineAbove"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("APP_API_TOKEN", "secret")
			t.Setenv("DATABASE_URL", "postgres://db/payments")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := config.Load()
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 9000, cfg.Port)
			assert.Equal(t, int64(500), cfg.DeclineAbove)
		})
	}
}
