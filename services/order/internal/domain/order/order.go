// Package order is the order aggregate: its validation rules, its total and its status
// machine. It depends on the standard library only.
package order

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a new order.
const (
	MaxCustomerIDLength = 100
	MaxProductIDLength  = 100
	MaxItems            = 100
	MaxQuantity         = 1000
	MaxReasonLength     = 500
)

// Status is the state of an order.
type Status string

// The statuses of an order.
const (
	StatusPending   Status = "pending"
	StatusPaid      Status = "paid"
	StatusCancelled Status = "cancelled"
	StatusShipped   Status = "shipped"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	_, ok := transitions[s]
	return ok
}

// transitions lists, for every status, the statuses an order may move to from it.
var transitions = map[Status][]Status{
	StatusPending:   {StatusPaid, StatusCancelled},
	StatusPaid:      {StatusCancelled, StatusShipped},
	StatusCancelled: nil,
	StatusShipped:   nil,
}

// requestable are the targets a customer or an operator may ask for. An order becomes paid
// only through its payment.
var requestable = map[Status]bool{StatusCancelled: true, StatusShipped: true}

// CanTransition reports whether an order may move from one status to another.
func CanTransition(from, to Status) bool {
	return slices.Contains(transitions[from], to)
}

// Reasons recorded by the payment outcomes.
const (
	// ReasonRefundRequested is the reason of the order.status.changed (cancelled → cancelled)
	// published when a payment completes for an order already cancelled.
	ReasonRefundRequested = "payment completed after cancellation: refund requested"
	// reasonPaymentFailedPrefix starts the reason of an order cancelled by a failed payment.
	reasonPaymentFailedPrefix = "payment failed: "
)

var (
	// ErrNotFound is returned when an order does not exist.
	ErrNotFound = errors.New("order not found")
	// ErrInvalidTransition is wrapped by every TransitionError.
	ErrInvalidTransition = errors.New("invalid status transition")
	// ErrTotalOverflow is returned when the sum of the items does not fit in an int64.
	ErrTotalOverflow = errors.New("order total overflows")
)

// TransitionError reports a status change the state machine forbids.
type TransitionError struct {
	From Status
	To   Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot change order status from %s to %s", e.From, e.To)
}

// Unwrap makes errors.Is(err, ErrInvalidTransition) true.
func (e *TransitionError) Unwrap() error { return ErrInvalidTransition }

// ValidationError lists what is wrong with the input, keyed by field (e.g. "items[0].quantity").
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	keys := slices.Sorted(maps.Keys(e.Fields))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid order: " + strings.Join(parts, "; ")
}

// Item is one line of an order. UnitPrice is in minor units of the order's currency.
type Item struct {
	ProductID string
	Quantity  int
	UnitPrice int64
}

