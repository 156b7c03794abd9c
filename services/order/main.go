// Command order owns Orderflow's orders: it creates them (idempotently), serves them, applies
// customer and operator status changes and the outcomes of their payments, and publishes
// order.created and order.status.changed through its outbox.
package main

import (
	"context"
	"log/slog"

	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/order/contract"
	"github.com/orderflow/orderflow/services/order/internal/config"
	order "github.com/orderflow/orderflow/services/order/internal/service"
)

func main() {
	service.Main(contract.AppID, run)
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return order.Run(ctx, cfg, log)
}
