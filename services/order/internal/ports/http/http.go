// Package http is the order service's HTTP API, called by the gateway through Dapr service
// invocation: the handlers bind and check the request, call the app's use cases and map their
// results and errors to responses.
package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/services/order/contract"
	"github.com/orderflow/orderflow/services/order/internal/app"
	"github.com/orderflow/orderflow/services/order/internal/domain/order"
)

// Limits of the request headers.
const (
	MaxIdempotencyKeyLength = 200
	MaxClientIDLength       = 200
)

// Handlers serves the order API.
type Handlers struct {
	app *app.Service
}

// Register mounts the order API on e behind mw (the app-token check, pubsub.Router.RequireAppToken).
func Register(e *echo.Echo, svc *app.Service, mw ...echo.MiddlewareFunc) {
	h := Handlers{app: svc}
	e.POST(contract.RouteOrders, h.create, mw...)
	e.GET(contract.RouteOrders, h.list, mw...)
	e.GET(contract.RouteOrder, h.get, mw...)
	e.PUT(contract.RouteOrderStatus, h.changeStatus, mw...)
}

// ItemJSON is one line of an order in requests and responses.
type ItemJSON struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
}

// CreateOrderRequest is the body of POST /orders.
type CreateOrderRequest struct {
	CustomerID   string     `json:"customerId"`
	Currency     string     `json:"currency"`
	Items        []ItemJSON `json:"items"`
	PaymentToken string     `json:"paymentToken,omitempty"`
}

