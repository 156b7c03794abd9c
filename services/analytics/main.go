// Command analytics stores every order and payment event once, from bulk deliveries, keeps
// hourly aggregates per currency and serves a summary over HTTP.
package main

import (
	"context"
	"log/slog"

	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/config"
	analytics "github.com/orderflow/orderflow/services/analytics/internal/service"
)

func main() {
	service.Main(contract.AppID, run)
}

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	return analytics.Run(ctx, cfg, log)
}
