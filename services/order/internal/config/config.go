// Package config is the order service's configuration, read from the environment.
package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/orderflow/orderflow/pkg/platform/config"
)

// Config is the order service's configuration.
type Config struct {
	config.Common
	// Port is the HTTP port the app listens on (the sidecar's --app-port).
	Port int `env:"APP_PORT" envDefault:"8081"`
	// DatabaseURL is the postgres:// URL of the orders database.
	DatabaseURL string `env:"DATABASE_URL,required"`
	// IdempotencyTTL is how long an Idempotency-Key is remembered (at least; expired keys are
	// pruned periodically).
	IdempotencyTTL time.Duration `env:"IDEMPOTENCY_TTL" envDefault:"24h"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	return config.Load[Config]()
}

// Validate reports missing or invalid settings.
func (c Config) Validate() error {
	var errs []error
	if err := c.Common.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("APP_PORT %d is not a port", c.Port))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if c.IdempotencyTTL < time.Minute {
		errs = append(errs, fmt.Errorf("IDEMPOTENCY_TTL %s must be at least 1m", c.IdempotencyTTL))
	}
	return errors.Join(errs...)
}

// Addr is the listen address.
func (c Config) Addr() string {
	return fmt.Sprintf(":%d", c.Port)
}
