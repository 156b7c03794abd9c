// Package contracttest checks a service's routers against its contract (contract.Service), for
// the service's own tests.
package contracttest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/orderflow/orderflow/pkg/platform/contract"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

// CheckServed checks that spec is valid and that a service serves it: its echo routes (served,
// from echo.Echo.Routes) include spec.Routes and, as POST, spec.EventRoutes; its event router's
// routes (events, from pubsub.Router.Routes; nil for a service without one) are exactly
// spec.EventRoutes; and its dead-letter routes store exactly spec.DeadLetterTopics. It returns
// every problem found, joined.
func CheckServed(spec contract.Service, served []*echo.Route, events []pubsub.RouteInfo) error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{spec.AppID}, args...)...))
	}
	if err := spec.Validate(); err != nil {
		errs = append(errs, err)
	}
	isServed := func(r contract.Route) bool {
		return slices.ContainsFunc(served, func(s *echo.Route) bool { return s.Method == r.Method && s.Path == r.Path })
	}
	for _, r := range spec.Routes {
		if !isServed(r) {
			fail("route %s of the contract is not served", r)
		}
	}
	for _, path := range spec.EventRoutes {
		if r := (contract.Route{Method: "POST", Path: path}); !isServed(r) {
			fail("event route %s of the contract is not served (as %s)", path, r)
		}
	}
	var routed, deadLetterTopics []string
	for _, r := range events {
		routed = append(routed, r.Path)
		if !slices.Contains(spec.EventRoutes, r.Path) {
			fail("event route %s is not in the contract's EventRoutes", r.Path)
		}
		if r.Kind == pubsub.RouteDeadLetter {
			deadLetterTopics = append(deadLetterTopics, r.Topic)
			if !slices.Contains(spec.DeadLetterTopics, r.Topic) {
				fail("dead-letter route %s stores %s, which is not a dead-letter topic of the contract %v", r.Path, r.Topic, spec.DeadLetterTopics)
			}
		}
	}
	for _, path := range spec.EventRoutes {
		if !slices.Contains(routed, path) {
			fail("event route %s of the contract has no route in the event router", path)
		}
	}
	for _, topic := range spec.DeadLetterTopics {
		if !slices.Contains(deadLetterTopics, topic) {
			fail("dead-letter topic %s of the contract has no dead-letter route", topic)
		}
	}
	return errors.Join(errs...)
}
