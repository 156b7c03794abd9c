// Package config is the gateway's configuration, read from the environment.
package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/orderflow/orderflow/pkg/platform/config"
	"github.com/orderflow/orderflow/services/gateway/internal/domain"
)

// Config is the gateway's configuration. The Dapr sidecar that every service call goes through is
// located by DAPR_HOST and DAPR_HTTP_PORT (config.Common).
type Config struct {
	config.Common
	// Port is the HTTP port the gateway listens on.
	Port int `env:"APP_PORT" envDefault:"8080"`

	// APIKeys are the public API keys as key:clientId pairs separated by commas.
	APIKeys string `env:"API_KEYS" secret:"true"`
	// AdminAPIKeys are the keys accepted on /admin (and on the public routes), same format.
	AdminAPIKeys string `env:"ADMIN_API_KEYS" secret:"true"`

	// RateLimitPerMinute is the number of requests one API key may make per minute; 0 disables
	// rate limiting.
	RateLimitPerMinute int `env:"RATE_LIMIT_PER_MINUTE" envDefault:"600"`

	RedisAddr     string `env:"REDIS_ADDR" envDefault:"127.0.0.1:6379"`
	RedisPassword string `env:"REDIS_PASSWORD" secret:"true"`
	RedisDB       int    `env:"REDIS_DB" envDefault:"0"`
	// RedisTimeout bounds every Redis operation; when Redis is slow or down the gateway goes on
	// without it (rate limiting fails open, idempotency falls back to the order service).
	RedisTimeout time.Duration `env:"REDIS_TIMEOUT" envDefault:"100ms"`

	// UpstreamTimeout bounds every call to a service through the sidecar, response body included.
	UpstreamTimeout time.Duration `env:"UPSTREAM_TIMEOUT" envDefault:"5s"`
	// IdempotencyTTL is how long a POST /orders response stays in the idempotency cache.
	IdempotencyTTL time.Duration `env:"IDEMPOTENCY_TTL" envDefault:"24h"`
	// IdempotencyLockTTL is how long the in-flight lock of an idempotency key lives at most; it
	// must outlast UPSTREAM_TIMEOUT, so a duplicate never races a call still in flight.
	IdempotencyLockTTL time.Duration `env:"IDEMPOTENCY_LOCK_TTL" envDefault:"30s"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	return config.Load[Config]()
}

// Validate reports missing or invalid settings.
func (c Config) Validate() error {
	errs := []error{c.Common.Validate(), config.ValidatePort(c.Port)}
	if _, err := c.Authenticator(); err != nil {
		errs = append(errs, err)
	}
	if c.RateLimitPerMinute < 0 {
		errs = append(errs, errors.New("RATE_LIMIT_PER_MINUTE must be 0 (disabled) or more"))
	}
	if c.RedisAddr == "" {
		errs = append(errs, errors.New("REDIS_ADDR is required"))
	}
	if c.RedisDB < 0 || c.RedisDB > 15 {
		errs = append(errs, errors.New("REDIS_DB must be from 0 to 15"))
	}
	if c.RedisTimeout <= 0 || c.RedisTimeout > time.Second {
		errs = append(errs, errors.New("REDIS_TIMEOUT must be more than 0 and at most 1s"))
	}
	if c.UpstreamTimeout <= 0 {
		errs = append(errs, errors.New("UPSTREAM_TIMEOUT must be positive"))
	}
	if c.IdempotencyTTL <= 0 {
		errs = append(errs, errors.New("IDEMPOTENCY_TTL must be positive"))
	}
	if c.IdempotencyLockTTL <= c.UpstreamTimeout {
		errs = append(errs, errors.New("IDEMPOTENCY_LOCK_TTL must be longer than UPSTREAM_TIMEOUT"))
	}
	return errors.Join(errs...)
}

// Authenticator builds the API key authenticator from API_KEYS and ADMIN_API_KEYS. Its errors
// never quote a key.
func (c Config) Authenticator() (domain.Authenticator, error) {
	public, err := domain.ParseAPIKeys(c.APIKeys)
	if err != nil {
		return domain.Authenticator{}, fmt.Errorf("API_KEYS: %w", err)
	}
	admin, err := domain.ParseAPIKeys(c.AdminAPIKeys)
	if err != nil {
		return domain.Authenticator{}, fmt.Errorf("ADMIN_API_KEYS: %w", err)
	}
	auth, err := domain.NewAuthenticator(public, admin)
	if err != nil {
		return domain.Authenticator{}, fmt.Errorf("API_KEYS, ADMIN_API_KEYS: %w", err)
	}
	return auth, nil
}

// Addr is the listen address.
func (c Config) Addr() string {
	return config.ListenAddr(c.Port)
}
