// Package http serves the analytics API: echo handlers that validate the request, call the use
// cases and map their results.
package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	stdhttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/services/analytics/contract"
	"github.com/orderflow/orderflow/services/analytics/internal/app"
)

// Summarizer is the use case the handlers need.
type Summarizer interface {
	Summary(ctx context.Context, p app.Period) (app.Summary, error)
}

// Register mounts the API on e, behind mw.
func Register(e *echo.Echo, s Summarizer, mw ...echo.MiddlewareFunc) {
	h := handlers{summarizer: s}
	e.GET(contract.RouteSummary, h.summary, mw...)
}

type handlers struct {
	summarizer Summarizer
}

// SummaryResponse is the body of GET /analytics/summary. Amounts are integers in minor units
// of their currency.
type SummaryResponse struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Totals Totals    `json:"totals"`
	Hourly []Hour    `json:"hourly"`
}

// Totals sum the period: counts over every currency, amounts per currency.
type Totals struct {
	OrdersCreated    int64                  `json:"ordersCreated"`
	OrdersPaid       int64                  `json:"ordersPaid"`
	OrdersCancelled  int64                  `json:"ordersCancelled"`
	PaymentsFailed   int64                  `json:"paymentsFailed"`
	PaymentsRefunded int64                  `json:"paymentsRefunded"`
	Revenue          map[string]json.Number `json:"revenue"`
	Refunded         map[string]json.Number `json:"refunded"`
}

// Hour is the aggregates of one hour and currency.
type Hour struct {
	Hour             time.Time   `json:"hour"`
	Currency         string      `json:"currency"`
	OrdersCreated    int64       `json:"ordersCreated"`
	OrdersPaid       int64       `json:"ordersPaid"`
	OrdersCancelled  int64       `json:"ordersCancelled"`
	PaymentsFailed   int64       `json:"paymentsFailed"`
	PaymentsRefunded int64       `json:"paymentsRefunded"`
	Revenue          json.Number `json:"revenue"`
	Refunded         json.Number `json:"refunded"`
}

// summary serves GET /analytics/summary?from=&to=: 200, 400 for a time that is not RFC 3339 or
// a period the use case rejects, 503 when the database is unavailable.
func (h handlers) summary(c echo.Context) error {
	var p app.Period
	problems := map[string]string{}
	for name, dst := range map[string]**time.Time{"from": &p.From, "to": &p.To} {
		v := c.QueryParam(name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			problems[name] = "must be an RFC 3339 time, such as 2025-03-01T12:00:00Z"
			continue
		}
		*dst = &t
	}
	if len(problems) > 0 {
		return httpserver.ValidationError(problems)
	}
	s, err := h.summarizer.Summary(c.Request().Context(), p)
	if err != nil {
		return publicError(err)
	}
	resp := SummaryResponse{
		From: s.From.UTC(),
		To:   s.To.UTC(),
		Totals: Totals{
			OrdersCreated:    s.Totals.OrdersCreated,
			OrdersPaid:       s.Totals.OrdersPaid,
			OrdersCancelled:  s.Totals.OrdersCancelled,
			PaymentsFailed:   s.Totals.PaymentsFailed,
			PaymentsRefunded: s.Totals.PaymentsRefunded,
			Revenue:          numbers(s.Totals.Revenue),
			Refunded:         numbers(s.Totals.Refunded),
		},
		Hourly: make([]Hour, 0, len(s.Hourly)),
	}
	for _, x := range s.Hourly {
		resp.Hourly = append(resp.Hourly, Hour{
			Hour: x.Hour.UTC(), Currency: x.Currency,
			OrdersCreated: x.OrdersCreated, OrdersPaid: x.OrdersPaid, OrdersCancelled: x.OrdersCancelled,
			PaymentsFailed: x.PaymentsFailed, PaymentsRefunded: x.PaymentsRefunded,
			Revenue: number(x.Revenue), Refunded: number(x.RefundedAmount),
		})
	}
	return c.JSON(stdhttp.StatusOK, resp)
}

func numbers(m map[string]*big.Int) map[string]json.Number {
	out := make(map[string]json.Number, len(m))
	for k, v := range m {
		out[k] = number(v)
	}
	return out
}

// number renders an amount of any size as a JSON integer.
func number(v *big.Int) json.Number {
	if v == nil {
		return "0"
	}
	return json.Number(v.String())
}

// publicError maps a use-case error: a rejected period is the client's mistake, a timeout is
// answered 504 by the error handler and anything else means the database is unavailable.
func publicError(err error) error {
	switch {
	case errors.Is(err, app.ErrInvalidPeriod):
		return httpserver.ValidationError(map[string]string{"period": err.Error()})
	case errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return fmt.Errorf("%w: %w", httpserver.NewError(stdhttp.StatusServiceUnavailable, "unavailable",
			"analytics are unavailable, try again later"), err)
	}
}
