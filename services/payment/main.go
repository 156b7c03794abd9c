// Command payment charges new orders through the payment provider and refunds cancelled ones.
package main

import (
	"github.com/orderflow/orderflow/pkg/platform/service"
	paymentservice "github.com/orderflow/orderflow/services/payment/internal/service"
)

func main() {
	service.Main("payment", paymentservice.Run)
}
