package pubsub

import "github.com/labstack/echo/v4"

// RequireAppToken is echo middleware for the app's routes that only its sidecar may call, such
// as the dead-letter admin API under /admin: Dapr service invocation carries the same
// dapr-api-token header as event deliveries. A request without the router's app token is
// answered 401 with the JSON error body (through the server's error handler); an empty app
// token rejects every request, as on the event routes.
func (r *Router) RequireAppToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !r.authorized(c.Request().Header.Get(HeaderAPIToken)) {
			return errUnauthorized
		}
		return next(c)
	}
}
