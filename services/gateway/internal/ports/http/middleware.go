package http

import (
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/services/gateway/contract"
	"github.com/orderflow/orderflow/services/gateway/internal/domain"
)

// clientKey is where authenticate stores the caller in the echo context.
const clientKey = "gateway.client"

var (
	errUnauthorized = httpserver.NewError(http.StatusUnauthorized, "unauthorized", "missing or unknown API key (X-API-Key)")
	errForbidden    = httpserver.NewError(http.StatusForbidden, "forbidden", "this route needs an admin API key")
	errRateLimited  = httpserver.NewError(http.StatusTooManyRequests, "too_many_requests", "rate limit exceeded, retry later")
)

// authenticate identifies the caller by X-API-Key; with admin set, only admin keys pass. The key
// is never logged or passed on.
func (h *Handlers) authenticate(admin bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			client, ok := h.auth.Authenticate(c.Request().Header.Get(contract.HeaderAPIKey))
			if !ok {
				return errUnauthorized
			}
			if admin && !client.Admin {
				return errForbidden
			}
			c.Set(clientKey, client)
			return next(c)
		}
	}
}

// rateLimit counts the request against its API key's per-minute limit (after authenticate) and
// refuses it with 429 and Retry-After once the limit is spent. When Redis fails it lets the
// request through.
func (h *Handlers) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		d := h.gw.CheckRateLimit(c.Request().Context(), client(c))
		header := c.Response().Header()
		if d.Limit > 0 && d.Remaining >= 0 {
			header.Set(contract.HeaderRateLimitLimit, strconv.Itoa(d.Limit))
			header.Set(contract.HeaderRateLimitRemaining, strconv.Itoa(d.Remaining))
		}
		if !d.Allowed {
			header.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.RetryAfter.Seconds())))))
			return errRateLimited
		}
		return next(c)
	}
}

// client returns the caller stored by authenticate.
func client(c echo.Context) domain.Client {
	cl, _ := c.Get(clientKey).(domain.Client)
	return cl
}
