// Command gateway is Orderflow's public HTTP API: it authenticates API keys, rate-limits them,
// validates requests and makes order creation idempotent, and calls the services through Dapr.
package main

import (
	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/gateway/contract"
	"github.com/orderflow/orderflow/services/gateway/internal/config"
	gateway "github.com/orderflow/orderflow/services/gateway/internal/service"
)

func main() {
	service.MainConfig(contract.AppID, config.Load, gateway.Run)
}
