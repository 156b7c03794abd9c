// Package payment is the payment aggregate: one payment per order, its statuses and the rules
// that move it between them. Standard library only.
package payment

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status is the state of a payment.
type Status string

// The statuses. A payment is created completed or failed; only a completed payment changes
// again, to refunded. Failed and refunded are final.
const (
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusRefunded  Status = "refunded"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusRefunded:
		return true
	}
	return false
}

// CanTransitionTo reports whether a payment in status s may move to next.
func (s Status) CanTransitionTo(next Status) bool {
	return s == StatusCompleted && next == StatusRefunded
}

var (
	// ErrInvalid is wrapped by the errors of data that can never make a valid payment.
	ErrInvalid = errors.New("invalid payment")
	// ErrInvalidTransition is wrapped when a status change breaks the rules.
	ErrInvalidTransition = errors.New("invalid payment status transition")
)

// MaxIDLength bounds the identifiers a payment refers to (order, customer).
const MaxIDLength = 200

// Payment is the charge of one order.
type Payment struct {
	ID          string
	OrderID     string
	CustomerID  string
	Amount      int64 // minor units of Currency
	Currency    string
	Status      Status
	Reason      string // why it failed, or why it was refunded
	ProviderRef string // the provider's reference of the charge; empty when it failed
	Version     int64  // 1 when created, +1 per change
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Charge is what a payment is made for: the order's id, customer and total.
type Charge struct {
	ID         string // the new payment's id
	OrderID    string
	CustomerID string
	Amount     int64
	Currency   string
}

// Validate reports whether c can become a payment.
func (c Charge) Validate() error {
	var p []string
	if c.ID == "" {
		p = append(p, "id is required")
	}
	p = appendID(p, "orderId", c.OrderID)
	p = appendID(p, "customerId", c.CustomerID)
	if c.Amount < 0 {
		p = append(p, "amount must not be negative")
	}
	if !ValidCurrency(c.Currency) {
		p = append(p, "currency must be an ISO 4217 code")
	}
	if len(p) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(p, "; "))
	}
	return nil
}

func appendID(p []string, name, v string) []string {
	switch {
	case v == "":
		return append(p, name+" is required")
	case len(v) > MaxIDLength:
		return append(p, fmt.Sprintf("%s must be at most %d bytes", name, MaxIDLength))
	}
	return p
}

// ValidCurrency reports whether c looks like an ISO 4217 code: three upper-case letters.
func ValidCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// NewCompleted returns the payment of an approved charge.
func NewCompleted(c Charge, providerRef string, now time.Time) (Payment, error) {
	if err := c.Validate(); err != nil {
		return Payment{}, err
	}
	if providerRef == "" {
		return Payment{}, fmt.Errorf("%w: a completed payment needs the provider's reference", ErrInvalid)
	}
	return newPayment(c, StatusCompleted, "", providerRef, now), nil
}

// NewFailed returns the payment of a declined charge; reason says why.
func NewFailed(c Charge, reason string, now time.Time) (Payment, error) {
	if err := c.Validate(); err != nil {
		return Payment{}, err
	}
	if reason == "" {
		return Payment{}, fmt.Errorf("%w: a failed payment needs a reason", ErrInvalid)
	}
	return newPayment(c, StatusFailed, reason, "", now), nil
}

func newPayment(c Charge, status Status, reason, providerRef string, now time.Time) Payment {
	now = now.UTC()
	return Payment{
		ID:          c.ID,
		OrderID:     c.OrderID,
		CustomerID:  c.CustomerID,
		Amount:      c.Amount,
		Currency:    c.Currency,
		Status:      status,
		Reason:      reason,
		ProviderRef: providerRef,
		Version:     1,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
}

// Refund moves a completed payment to refunded, recording reason, and bumps its version.
// Any other status is an ErrInvalidTransition and leaves p unchanged.
func (p *Payment) Refund(reason string, now time.Time) error {
	if !p.Status.CanTransitionTo(StatusRefunded) {
		return fmt.Errorf("%w: %s → %s", ErrInvalidTransition, p.Status, StatusRefunded)
	}
	p.Status = StatusRefunded
	p.Reason = reason
	p.Version++
	p.UpdatedAt = now.UTC()
	return nil
}
