// Package http serves the payment API: reading payments by id, order or customer.
package http

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/services/payment/contract"
	"github.com/orderflow/orderflow/services/payment/internal/app"
	"github.com/orderflow/orderflow/services/payment/internal/domain/payment"
)

// Payments is what the handlers need from the app.
type Payments interface {
	Get(ctx context.Context, id string) (payment.Payment, error)
	List(ctx context.Context, f app.ListFilter) ([]payment.Payment, error)
}

// Payment is the JSON form of a payment.
type Payment struct {
	ID          string    `json:"id"`
	OrderID     string    `json:"orderId"`
	CustomerID  string    `json:"customerId"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	ProviderRef string    `json:"providerRef,omitempty"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// ListResponse is the body of GET /payments.
type ListResponse struct {
	Payments []Payment `json:"payments"`
}

// GetResponse is the body of GET /payments/:id.
type GetResponse struct {
	Payment Payment `json:"payment"`
}

// Register mounts the handlers on e, behind mw (the app-token check).
func Register(e *echo.Echo, p Payments, mw ...echo.MiddlewareFunc) {
	h := handlers{payments: p}
	e.GET(contract.PathPayments, h.list, mw...)
	e.GET(contract.PathPayment, h.get, mw...)
}

type handlers struct {
	payments Payments
}

func (h handlers) get(c echo.Context) error {
	p, err := h.payments.Get(c.Request().Context(), c.Param("id"))
	if errors.Is(err, app.ErrNotFound) {
		return httpserver.NewError(http.StatusNotFound, "not_found", "payment not found")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, GetResponse{Payment: toJSON(p)})
}

func (h handlers) list(c echo.Context) error {
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	ps, err := h.payments.List(c.Request().Context(), f)
	if errors.Is(err, app.ErrInvalid) {
		return httpserver.ValidationError(map[string]string{"query": err.Error()})
	}
	if err != nil {
		return err
	}
	resp := ListResponse{Payments: make([]Payment, 0, len(ps))}
	for _, p := range ps {
		resp.Payments = append(resp.Payments, toJSON(p))
	}
	return c.JSON(http.StatusOK, resp)
}

// parseFilter reads orderId or customerId (exactly one) and limit.
func parseFilter(c echo.Context) (app.ListFilter, error) {
	f := app.ListFilter{OrderID: c.QueryParam("orderId"), CustomerID: c.QueryParam("customerId")}
	problems := map[string]string{}
	switch {
	case f.OrderID == "" && f.CustomerID == "":
		problems["orderId"] = "orderId or customerId is required"
	case f.OrderID != "" && f.CustomerID != "":
		problems["customerId"] = "give orderId or customerId, not both"
	}
	for name, v := range map[string]string{"orderId": f.OrderID, "customerId": f.CustomerID} {
		if len(v) > payment.MaxIDLength {
			problems[name] = "must be at most " + strconv.Itoa(payment.MaxIDLength) + " bytes"
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > app.MaxListLimit {
			problems["limit"] = "must be an integer from 1 to " + strconv.Itoa(app.MaxListLimit)
		}
		f.Limit = n
	}
	if len(problems) > 0 {
		return f, httpserver.ValidationError(problems)
	}
	return f, nil
}

func toJSON(p payment.Payment) Payment {
	return Payment{
		ID:          p.ID,
		OrderID:     p.OrderID,
		CustomerID:  p.CustomerID,
		Amount:      p.Amount,
		Currency:    p.Currency,
		Status:      string(p.Status),
		Reason:      p.Reason,
		ProviderRef: p.ProviderRef,
		Version:     p.Version,
		CreatedAt:   p.CreatedAt.UTC(),
		UpdatedAt:   p.UpdatedAt.UTC(),
	}
}
