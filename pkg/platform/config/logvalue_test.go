package config_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/config"
)

type redisConfig struct {
	URL      string `env:"URL"`
	Password string `env:"PASSWORD" secret:"true"`
}

type loggedConfig struct {
	config.Common
	DatabaseURL string      `env:"DATABASE_URL,required"`
	BrokerURLs  []string    `env:"BROKER_URLS"`
	Redis       redisConfig `envPrefix:"REDIS_"`
	CallbackURL *url.URL    `env:"CALLBACK_URL"`
	Optional    *string     `env:"OPTIONAL"`
	Secret      string      `env:"EMPTY_SECRET" secret:"true"`
	internal    string
	Untagged    string
}

func TestLogValue(t *testing.T) {
	callback, err := url.Parse("https://hook:hook-pass@example.com/cb")
	require.NoError(t, err)
	cfg := loggedConfig{
		Common: config.Common{
			AppAPIToken:     "app-token-value",
			DaprAPIToken:    "dapr-token-value",
			DaprHost:        "127.0.0.1",
			DaprHTTPPort:    3500,
			ShutdownTimeout: 20 * time.Second,
		},
		DatabaseURL: "postgres://orders:db-pass@db:5432/orders?sslmode=disable",
		BrokerURLs:  []string{"redis://:broker-pass@redis:6379/0", "plain:9092"},
		Redis:       redisConfig{URL: "redis://:redis-pass@redis:6379", Password: "redis-secret"},
		CallbackURL: callback,
		internal:    "never",
		Untagged:    "never",
	}

	for _, input := range []any{cfg, &cfg} {
		got := render(t, config.LogValue(input))

		want := map[string]any{
			"APP_API_TOKEN":    "***",
			"DAPR_API_TOKEN":   "***",
			"DAPR_HOST":        "127.0.0.1",
			"DAPR_HTTP_PORT":   float64(3500),
			"LOG_LEVEL":        "INFO",
			"SHUTDOWN_TIMEOUT": "20s",
			"DATABASE_URL":     "postgres://orders:xxxxx@db:5432/orders?sslmode=disable",
			"BROKER_URLS":      []any{"redis://:xxxxx@redis:6379/0", "plain:9092"},
			"REDIS_URL":        "redis://:xxxxx@redis:6379",
			"REDIS_PASSWORD":   "***",
			"CALLBACK_URL":     "https://hook:xxxxx@example.com/cb",
			"OPTIONAL":         "",
			"EMPTY_SECRET":     "",
		}
		for k, v := range want {
			assert.Equal(t, v, got[k], k)
		}
		assert.NotContains(t, got, "internal")
		assert.NotContains(t, got, "Untagged")
	}
}

func TestLogValueNeverPrintsSecrets(t *testing.T) {
	secrets := []string{"app-token-value", "dapr-token-value", "db-pass", "broker-pass", "redis-pass", "redis-secret", "hook-pass"}
	callback, err := url.Parse("https://hook:hook-pass@example.com/cb")
	require.NoError(t, err)
	cfg := loggedConfig{
		Common:      config.Common{AppAPIToken: "app-token-value", DaprAPIToken: "dapr-token-value"},
		DatabaseURL: "postgres://orders:db-pass@db:5432/orders",
		BrokerURLs:  []string{"redis://:broker-pass@redis:6379"},
		Redis:       redisConfig{URL: "redis://:redis-pass@redis:6379", Password: "redis-secret"},
		CallbackURL: callback,
	}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config loaded", "config", config.LogValue(cfg))

	for _, s := range secrets {
		assert.NotContains(t, buf.String(), s)
	}
	assert.Contains(t, buf.String(), "postgres://orders:xxxxx@db:5432/orders")
}

func TestLogValueURLs(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{name: "user and password", value: "postgres://user:pass@host:5432/db", want: "postgres://user:xxxxx@host:5432/db"},
		{name: "password only", value: "redis://:pass@host:6379", want: "redis://:xxxxx@host:6379"},
		{name: "user only", value: "postgres://user@host/db", want: "postgres://user@host/db"},
		{name: "no credentials", value: "http://collector:4318", want: "http://collector:4318"},
		{name: "not a URL", value: "localhost:6379", want: "localhost:6379"},
		{name: "unparsable URL", value: "postgres://user:pa ss@host:port/db", want: "***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := struct {
				Value string `env:"VALUE"`
			}{Value: tt.value}
			assert.Equal(t, tt.want, render(t, config.LogValue(cfg))["VALUE"])
		})
	}
}

func TestLogValueNotAStruct(t *testing.T) {
	assert.Empty(t, config.LogValue("x").Group())
	assert.Empty(t, config.LogValue((*loggedConfig)(nil)).Group())
}

// render logs v as a JSON group and returns the decoded group.
func render(t *testing.T, v slog.Value) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", v)
	var rec struct {
		Config map[string]any `json:"config"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	return rec.Config
}
