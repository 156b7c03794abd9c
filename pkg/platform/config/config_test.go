package config_test

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/config"
)

type serviceConfig struct {
	config.Common
	DatabaseURL string `env:"DATABASE_URL,required"`
	MaxRetries  int    `env:"MAX_RETRIES" envDefault:"3"`
}

// pointerValidated checks itself through a pointer receiver.
type pointerValidated struct {
	Name string `env:"TEST_NAME"`
}

func (c *pointerValidated) Validate() error {
	if c.Name != "ok" {
		return errors.New("TEST_NAME must be ok")
	}
	return nil
}

func TestLoadDefaults(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "app-token")
	t.Setenv("DATABASE_URL", "postgres://orders:secret@localhost:5432/orders")

	cfg, err := config.Load[serviceConfig]()
	require.NoError(t, err)

	assert.Equal(t, serviceConfig{
		Common: config.Common{
			LogLevel:        slog.LevelInfo,
			ShutdownTimeout: 20 * time.Second,
			AppAPIToken:     "app-token",
			DaprHost:        "127.0.0.1",
			DaprHTTPPort:    3500,
			DaprGRPCPort:    50001,
		},
		DatabaseURL: "postgres://orders:secret@localhost:5432/orders",
		MaxRetries:  3,
	}, cfg)
}

func TestLoadOverrides(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "app-token")
	t.Setenv("DATABASE_URL", "postgres://localhost/orders")
	t.Setenv("LOG_LEVEL", "debug")
	t.Setenv("SHUTDOWN_TIMEOUT", "5s")
	t.Setenv("DAPR_HTTP_PORT", "3601")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")

	cfg, err := config.Load[serviceConfig]()
	require.NoError(t, err)

	assert.Equal(t, slog.LevelDebug, cfg.LogLevel)
	assert.Equal(t, 5*time.Second, cfg.ShutdownTimeout)
	assert.Equal(t, 3601, cfg.DaprHTTPPort)
	assert.Equal(t, "http://collector:4318", cfg.OTLPEndpoint)
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		load    func() error
		wantErr string
	}{
		{
			name:    "app token missing",
			env:     map[string]string{"DATABASE_URL": "postgres://localhost/orders"},
			load:    loadErr[serviceConfig],
			wantErr: "config: APP_API_TOKEN is required",
		},
		{
			name:    "required variable missing",
			env:     map[string]string{"APP_API_TOKEN": "t"},
			load:    loadErr[serviceConfig],
			wantErr: `required environment variable "DATABASE_URL" is not set`,
		},
		{
			name:    "unparsable value",
			env:     map[string]string{"APP_API_TOKEN": "t", "DATABASE_URL": "x", "MAX_RETRIES": "many"},
			load:    loadErr[serviceConfig],
			wantErr: `"MaxRetries"`,
		},
		{
			name:    "pointer receiver validation",
			env:     map[string]string{"TEST_NAME": "bad"},
			load:    loadErr[pointerValidated],
			wantErr: "config: TEST_NAME must be ok",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err := tt.load()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Regexp(t, "^config: ", err.Error())
		})
	}
}

func loadErr[T any]() error {
	_, err := config.Load[T]()
	return err
}
