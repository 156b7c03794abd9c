// Command notification stores the messages Orderflow would send to customers for order and
// payment events, and serves them over HTTP.
package main

import (
	"context"
	"log/slog"

	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/config"
	notification "github.com/orderflow/orderflow/services/notification/internal/service"
)

func main() {
	service.Main(contract.AppID, run)
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return notification.Run(ctx, cfg, log)
}
