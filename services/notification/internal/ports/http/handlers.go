// Package http serves the notification API: echo handlers that validate the request, call the
// use cases and map their results.
package http

import (
	"context"
	"errors"
	"fmt"
	stdhttp "net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/services/notification/contract"
	"github.com/orderflow/orderflow/services/notification/internal/app"
)

// maxIDLength bounds the ids accepted in queries.
const maxIDLength = 200

// Lister is the use case the handlers need.
type Lister interface {
	List(ctx context.Context, f app.Filter) ([]app.Notification, error)
}

// Register mounts the API on e, behind mw.
func Register(e *echo.Echo, l Lister, mw ...echo.MiddlewareFunc) {
	h := handlers{lister: l}
	e.GET(contract.RouteListNotifications, h.list, mw...)
}

type handlers struct {
	lister Lister
}

// Notification is one notification in a response.
type Notification struct {
	ID        string    `json:"id"`
	EventID   string    `json:"eventId"`
	EventType string    `json:"eventType"`
	OrderID   string    `json:"orderId"`
	Recipient string    `json:"recipient"`
	Channel   string    `json:"channel"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
}

// ListResponse is the body of GET /notifications.
type ListResponse struct {
	Notifications []Notification `json:"notifications"`
}

// list serves GET /notifications?customerId=&orderId=&limit=: 200, 400 when neither id is
// given or a parameter is malformed, 503 when the database is unavailable.
func (h handlers) list(c echo.Context) error {
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	ns, err := h.lister.List(c.Request().Context(), f)
	if err != nil {
		return publicError(err)
	}
	resp := ListResponse{Notifications: make([]Notification, 0, len(ns))}
	for _, n := range ns {
		resp.Notifications = append(resp.Notifications, Notification{
			ID: n.ID, EventID: n.EventID, EventType: n.EventType, OrderID: n.OrderID,
			Recipient: n.Recipient, Channel: n.Channel, Subject: n.Subject, Body: n.Body,
			CreatedAt: n.CreatedAt.UTC(),
		})
	}
	return c.JSON(stdhttp.StatusOK, resp)
}

func parseFilter(c echo.Context) (app.Filter, error) {
	f := app.Filter{CustomerID: c.QueryParam("customerId"), OrderID: c.QueryParam("orderId"), Limit: app.DefaultLimit}
	problems := map[string]string{}
	if f.CustomerID == "" && f.OrderID == "" {
		problems["customerId"] = "customerId or orderId is required"
	}
	if len(f.CustomerID) > maxIDLength {
		problems["customerId"] = fmt.Sprintf("must be at most %d characters", maxIDLength)
	}
	if len(f.OrderID) > maxIDLength {
		problems["orderId"] = fmt.Sprintf("must be at most %d characters", maxIDLength)
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > app.MaxLimit {
			problems["limit"] = fmt.Sprintf("must be an integer from 1 to %d", app.MaxLimit)
		}
		f.Limit = n
	}
	if len(problems) > 0 {
		return f, httpserver.ValidationError(problems)
	}
	return f, nil
}

// publicError maps a use-case error: a missing filter is the client's mistake, a timeout is
// answered 504 by the error handler and anything else means the database is unavailable.
func publicError(err error) error {
	switch {
	case errors.Is(err, app.ErrFilterRequired):
		return httpserver.ValidationError(map[string]string{"customerId": err.Error()})
	case errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return fmt.Errorf("%w: %w", httpserver.NewError(stdhttp.StatusServiceUnavailable, "unavailable",
			"notifications are unavailable, try again later"), err)
	}
}
