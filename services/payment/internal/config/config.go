// Package config is the payment service's configuration, read from the environment.
package config

import (
	"errors"
	"fmt"

	"github.com/orderflow/orderflow/pkg/platform/config"
)

// Config is the payment service's configuration.
type Config struct {
	config.Common
	// Port is the HTTP port of the API and of the sidecar's deliveries.
	Port int `env:"APP_PORT" envDefault:"8082"`
	// DatabaseURL is the payments database (postgres://...).
	DatabaseURL string `env:"DATABASE_URL,required,notEmpty"`
	// DeclineAbove makes the simulated provider decline amounts above it (minor units).
	DeclineAbove int64 `env:"PAYMENT_DECLINE_ABOVE" envDefault:"1000000"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	return config.Load[Config]()
}

// Validate reports missing or invalid settings.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, c.Common.Validate())
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("APP_PORT must be from 1 to 65535, got %d", c.Port))
	}
	if c.DeclineAbove < 0 {
		errs = append(errs, fmt.Errorf("PAYMENT_DECLINE_ABOVE must not be negative, got %d", c.DeclineAbove))
	}
	return errors.Join(errs...)
}

// Addr is the HTTP listen address.
func (c Config) Addr() string {
	return fmt.Sprintf(":%d", c.Port)
}
