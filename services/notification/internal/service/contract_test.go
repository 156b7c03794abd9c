package service_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/contract/contracttest"
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/service"
)

// TestContractServed checks the service against contract.Spec: its routes are registered and
// its event routes are exactly the contract's. The pool never connects: building the service
// is enough.
func TestContractServed(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	svc := service.New(service.Options{AppToken: appToken, Pool: pool, Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, contracttest.CheckServed(contract.Spec, svc.Server.Echo.Routes(), svc.Router.Routes()))
}