// Order is the aggregate.
type Order struct {
	ID           string
	CustomerID   string
	Currency     string
	Items        []Item
	TotalAmount  int64
	Status       Status
	StatusReason string // reason of the last status change, if any
	Version      int64  // 1 at creation, +1 on every change
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewParams are the inputs of New.
type NewParams struct {
	ID         string
	CustomerID string
	Currency   string
	Items      []Item
	Now        time.Time
}

// New validates p and returns a pending order at version 1 with its total computed. A
// validation failure is a *ValidationError naming every invalid field.
func New(p NewParams) (*Order, error) {
	fields := map[string]string{}
	switch n := utf8.RuneCountInString(p.CustomerID); {
	case strings.TrimSpace(p.CustomerID) == "":
		fields["customerId"] = "is required"
	case n > MaxCustomerIDLength:
		fields["customerId"] = fmt.Sprintf("must be at most %d characters", MaxCustomerIDLength)
	}
	if !ValidCurrency(p.Currency) {
		fields["currency"] = "must be an ISO 4217 code of three upper-case letters"
	}
	switch {
	case len(p.Items) == 0:
		fields["items"] = "must hold at least one item"
	case len(p.Items) > MaxItems:
		fields["items"] = fmt.Sprintf("must hold at most %d items", MaxItems)
	default:
		for i, it := range p.Items {
			validateItem(fields, fmt.Sprintf("items[%d]", i), it)
		}
	}
	var total int64
	if len(fields) == 0 {
		var err error
		if total, err = Total(p.Items); err != nil {
			fields["items"] = "the total amount is too large"
		}
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	now := p.Now.UTC()
	return &Order{
		ID:          p.ID,
		CustomerID:  p.CustomerID,
		Currency:    p.Currency,
		Items:       slices.Clone(p.Items),
		TotalAmount: total,
		Status:      StatusPending,
		Version:     1,
		CreatedAt:   now,
		UpdatedAt:   now,
	}, nil
}

func validateItem(fields map[string]string, prefix string, it Item) {
	switch {
	case strings.TrimSpace(it.ProductID) == "":
		fields[prefix+".productId"] = "is required"
	case utf8.RuneCountInString(it.ProductID) > MaxProductIDLength:
		fields[prefix+".productId"] = fmt.Sprintf("must be at most %d characters", MaxProductIDLength)
	}
	if it.Quantity < 1 || it.Quantity > MaxQuantity {
		fields[prefix+".quantity"] = fmt.Sprintf("must be from 1 to %d", MaxQuantity)
	}
	if it.UnitPrice < 0 {
		fields[prefix+".unitPrice"] = "must not be negative"
	}
}

// ValidCurrency reports whether c looks like an ISO 4217 code: three upper-case ASCII letters.
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := range len(c) {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// Total returns the sum of quantity × unit price over items, or ErrTotalOverflow when it does
// not fit in an int64. Items must have non-negative quantities and prices.
func Total(items []Item) (int64, error) {
	var sum int64
	for _, it := range items {
		if it.Quantity < 0 || it.UnitPrice < 0 {
			return 0, fmt.Errorf("order: negative quantity or price")
		}
		if it.Quantity == 0 || it.UnitPrice == 0 {
			continue
		}
		q := int64(it.Quantity)
		if it.UnitPrice > math.MaxInt64/q {
			return 0, ErrTotalOverflow
		}
		line := q * it.UnitPrice
		if sum > math.MaxInt64-line {
			return 0, ErrTotalOverflow
		}
		sum += line
	}
	return sum, nil
}

// Change describes one change of an order, as order.status.changed announces it. From and To
// are equal for a refund request (a payment completed after the cancellation).
type Change struct {
	From    Status
	To      Status
	Reason  string
	Version int64 // the order's version after the change
	At      time.Time
}

// PreviousVersion is the version the order had before the change: the guard of its update.
func (c Change) PreviousVersion() int64 { return c.Version - 1 }

// RequestStatus applies a status change asked for by a customer or an operator: pending →
// cancelled, paid → cancelled and paid → shipped. Any other target (paid included) or the
// current status again is a *TransitionError; a reason longer than MaxReasonLength is a
// *ValidationError.
func (o *Order) RequestStatus(to Status, reason string, now time.Time) (Change, error) {
	if utf8.RuneCountInString(reason) > MaxReasonLength {
		return Change{}, &ValidationError{Fields: map[string]string{"reason": fmt.Sprintf("must be at most %d characters", MaxReasonLength)}}
	}
	if !requestable[to] {
		return Change{}, &TransitionError{From: o.Status, To: to}
	}
	return o.transition(to, reason, now)
}

// PaymentOutcome says what a payment event did to an order.
type PaymentOutcome int

// The outcomes of a payment event.
const (
	// PaymentIgnored: nothing changed (a duplicate or a stale event, or an order already final).
	PaymentIgnored PaymentOutcome = iota
	// PaymentApplied: the status changed (pending → paid, or pending → cancelled).
	PaymentApplied
	// RefundRequested: the payment completed for a cancelled order, which stays cancelled; the
	// cancellation is announced again so that payment refunds what it charged.
	RefundRequested
)

// PaymentCompleted applies a completed payment: a pending order becomes paid; a cancelled one
// stays cancelled and asks for a refund (version + 1); any other status ignores it.
func (o *Order) PaymentCompleted(now time.Time) (Change, PaymentOutcome) {
	switch o.Status {
	case StatusPending:
		ch, err := o.transition(StatusPaid, "", now)
		if err != nil {
			panic(err) // pending → paid is in the table
		}
		return ch, PaymentApplied
	case StatusCancelled:
		ch := o.bump(StatusCancelled, ReasonRefundRequested, now)
		return ch, RefundRequested
	default:
		return Change{}, PaymentIgnored
	}
}

// PaymentFailed applies a failed payment: a pending order is cancelled with the payment's
// reason; any other status ignores it (a paid order was paid by a later attempt, a cancelled
// one has nothing left to cancel).
func (o *Order) PaymentFailed(reason string, now time.Time) (Change, PaymentOutcome) {
	if o.Status != StatusPending {
		return Change{}, PaymentIgnored
	}
	ch, err := o.transition(StatusCancelled, truncate(reasonPaymentFailedPrefix+reason, MaxReasonLength), now)
	if err != nil {
		panic(err) // pending → cancelled is in the table
	}
	return ch, PaymentApplied
}

// transition moves the order to status to if the state machine allows it.
func (o *Order) transition(to Status, reason string, now time.Time) (Change, error) {
	if !CanTransition(o.Status, to) {
		return Change{}, &TransitionError{From: o.Status, To: to}
	}
	o.StatusReason = reason
	return o.bump(to, reason, now), nil
}

// bump records a change: the new status, version + 1 and the update time.
func (o *Order) bump(to Status, reason string, now time.Time) Change {
	ch := Change{From: o.Status, To: to, Reason: reason, Version: o.Version + 1, At: now.UTC()}
	o.Status = to
	o.Version = ch.Version
	o.UpdatedAt = ch.At
	return ch
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
