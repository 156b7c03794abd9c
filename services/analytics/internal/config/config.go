// Package config is the analytics service's configuration, read from the environment.
package config

import (
	"errors"

	"github.com/orderflow/orderflow/pkg/platform/config"
)

// Config is the analytics service's configuration.
type Config struct {
	config.Common
	config.Database // the analytics database
	// Port is the HTTP port the app listens on (the sidecar's --app-port).
	Port int `env:"APP_PORT" envDefault:"8084"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	return config.Load[Config]()
}

// Validate reports missing or invalid settings.
func (c Config) Validate() error {
	return errors.Join(c.Common.Validate(), config.ValidatePort(c.Port), c.Database.Validate())
}

// Addr is the listen address.
func (c Config) Addr() string {
	return config.ListenAddr(c.Port)
}
