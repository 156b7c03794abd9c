// Command notification stores the messages Orderflow would send to customers for order and
// payment events, and serves them over HTTP.
package main

import (
	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/config"
	notification "github.com/orderflow/orderflow/services/notification/internal/service"
)

func main() {
	service.MainConfig(contract.AppID, config.Load, notification.Run)
}
