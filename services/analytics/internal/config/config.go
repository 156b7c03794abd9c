// Package config is the analytics service's configuration, read from the environment.
package config

import (
	"errors"
	"fmt"

	"github.com/orderflow/orderflow/pkg/platform/config"
)

// Config is the analytics service's configuration.
type Config struct {
	config.Common
	// Port is the HTTP port the app listens on (the sidecar's --app-port).
	Port int `env:"APP_PORT" envDefault:"8084"`
	// DatabaseURL is the postgres:// URL of the analytics database.
	DatabaseURL string `env:"DATABASE_URL,required"`
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
	return errors.Join(errs...)
}

// Addr is the listen address.
func (c Config) Addr() string {
	return fmt.Sprintf(":%d", c.Port)
}
