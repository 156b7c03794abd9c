// Command analytics stores every order and payment event once, from bulk deliveries, keeps
// hourly aggregates per currency and serves a summary over HTTP.
package main

import (
	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/config"
	analytics "github.com/orderflow/orderflow/services/analytics/internal/service"
)

func main() {
	service.MainConfig(contract.AppID, config.Load, analytics.Run)
}
