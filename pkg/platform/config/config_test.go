package config_test

import (
	"errors"
	"log/slog"
	"os"
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

// appConfig is shaped like a service's: Common, Database and its own port.
type appConfig struct {
	config.Common
	config.Database
	Port int `env:"APP_PORT" envDefault:"8081"`
}

func (c appConfig) Validate() error {
	return errors.Join(c.Common.Validate(), c.Database.Validate(), config.ValidatePort(c.Port))
}

func TestDatabaseAndPort(t *testing.T) {
	t.Setenv("APP_API_TOKEN", "t")
	t.Setenv("DATABASE_URL", "postgres://db/orders")
	cfg, err := config.Load[appConfig]()
	require.NoError(t, err)
	assert.Equal(t, "postgres://db/orders", cfg.DatabaseURL)
	assert.Equal(t, 8081, cfg.Port)
	assert.Equal(t, ":8081", config.ListenAddr(cfg.Port))

	tests := []struct {
		name    string
		env     map[string]string
		unset   string
		wantErr string
	}{
		{name: "database url unset", unset: "DATABASE_URL", wantErr: `required environment variable "DATABASE_URL" is not set`},
		{name: "database url empty", env: map[string]string{"DATABASE_URL": ""}, wantErr: "config: DATABASE_URL is required"},
		{name: "port too large", env: map[string]string{"APP_PORT": "70000"}, wantErr: "config: APP_PORT 70000 is not a port"},
		{name: "port zero", env: map[string]string{"APP_PORT": "0"}, wantErr: "config: APP_PORT 0 is not a port"},
		{name: "port and database", env: map[string]string{"APP_PORT": "-1", "DATABASE_URL": ""}, wantErr: "DATABASE_URL is required\nAPP_PORT -1 is not a port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("APP_API_TOKEN", "t")
			t.Setenv("DATABASE_URL", "postgres://db/orders")
			if tt.unset != "" {
				t.Setenv(tt.unset, "")
				require.NoError(t, os.Unsetenv(tt.unset))
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := config.Load[appConfig]()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	assert.NoError(t, config.ValidatePort(1))
	assert.NoError(t, config.ValidatePort(65535))
	assert.Equal(t, ":9000", config.ListenAddr(9000))
}
