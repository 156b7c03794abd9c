// Package config loads a service's configuration from environment variables.
//
// Every service declares one struct with caarlos0/env tags, embeds Common (and Database when it
// owns one), loads it with Load and logs it with LogValue, which never prints secrets:
//
//	type Config struct {
//		config.Common
//		config.Database
//		Port int `env:"APP_PORT" envDefault:"8081"`
//	}
//
//	func (c Config) Validate() error {
//		return errors.Join(c.Common.Validate(), c.Database.Validate(), config.ValidatePort(c.Port))
//	}
//
//	cfg, err := config.Load[Config]()
//	...
//	log.Info("config loaded", "config", config.LogValue(cfg))
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/caarlos0/env/v11"
)

// Common holds the settings every service shares. Embed it without a prefix.
type Common struct {
	LogLevel        slog.Level    `env:"LOG_LEVEL" envDefault:"info"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// AppAPIToken is the token the Dapr sidecar sends to the app in the dapr-api-token header.
	AppAPIToken string `env:"APP_API_TOKEN" secret:"true"`
	// DaprAPIToken is the token the app sends to its sidecar.
	DaprAPIToken string `env:"DAPR_API_TOKEN" secret:"true"`
	DaprHost     string `env:"DAPR_HOST" envDefault:"127.0.0.1"`
	DaprHTTPPort int    `env:"DAPR_HTTP_PORT" envDefault:"3500"`
	DaprGRPCPort int    `env:"DAPR_GRPC_PORT" envDefault:"50001"`
	// OTLPEndpoint is the base URL of an OTLP/HTTP collector; traces are not exported when it is empty.
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
}

// Validate reports settings that are missing or invalid. A service config that embeds Common and
// declares its own Validate must call Common.Validate from it.
func (c Common) Validate() error {
	if c.AppAPIToken == "" {
		return errors.New("APP_API_TOKEN is required")
	}
	return nil
}

// Database is the setting of a service that owns a database. Embed it without a prefix, next to
// Common; a config embedding both must declare its own Validate and call theirs.
type Database struct {
	// DatabaseURL is the postgres:// URL of the service's database.
	DatabaseURL string `env:"DATABASE_URL,required"`
}

// Validate reports a missing DATABASE_URL (set, but empty).
func (d Database) Validate() error {
	if d.DatabaseURL == "" {
		return errors.New("DATABASE_URL is required")
	}
	return nil
}

// ValidatePort reports an APP_PORT that is not a TCP port (1 to 65535).
func ValidatePort(port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("APP_PORT %d is not a port", port)
	}
	return nil
}

// ListenAddr is the address a service listening on port binds: that port on all interfaces.
func ListenAddr(port int) string {
	return fmt.Sprintf(":%d", port)
}

// validator is implemented by configs that check themselves after parsing.
type validator interface {
	Validate() error
}

// Load parses T from the environment and then calls its Validate method, if T or *T has one.
// Errors are prefixed with "config: ".
func Load[T any]() (T, error) {
	cfg, err := env.ParseAs[T]()
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	// The method set of *T includes the methods of T, so one assertion covers both receivers.
	if v, ok := any(&cfg).(validator); ok {
		if err := v.Validate(); err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
	}
	return cfg, nil
}
