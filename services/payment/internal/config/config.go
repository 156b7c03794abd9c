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
	config.Database // the payments database
	// Port is the HTTP port of the API and of the sidecar's deliveries.
	Port int `env:"APP_PORT" envDefault:"8082"`
	// DeclineAbove makes the simulated provider decline amounts above it (minor units).
	DeclineAbove int64 `env:"PAYMENT_DECLINE_ABOVE" envDefault:"1000000"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	return config.Load[Config]()
}

// Validate reports missing or invalid settings.
func (c Config) Validate() error {
	errs := []error{c.Common.Validate(), config.ValidatePort(c.Port), c.Database.Validate()}
	if c.DeclineAbove < 0 {
		errs = append(errs, fmt.Errorf("PAYMENT_DECLINE_ABOVE must not be negative, got %d", c.DeclineAbove))
	}
	return errors.Join(errs...)
}

// Addr is the HTTP listen address.
func (c Config) Addr() string {
	return config.ListenAddr(c.Port)
}
