// Command payment charges new orders through the payment provider, refunds cancelled ones and
// publishes payment.completed, payment.failed and payment.refunded through its outbox.
package main

import (
	"github.com/orderflow/orderflow/pkg/platform/service"
	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/internal/config"
	payment "github.com/orderflow/orderflow/services/payment/internal/service"
)

func main() {
	service.MainConfig(contract.AppID, config.Load, payment.Run)
}
