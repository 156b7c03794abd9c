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
	config.Database // the orders database
	// Port is the HTTP port the app listens on (the sidecar's --app-port).
	Port int `env:"APP_PORT" envDefault:"8081"`
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
	errs := []error{c.Common.Validate(), config.ValidatePort(c.Port), c.Database.Validate()}
	if c.IdempotencyTTL < time.Minute {
		errs = append(errs, fmt.Errorf("IDEMPOTENCY_TTL %s must be at least 1m", c.IdempotencyTTL))
	}
	return errors.Join(errs...)
}

// Addr is the listen address.
func (c Config) Addr() string {
	return config.ListenAddr(c.Port)
}
