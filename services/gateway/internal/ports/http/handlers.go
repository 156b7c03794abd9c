// Package http is the gateway's HTTP port: API-key authentication, per-key rate limiting, strict
// JSON binding and validation, and handlers that hand each request to the app's use cases and
// write their answers. Invalid input is answered here and never reaches a service.
package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	platformcontract "github.com/orderflow/orderflow/pkg/platform/contract"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/services/gateway/contract"
	"github.com/orderflow/orderflow/services/gateway/internal/app"
	"github.com/orderflow/orderflow/services/gateway/internal/domain"
)

// Handlers serve the gateway's routes.
type Handlers struct {
	gw   *app.Gateway
	auth domain.Authenticator
}

// Register mounts every route of contract.Spec.Routes and /openapi.yaml on e.
func Register(e *echo.Echo, gw *app.Gateway, auth domain.Authenticator) {
	h := &Handlers{gw: gw, auth: auth}
	public := []echo.MiddlewareFunc{h.authenticate(false), h.rateLimit}
	admin := []echo.MiddlewareFunc{h.authenticate(true), h.rateLimit}
	handlers := map[platformcontract.Route]echo.HandlerFunc{
		{Method: http.MethodPost, Path: contract.PathOrders}:            h.createOrder,
		{Method: http.MethodGet, Path: contract.PathOrders}:             h.listOrders,
		{Method: http.MethodGet, Path: contract.PathOrder}:              h.getOrder,
		{Method: http.MethodPut, Path: contract.PathOrderStatus}:        h.changeOrderStatus,
		{Method: http.MethodGet, Path: contract.PathOrderPayments}:      h.orderPayments,
		{Method: http.MethodGet, Path: contract.PathOrderNotifications}: h.orderNotifications,
		{Method: http.MethodGet, Path: contract.PathPayments}:           h.listPayments,
		{Method: http.MethodGet, Path: contract.PathNotifications}:      h.listNotifications,
		{Method: http.MethodGet, Path: contract.PathAnalyticsSummary}:   h.analyticsSummary,
		{Method: http.MethodGet, Path: contract.PathDeadLetters}:        h.listDeadLetters,
		{Method: http.MethodGet, Path: contract.PathDeadLetter}:         h.getDeadLetter,
		{Method: http.MethodPost, Path: contract.PathDeadLetterReplay}:  h.replayDeadLetter,
	}
	for _, r := range contract.Spec.Routes {
		handler, ok := handlers[r]
		if !ok {
			panic(fmt.Sprintf("gateway: no handler for %s", r))
		}
		mw := public
		if contract.IsAdmin(r) {
			mw = admin
		}
		e.Add(r.Method, r.Path, handler, mw...)
	}
	e.GET(contract.PathOpenAPI, openAPI)
}

// openAPI serves the embedded OpenAPI document.
func openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", contract.OpenAPI)
}

func (h *Handlers) createOrder(c echo.Context) error {
	key := c.Request().Header.Get(contract.HeaderIdempotencyKey)
	if _, present := c.Request().Header[contract.HeaderIdempotencyKey]; present && !domain.ValidIdempotencyKey(key) {
		return httpserver.ValidationError(map[string]string{
			contract.HeaderIdempotencyKey: fmt.Sprintf("must be 1 to %d printable ASCII characters", domain.MaxIdempotencyKeyLength),
		})
	}
	var req domain.CreateOrder
	if err := httpserver.BindJSON(c, &req); err != nil {
		return err
	}
	if p := req.Validate(); len(p) > 0 {
		return httpserver.ValidationError(p)
	}
	return respond(c)(h.gw.CreateOrder(c.Request().Context(), client(c), key, req))
}

func (h *Handlers) getOrder(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return respond(c)(h.gw.GetOrder(c.Request().Context(), client(c), id))
}

func (h *Handlers) listOrders(c echo.Context) error {
	if err := requireCustomerID(c); err != nil {
		return err
	}
	return respond(c)(h.gw.ListOrders(c.Request().Context(), client(c), c.QueryParams()))
}

func (h *Handlers) changeOrderStatus(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req domain.StatusChange
	if err := httpserver.BindJSON(c, &req); err != nil {
		return err
	}
	if p := req.Validate(); len(p) > 0 {
		return httpserver.ValidationError(p)
	}
	return respond(c)(h.gw.ChangeOrderStatus(c.Request().Context(), client(c), id, req))
}

func (h *Handlers) orderPayments(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return respond(c)(h.gw.OrderPayments(c.Request().Context(), client(c), id))
}

func (h *Handlers) listPayments(c echo.Context) error {
	if err := requireCustomerID(c); err != nil {
		return err
	}
	return respond(c)(h.gw.ListPayments(c.Request().Context(), client(c), c.QueryParams()))
}

func (h *Handlers) orderNotifications(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return respond(c)(h.gw.OrderNotifications(c.Request().Context(), client(c), id))
}

func (h *Handlers) listNotifications(c echo.Context) error {
	if err := requireCustomerID(c); err != nil {
		return err
	}
	return respond(c)(h.gw.ListNotifications(c.Request().Context(), client(c), c.QueryParams()))
}

func (h *Handlers) analyticsSummary(c echo.Context) error {
	return respond(c)(h.gw.AnalyticsSummary(c.Request().Context(), client(c), c.QueryParams()))
}

