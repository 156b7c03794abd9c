// Package scenarios is Orderflow's end-to-end scenario suite. It drives a running system only
// through its public edges — the gateway's HTTP API, the broker (Redis Streams: the topics'
// streams) and the services' databases (row counts, and the platform's outbox/inbox tables) —
// so that every run mode can execute it: local processes (e2e/localstack) and the compose
// stack (testcontainers).
//
// Waits are bounded correctness timeouts (Timeout), not speed targets.
package scenarios

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Service names, as the System's DB and the gateway's admin API know them.
const (
	Order        = "order"
	Payment      = "payment"
	Notification = "notification"
	Analytics    = "analytics"
)

// DatabaseServices are the services that own a database.
var DatabaseServices = []string{Order, Payment, Notification, Analytics}

// Timeout bounds every wait for the system to reach a state.
const Timeout = 30 * time.Second

// System is a running Orderflow under test.
//
// The gateway must accept enough requests per minute for the suite (it places a few hundred
// requests a minute, 50 of them at once): configure RATE_LIMIT_PER_MINUTE accordingly.
type System interface {
	// Gateway returns the gateway's base URL (e.g. http://127.0.0.1:8080), a public API key and
	// an admin API key.
	Gateway() (baseURL, apiKey, adminKey string)
	// DB returns a pool on the database of a service (Order, Payment, Notification,
	// Analytics), closed when t ends. The suite reads row counts and the platform tables
	// (outbox, processed_events) and, in one scenario, holds a table lock for a moment.
	DB(t testing.TB, service string) *pgxpool.Pool
	// Broker returns a client on the Redis database holding the topics' streams (the one the
	// sidecars' pub/sub component uses), closed when t ends.
	Broker(t testing.TB) *redis.Client
}

// Faults is implemented by systems that can take a service down and bring it back; the suite
// then also runs its fault scenarios. Kill ends the service and its sidecar at once (SIGKILL,
// as a crash of its pod); Start starts both again and returns when the service is ready.
type Faults interface {
	Kill(t testing.TB, service string)
	Start(t testing.TB, service string)
}
