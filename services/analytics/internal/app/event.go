package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orderflow/orderflow/pkg/events"
)

// ErrUnknownType is returned by Decode for an event type analytics does not know: such an
// event is acknowledged and ignored (a newer publisher), not dropped.
var ErrUnknownType = errors.New("unknown event type")

// Event is one order or payment event as analytics stores it.
type Event struct {
	ID         string
	Type       string
	OrderID    string
	CustomerID string
	Amount     int64 // minor units: the order's total or the payment's amount
	Currency   string
	OccurredAt time.Time
	Status     string          // order.status.changed: the order's new status ("" when it did not change)
	Data       json.RawMessage // the event's data, as a JSON object
}

// Hour is the UTC hour the event counts in.
func (e Event) Hour() time.Time {
	return e.OccurredAt.UTC().Truncate(time.Hour)
}

// Counters are the aggregates of one hour and currency, or one event's contribution to them.
type Counters struct {
	OrdersCreated    int64
	OrdersPaid       int64
	OrdersCancelled  int64
	PaymentsFailed   int64
	PaymentsRefunded int64
	Revenue          int64 // completed payments' amounts
	RefundedAmount   int64 // refunds' amounts
}

// Counters returns what the event adds to its hour's aggregates: order.created counts an order,
// order.status.changed counts the orders that became paid or cancelled, payment.completed adds
// revenue, payment.failed counts a failure and payment.refunded counts a refund and its amount.
func (e Event) Counters() Counters {
	var c Counters
	switch e.Type {
	case events.TypeOrderCreated:
		c.OrdersCreated = 1
	case events.TypeOrderStatusChanged:
		switch e.Status {
		case events.OrderStatusPaid:
			c.OrdersPaid = 1
		case events.OrderStatusCancelled:
			c.OrdersCancelled = 1
		}
	case events.TypePaymentCompleted:
		c.Revenue = e.Amount
	case events.TypePaymentFailed:
		c.PaymentsFailed = 1
	case events.TypePaymentRefunded:
		c.PaymentsRefunded = 1
		c.RefundedAmount = e.Amount
	}
	return c
}

// Decode turns a CloudEvent (whose envelope is valid) into an Event. Data that does not decode
// or validate is an error wrapping events.ErrInvalid: the event can never be stored. A type
// analytics does not know is ErrUnknownType.
func Decode(ce events.CloudEvent) (Event, error) {
	ev := Event{ID: ce.ID, Type: ce.Type}
	var own time.Time
	var err error
	switch ce.Type {
	case events.TypeOrderCreated:
		var d events.OrderCreated
		err = decodeValid(ce, &d)
		ev.OrderID, ev.CustomerID, ev.Amount, ev.Currency, own = d.OrderID, d.CustomerID, d.TotalAmount, d.Currency, d.CreatedAt
	case events.TypeOrderStatusChanged:
		var d events.OrderStatusChanged
		err = decodeValid(ce, &d)
		ev.OrderID, ev.CustomerID, ev.Amount, ev.Currency, own = d.OrderID, d.CustomerID, d.TotalAmount, d.Currency, d.ChangedAt
		if d.From != d.To { // cancelled → cancelled (a refund request after a late payment) changes no status
			ev.Status = d.To
		}
	case events.TypePaymentCompleted:
		var d events.PaymentCompleted
		err = decodeValid(ce, &d)
		ev.OrderID, ev.CustomerID, ev.Amount, ev.Currency, own = d.OrderID, d.CustomerID, d.Amount, d.Currency, d.CompletedAt
	case events.TypePaymentFailed:
		var d events.PaymentFailed
		err = decodeValid(ce, &d)
		ev.OrderID, ev.CustomerID, ev.Amount, ev.Currency, own = d.OrderID, d.CustomerID, d.Amount, d.Currency, d.FailedAt
	case events.TypePaymentRefunded:
		var d events.PaymentRefunded
		err = decodeValid(ce, &d)
		ev.OrderID, ev.CustomerID, ev.Amount, ev.Currency, own = d.OrderID, d.CustomerID, d.Amount, d.Currency, d.RefundedAt
	default:
		return Event{}, fmt.Errorf("%w %q", ErrUnknownType, ce.Type)
	}
	if err != nil {
		return Event{}, err
	}
	ev.OccurredAt = own
	if ce.Time != nil && !ce.Time.IsZero() {
		ev.OccurredAt = *ce.Time
	}
	if ev.Data, err = canonicalData(ce); err != nil {
		return Event{}, err
	}
	if strings.ContainsRune(ev.ID, 0) {
		return Event{}, invalid(ce, "id holds a NUL character")
	}
	return ev, nil
}

// decodeValid decodes the event's data into d and validates it.
func decodeValid[T interface{ Validate() error }](ce events.CloudEvent, d T) error {
	if err := ce.DecodeData(d); err != nil {
		return err
	}
	return d.Validate()
}

// canonicalData returns the event's data re-encoded: valid UTF-8, numbers kept exactly. Data
// holding a NUL character is invalid: PostgreSQL's jsonb and text cannot store it.
func canonicalData(ce events.CloudEvent) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := ce.DecodeData(&raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil || v == nil {
		return nil, invalid(ce, "data is not a JSON object")
	}
	if hasNUL(v) {
		return nil, invalid(ce, "data holds a NUL character")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, invalid(ce, err.Error())
	}
	return b, nil
}

func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, 0)
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) || hasNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	}
	return false
}

func invalid(ce events.CloudEvent, msg string) error {
	return fmt.Errorf("%w: %s %s: %s", events.ErrInvalid, ce.Type, ce.ID, msg)
}
