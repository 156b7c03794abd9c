package service_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/contract/contracttest"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/service"
)

// TestContractServed checks the service against contract.Spec: its routes are registered and
// its event routes are exactly the contract's. The pool never connects: building the service
// is enough.
func TestContractServed(t *testing.T) {
	svc := service.New(service.Options{AppToken: appToken, Pool: pooltest.Unreachable(t), Log: slog.New(slog.DiscardHandler)})
	require.NoError(t, contracttest.CheckServed(contract.Spec, svc.Server.Echo.Routes(), svc.Router.Routes()))
}
