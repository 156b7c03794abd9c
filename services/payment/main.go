// Command payment charges new orders through the payment provider, refunds cancelled ones and
// publishes payment.completed, payment.failed and payment.refunded through its outbox.
package main

import (
	"context"
	"log/slog"

	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/internal/config"
	payment "github.com/orderflow/orderflow/services/payment/internal/service"
)

func main() {
	service.Main(contract.AppID, run)
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return payment.Run(ctx, cfg, log)
}