// ChangeStatusRequest is the body of PUT /orders/:id/status.
type ChangeStatusRequest struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// OrderJSON is an order in responses.
type OrderJSON struct {
	OrderID      string     `json:"orderId"`
	CustomerID   string     `json:"customerId"`
	Status       string     `json:"status"`
	StatusReason string     `json:"statusReason,omitempty"`
	Currency     string     `json:"currency"`
	Items        []ItemJSON `json:"items"`
	TotalAmount  int64      `json:"totalAmount"`
	Version      int64      `json:"version"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
}

// OrderListJSON is the body of GET /orders.
type OrderListJSON struct {
	Orders []OrderJSON `json:"orders"`
}

// NewOrderJSON maps an order to its JSON.
func NewOrderJSON(o *order.Order) OrderJSON {
	items := make([]ItemJSON, len(o.Items))
	for i, it := range o.Items {
		items[i] = ItemJSON(it)
	}
	return OrderJSON{
		OrderID:      o.ID,
		CustomerID:   o.CustomerID,
		Status:       string(o.Status),
		StatusReason: o.StatusReason,
		Currency:     o.Currency,
		Items:        items,
		TotalAmount:  o.TotalAmount,
		Version:      o.Version,
		CreatedAt:    o.CreatedAt.UTC(),
		UpdatedAt:    o.UpdatedAt.UTC(),
	}
}

func (h Handlers) create(c echo.Context) error {
	req := c.Request()
	key := req.Header.Get(contract.HeaderIdempotencyKey)
	clientID := req.Header.Get(contract.HeaderClientID)
	if fields := checkHeaders(key, clientID); len(fields) > 0 {
		return httpserver.ValidationError(fields)
	}
	var body CreateOrderRequest
	if err := httpserver.BindJSON(c, &body); err != nil {
		return err
	}
	items := make([]order.Item, len(body.Items))
	for i, it := range body.Items {
		items[i] = order.Item(it)
	}
	res, err := h.app.CreateOrder(req.Context(), app.CreateOrder{
		ClientID:       clientID,
		IdempotencyKey: key,
		CustomerID:     body.CustomerID,
		Currency:       body.Currency,
		Items:          items,
		PaymentToken:   body.PaymentToken,
		Render:         renderCreated,
	})
	if err != nil {
		return publicError(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, contract.RouteOrders+"/"+res.OrderID)
	if res.Replayed {
		c.Response().Header().Set(contract.HeaderIdempotentReplayed, "true")
	}
	return c.JSONBlob(res.Response.StatusCode, res.Response.Body)
}

// renderCreated is the response to a creation, stored with its idempotency key.
func renderCreated(o *order.Order) (app.Response, error) {
	body, err := json.Marshal(NewOrderJSON(o))
	if err != nil {
		return app.Response{}, err
	}
	return app.Response{StatusCode: http.StatusCreated, Body: body}, nil
}

// checkHeaders validates the idempotency headers: a key is at most MaxIdempotencyKeyLength
// printable ASCII characters and needs the client id it is scoped to.
func checkHeaders(key, clientID string) map[string]string {
	fields := map[string]string{}
	if len(key) > MaxIdempotencyKeyLength || !printable(key) {
		fields[contract.HeaderIdempotencyKey] = fmt.Sprintf("must be at most %d printable ASCII characters", MaxIdempotencyKeyLength)
	}
	if len(clientID) > MaxClientIDLength || !printable(clientID) {
		fields[contract.HeaderClientID] = fmt.Sprintf("must be at most %d printable ASCII characters", MaxClientIDLength)
	} else if key != "" && clientID == "" {
		fields[contract.HeaderClientID] = "is required with " + contract.HeaderIdempotencyKey
	}
	return fields
}

func printable(s string) bool {
	for i := range len(s) {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func (h Handlers) get(c echo.Context) error {
	o, err := h.app.GetOrder(c.Request().Context(), c.Param("id"))
	if err != nil {
		return publicError(err)
	}
	return c.JSON(http.StatusOK, NewOrderJSON(o))
}

func (h Handlers) list(c echo.Context) error {
	limit := 0
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > app.MaxListLimit {
			return httpserver.ValidationError(map[string]string{"limit": fmt.Sprintf("must be an integer from 1 to %d", app.MaxListLimit)})
		}
		limit = n
	}
	orders, err := h.app.ListOrders(c.Request().Context(), c.QueryParam("customerId"), limit)
	if err != nil {
		return publicError(err)
	}
	resp := OrderListJSON{Orders: make([]OrderJSON, len(orders))}
	for i, o := range orders {
		resp.Orders[i] = NewOrderJSON(o)
	}
	return c.JSON(http.StatusOK, resp)
}

func (h Handlers) changeStatus(c echo.Context) error {
	var body ChangeStatusRequest
	if err := httpserver.BindJSON(c, &body); err != nil {
		return err
	}
	if body.Status == "" {
		return httpserver.ValidationError(map[string]string{"status": "is required"})
	}
	o, err := h.app.ChangeStatus(c.Request().Context(), c.Param("id"), order.Status(body.Status), body.Reason)
	if err != nil {
		return publicError(err)
	}
	return c.JSON(http.StatusOK, NewOrderJSON(o))
}

// Error codes of the order API besides httpserver's.
const (
	CodeNotFound             = "not_found"
	CodeInvalidTransition    = "invalid_transition"
	CodeConflict             = "conflict"
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	CodeUnavailable          = "unavailable"
)

// publicError maps a use case's error to the response. Unknown errors pass through and become
// a 500 that reveals nothing; an unavailable database is a 503 that keeps its cause for the log.
func publicError(err error) error {
	var verr *order.ValidationError
	var terr *order.TransitionError
	switch {
	case errors.As(err, &verr):
		return httpserver.ValidationError(verr.Fields)
	case errors.As(err, &terr):
		return httpserver.NewError(http.StatusConflict, CodeInvalidTransition, terr.Error()).
			WithDetails(map[string]string{"from": string(terr.From), "to": string(terr.To)})
	case errors.Is(err, order.ErrNotFound):
		return httpserver.NewError(http.StatusNotFound, CodeNotFound, "order not found")
	case errors.Is(err, app.ErrConflict):
		return httpserver.NewError(http.StatusConflict, CodeConflict, "the order was changed concurrently, read it again and retry")
	case errors.Is(err, app.ErrIdempotencyKeyReused):
		return httpserver.NewError(http.StatusUnprocessableEntity, CodeIdempotencyKeyReused,
			"the Idempotency-Key was already used with a different request")
	case errors.Is(err, app.ErrUnavailable):
		return fmt.Errorf("%w: %w", httpserver.NewError(http.StatusServiceUnavailable, CodeUnavailable,
			"the order service is unavailable, try again later"), err)
	default:
		return err
	}
}
