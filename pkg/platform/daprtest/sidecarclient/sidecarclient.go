// Package sidecarclient gives a test a Dapr client (pkg/platform/dapr) of a daprtest sidecar.
// It is apart from daprtest, which imports no Dapr SDK.
package sidecarclient

import (
	"log/slog"
	"testing"

	"github.com/orderflow/orderflow/pkg/platform/dapr"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
)

// New returns a client of s's HTTP and gRPC APIs that sends s's DAPR_API_TOKEN
// (daprtest.Options.APIToken), and closes it when the test ends. A nil log uses slog.Default().
func New(t testing.TB, s *daprtest.Sidecar, log *slog.Logger) *dapr.Client {
	t.Helper()
	c := dapr.New(dapr.Config{Host: "127.0.0.1", HTTPPort: s.HTTPPort, GRPCPort: s.GRPCPort, APIToken: s.APIToken}, log)
	t.Cleanup(c.Close)
	return c
}

// Publisher starts a sidecar that publishes only — its ResourcesPaths default to
// daprtest.ResourcesPathsWithoutSubscriptions, and it has no app port — and returns its client.
func Publisher(t testing.TB, opts daprtest.Options, log *slog.Logger) *dapr.Client {
	t.Helper()
	if opts.ResourcesPaths == nil {
		opts.ResourcesPaths = daprtest.ResourcesPathsWithoutSubscriptions(t)
	}
	opts.AppPort = 0
	return New(t, daprtest.Start(t, opts), log)
}
