// Command order owns Orderflow's orders: it creates them (idempotently), serves them, applies
// customer and operator status changes and the outcomes of their payments, and publishes
// order.created and order.status.changed through its outbox.
package main

import (
	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/order/contract"
	"github.com/orderflow/orderflow/services/order/internal/config"
	order "github.com/orderflow/orderflow/services/order/internal/service"
)

func main() {
	service.MainConfig(contract.AppID, config.Load, order.Run)
}