func (h *Handlers) listDeadLetters(c echo.Context) error {
	f := app.DeadLetterFilter{Limit: domain.DefaultDeadLetterLimit}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > domain.MaxDeadLetterLimit {
			return httpserver.ValidationError(map[string]string{"limit": fmt.Sprintf("must be an integer from 1 to %d", domain.MaxDeadLetterLimit)})
		}
		f.Limit = n
	}
	if v := c.QueryParam("pending"); v != "" {
		pending, err := strconv.ParseBool(v)
		if err != nil {
			return httpserver.ValidationError(map[string]string{"pending": "must be true or false"})
		}
		f.Pending = &pending
	}
	list, err := h.gw.ListDeadLetters(c.Request().Context(), client(c), f)
	if err != nil {
		return publicError(err)
	}
	return c.JSON(http.StatusOK, list)
}

func (h *Handlers) getDeadLetter(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return respond(c)(h.gw.GetDeadLetter(c.Request().Context(), client(c), c.Param("service"), id))
}

func (h *Handlers) replayDeadLetter(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	body, err := optionalJSONBody(c)
	if err != nil {
		return err
	}
	return respond(c)(h.gw.ReplayDeadLetter(c.Request().Context(), client(c), c.Param("service"), id, body))
}

// optionalJSONBody reads a body that may be absent; when present it must be a JSON object sent as
// application/json. It is passed on as it is.
func optionalJSONBody(c echo.Context) ([]byte, error) {
	req := c.Request()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		var httpErr *echo.HTTPError
		if errors.As(err, &maxErr) || (errors.As(err, &httpErr) && httpErr.Code == http.StatusRequestEntityTooLarge) {
			return nil, httpserver.NewError(http.StatusRequestEntityTooLarge, httpserver.CodePayloadTooLarge, "request body is too large")
		}
		return nil, httpserver.NewError(http.StatusBadRequest, httpserver.CodeInvalidJSON, "request body could not be read")
	}
	if len(body) == 0 {
		return nil, nil
	}
	if mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); err != nil || mt != echo.MIMEApplicationJSON {
		return nil, httpserver.NewError(http.StatusUnsupportedMediaType, httpserver.CodeUnsupportedMediaType, "Content-Type must be application/json")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, httpserver.NewError(http.StatusBadRequest, httpserver.CodeInvalidJSON, "request body must be a JSON object")
	}
	return body, nil
}

// pathID returns a path parameter that must be a valid id.
func pathID(c echo.Context, name string) (string, error) {
	id := c.Param(name)
	if !domain.ValidID(id) {
		return "", httpserver.ValidationError(map[string]string{
			name: fmt.Sprintf("must be 1 to %d characters from A-Z a-z 0-9 . _ ~ : -", domain.MaxIDLength),
		})
	}
	return id, nil
}

// requireCustomerID checks the customerId query parameter of the list routes.
func requireCustomerID(c echo.Context) error {
	if !domain.ValidCustomerID(c.QueryParam("customerId")) {
		return httpserver.ValidationError(map[string]string{
			"customerId": fmt.Sprintf("query parameter is required, at most %d characters", domain.MaxCustomerIDLength),
		})
	}
	return nil
}

// respond writes a service's answer, or maps the use case's error.
func respond(c echo.Context) func(app.Response, error) error {
	return func(resp app.Response, err error) error {
		if err != nil {
			if errors.Is(err, app.ErrInProgress) {
				c.Response().Header().Set("Retry-After", "1")
			}
			return publicError(err)
		}
		header := c.Response().Header()
		for k, vs := range resp.Header {
			for _, v := range vs {
				header.Add(k, v)
			}
		}
		if len(resp.Body) == 0 {
			return c.NoContent(resp.Status)
		}
		contentType := resp.Header.Get(echo.HeaderContentType)
		if contentType == "" {
			contentType = echo.MIMEApplicationJSON
		}
		return c.Blob(resp.Status, contentType, resp.Body)
	}
}

// Errors of the gateway itself (the services' own errors pass through).
var (
	errUnavailable = httpserver.NewError(http.StatusServiceUnavailable, "service_unavailable", "a service is unavailable, try again later")
	errUpstream    = httpserver.NewError(http.StatusBadGateway, "upstream_error", "a service failed to answer the request")
	errInProgress  = httpserver.NewError(http.StatusConflict, "request_in_progress",
		"a request with this Idempotency-Key is being processed, retry later")
	errKeyReused = httpserver.NewError(http.StatusUnprocessableEntity, "idempotency_key_reused",
		"this Idempotency-Key was used with a different request body")
	errUnknownService = httpserver.NewError(http.StatusNotFound, "unknown_service",
		"unknown service: use order, payment, notification or analytics")
)

// publicError maps a use case's error to the client's answer. Server errors keep their cause
// (wrapped) for the error log; the client sees only the public message.
func publicError(err error) error {
	var all *app.AllUnavailableError
	switch {
	case errors.As(err, &all):
		return fmt.Errorf("%w: %w", errUnavailable.WithDetails(all.Errors), err)
	case errors.Is(err, app.ErrUnavailable):
		return fmt.Errorf("%w: %w", errUnavailable, err)
	case errors.Is(err, app.ErrUpstream):
		return fmt.Errorf("%w: %w", errUpstream, err)
	case errors.Is(err, app.ErrInProgress):
		return errInProgress
	case errors.Is(err, app.ErrKeyReused):
		return errKeyReused
	case errors.Is(err, app.ErrUnknownService):
		return errUnknownService
	default:
		return err
	}
}
