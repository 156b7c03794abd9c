package contracttest_test

import (
	"context"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/contract"
	"github.com/orderflow/orderflow/pkg/platform/contract/contracttest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

var spec = contract.Service{
	AppID:            "payment",
	Port:             8082,
	Routes:           []contract.Route{{Method: "GET", Path: "/payments"}},
	EventRoutes:      []string{"/events/orders", "/deadletters/orders"},
	Publishes:        []string{"payments"},
	Consumes:         []string{"orders"},
	DeadLetterTopics: []string{"orders.payment.dlq"},
}

type noSink struct{}

func (noSink) Save(context.Context, string, events.CloudEvent, []byte) error { return nil }

func ignore(context.Context, events.CloudEvent) error { return nil }

// check checks s against the echo routes and event router a service serving spec has; change
// edits them before the router is mounted.
func check(s contract.Service, change func(e *echo.Echo, r *pubsub.Router)) error {
	e := echo.New()
	r := pubsub.NewRouter("payment", "token", nil)
	e.GET("/payments", func(echo.Context) error { return nil })
	e.GET("/healthz", func(echo.Context) error { return nil })
	r.Default("/events/orders", ignore)
	r.DeadLetter("/deadletters/orders", "orders.payment.dlq", noSink{})
	if change != nil {
		change(e, r)
	}
	r.Register(e)
	return contracttest.CheckServed(s, e.Routes(), r.Routes())
}

func TestCheckServed(t *testing.T) {
	require.NoError(t, check(spec, nil))

	t.Run("a service without event routes", func(t *testing.T) {
		gw := contract.Service{AppID: "gateway", Port: 8080, Routes: []contract.Route{{Method: "GET", Path: "/orders"}}}
		e := echo.New()
		e.GET("/orders", func(echo.Context) error { return nil })
		assert.NoError(t, contracttest.CheckServed(gw, e.Routes(), nil))
	})
	t.Run("an invalid contract", func(t *testing.T) {
		s := spec
		s.Port = 0
		assert.ErrorContains(t, check(s, nil), "contract payment: port 0 is not a port")
	})
	t.Run("a route not served", func(t *testing.T) {
		s := spec
		s.Routes = append(s.Routes, contract.Route{Method: "GET", Path: "/payments/:id"})
		assert.ErrorContains(t, check(s, nil), "payment: route GET /payments/:id of the contract is not served")
	})
	t.Run("a route served with another method", func(t *testing.T) {
		s := spec
		s.Routes = []contract.Route{{Method: "POST", Path: "/payments"}}
		assert.ErrorContains(t, check(s, nil), "route POST /payments of the contract is not served")
	})
	t.Run("an event route not routed", func(t *testing.T) {
		s := spec
		s.EventRoutes = append(s.EventRoutes, "/events/orders/created")
		err := check(s, nil)
		assert.ErrorContains(t, err, "event route /events/orders/created of the contract is not served (as POST /events/orders/created)")
		assert.ErrorContains(t, err, "event route /events/orders/created of the contract has no route in the event router")
	})
	t.Run("an event route not in the contract", func(t *testing.T) {
		err := check(spec, func(_ *echo.Echo, r *pubsub.Router) { r.Default("/events/other", ignore) })
		assert.ErrorContains(t, err, "payment: event route /events/other is not in the contract's EventRoutes")
	})
	t.Run("a dead-letter route storing another topic", func(t *testing.T) {
		s := spec
		s.EventRoutes = append(s.EventRoutes, "/deadletters/payments")
		err := check(s, func(_ *echo.Echo, r *pubsub.Router) {
			r.DeadLetter("/deadletters/payments", "payments.payment.dlq", noSink{})
		})
		assert.ErrorContains(t, err, "dead-letter route /deadletters/payments stores payments.payment.dlq, which is not a dead-letter topic of the contract [orders.payment.dlq]")
	})
	t.Run("a dead-letter topic without a route", func(t *testing.T) {
		s := spec
		s.Consumes = []string{"orders", "payments"}
		s.DeadLetterTopics = []string{"orders.payment.dlq", "payments.payment.dlq"}
		s.EventRoutes = append(s.EventRoutes, "/events/payments")
		err := check(s, func(_ *echo.Echo, r *pubsub.Router) { r.Default("/events/payments", ignore) })
		assert.ErrorContains(t, err, "payment: dead-letter topic payments.payment.dlq of the contract has no dead-letter route")
	})
}
