package contract_test

import (
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/contract"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
)

// consumer is a valid contract of a service that publishes and consumes.
func consumer() contract.Service {
	return contract.Service{
		AppID:            "payment",
		Port:             8082,
		Routes:           append([]contract.Route{{Method: "GET", Path: "/payments"}}, contract.DeadLetterAdminRoutes("/admin")...),
		EventRoutes:      []string{"/events/orders/created", "/events/orders/other", "/deadletters/orders"},
		Publishes:        []string{"payments"},
		Consumes:         []string{"orders"},
		DeadLetterTopics: []string{"orders.payment.dlq"},
	}
}

func TestScopes(t *testing.T) {
	s := consumer()
	assert.Equal(t, []string{"orders.payment.dlq", "payments"}, s.PublishingScope())
	assert.Equal(t, []string{"orders", "orders.payment.dlq"}, s.SubscriptionScope())
	assert.True(t, s.UsesPubSub())

	s = contract.Service{
		AppID: "notification", Consumes: []string{"payments", "orders"},
		DeadLetterTopics: []string{"payments.notification.dlq", "orders.notification.dlq"},
	}
	assert.Equal(t, []string{"orders.notification.dlq", "payments.notification.dlq"}, s.PublishingScope(), "sorted")
	assert.Equal(t, []string{"orders", "orders.notification.dlq", "payments", "payments.notification.dlq"}, s.SubscriptionScope())

	s = contract.Service{AppID: "gateway", Port: 8080}
	assert.Empty(t, s.PublishingScope())
	assert.NotNil(t, s.PublishingScope(), "an empty list, not nil")
	assert.Empty(t, s.SubscriptionScope())
	assert.False(t, s.UsesPubSub())
	assert.NoError(t, s.Validate())
}

func TestScopesDoNotAliasTheContract(t *testing.T) {
	s := consumer()
	s.PublishingScope()[0] = "changed"
	s.SubscriptionScope()[0] = "changed"
	assert.Equal(t, consumer(), s)
}

func TestValidate(t *testing.T) {
	require.NoError(t, consumer().Validate())

	cases := []struct {
		name   string
		change func(s *contract.Service)
		want   string
	}{
		{"no app id", func(s *contract.Service) { s.AppID = "" }, "no app id"},
		{"no port", func(s *contract.Service) { s.Port = 0 }, "port 0 is not a port"},
		{"a port out of range", func(s *contract.Service) { s.Port = 70000 }, "port 70000 is not a port"},
		{"a lower-case method", func(s *contract.Service) { s.Routes[0].Method = "get" }, `route get /payments: method "get" is not`},
		{"a relative path", func(s *contract.Service) { s.Routes[0].Path = "payments" }, `route "payments" does not start with /`},
		{"a duplicate route", func(s *contract.Service) { s.Routes = append(s.Routes, s.Routes[0]) }, "route GET /payments listed twice"},
		{"an operational route", func(s *contract.Service) { s.Routes[0].Path = "/readyz" }, "route /readyz is an operational path"},
		{"an operational event route", func(s *contract.Service) { s.EventRoutes[0] = "/metrics" }, "event route /metrics is an operational path"},
		{"a duplicate event route", func(s *contract.Service) { s.EventRoutes[1] = s.EventRoutes[0] }, "event route /events/orders/created listed twice"},
		{
			"an event route that is an API route too",
			func(s *contract.Service) { s.EventRoutes[0] = "/admin/deadletters/:id/replay" },
			"event route /admin/deadletters/:id/replay is also the API route POST /admin/deadletters/:id/replay",
		},
		{"a duplicate topic", func(s *contract.Service) { s.Publishes = []string{"payments", "payments"} }, "publishes [payments payments]: empty or duplicate"},
		{"an empty topic", func(s *contract.Service) { s.Publishes = []string{""} }, "publishes []: empty or duplicate"},
		{
			"a dead-letter topic among the consumed ones",
			func(s *contract.Service) { s.Consumes = append(s.Consumes, "orders.payment.dlq") },
			"consumes the dead-letter topic orders.payment.dlq",
		},
		{
			"a consumed topic without its dead-letter topic",
			func(s *contract.Service) { s.Consumes = append(s.Consumes, "payments") },
			"dead-letter topics [orders.payment.dlq], want one per consumed topic: [orders.payment.dlq payments.payment.dlq]",
		},
		{
			"another consumer's dead-letter topic",
			func(s *contract.Service) { s.DeadLetterTopics = []string{"orders.order.dlq"} },
			"dead-letter topics [orders.order.dlq], want one per consumed topic: [orders.payment.dlq]",
		},
		{"too few event routes", func(s *contract.Service) { s.EventRoutes = s.EventRoutes[:1] }, "1 event routes for 2 subscribed topics"},
		{
			"event routes without subscriptions",
			func(s *contract.Service) { s.Consumes, s.DeadLetterTopics = nil, nil },
			"3 event routes for 0 subscribed topics",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := consumer()
			c.change(&s)
			err := s.Validate()
			require.Error(t, err)
			assert.ErrorContains(t, err, "contract "+s.AppID+": "+c.want)
		})
	}
}

func TestOperationalPathsAreTheServers(t *testing.T) {
	assert.ElementsMatch(t, []string{httpserver.HealthPath, httpserver.ReadyPath, httpserver.MetricsPath}, contract.OperationalPaths)
}

func TestDeadLetterAdminRoutesAreTheRegisteredOnes(t *testing.T) {
	e := echo.New()
	deadletter.RegisterAdmin(e.Group("/admin"), nil, nil)
	var registered []contract.Route
	for _, r := range e.Routes() {
		registered = append(registered, contract.Route{Method: r.Method, Path: r.Path})
	}
	assert.ElementsMatch(t, contract.DeadLetterAdminRoutes("/admin"), registered)
}
