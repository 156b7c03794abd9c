// Package domain holds the gateway's request rules: what a valid order, status change, identifier
// and idempotency key look like. Invalid input is rejected here and never reaches a service.
// Standard library only.
package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
)

// Limits of a create-order request.
const (
	MaxCustomerIDLength   = 100
	MaxPaymentTokenLength = 100
	MaxProductIDLength    = 100
	MinItems              = 1
	MaxItems              = 100
	MinQuantity           = 1
	MaxQuantity           = 1000
	MaxReasonLength       = 500
)

// Order statuses a client may ask for. The order service decides which transitions are allowed
// (only cancelled and shipped are; paid happens through payment.completed and is answered 409).
const (
	StatusPending   = "pending"
	StatusPaid      = "paid"
	StatusCancelled = "cancelled"
	StatusShipped   = "shipped"
)

// Statuses lists the values PUT /orders/:id/status accepts.
var Statuses = []string{StatusCancelled, StatusShipped, StatusPaid, StatusPending}

// OrderItem is one line of an order; UnitPrice is in integer minor units of the order's currency.
// UnitPrice is a pointer so that a missing price is told apart from a free item.
type OrderItem struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
	UnitPrice *int64 `json:"unitPrice"`
}

// CreateOrder is the body of POST /orders.
type CreateOrder struct {
	CustomerID   string      `json:"customerId"`
	Currency     string      `json:"currency"`
	Items        []OrderItem `json:"items"`
	PaymentToken string      `json:"paymentToken,omitempty"`
}

// Problems maps each invalid field (a JSON path such as items[0].quantity) to what is wrong with it.
// It is empty when the input is valid.
type Problems map[string]string

// Validate checks the request and returns its problems.
func (o CreateOrder) Validate() Problems {
	p := Problems{}
	switch {
	case o.CustomerID == "":
		p["customerId"] = "is required"
	case len(o.CustomerID) > MaxCustomerIDLength:
		p["customerId"] = fmt.Sprintf("must be at most %d characters", MaxCustomerIDLength)
	}
	if !ValidCurrency(o.Currency) {
		p["currency"] = "must be an ISO 4217 code of 3 upper-case letters"
	}
	if len(o.Items) < MinItems || len(o.Items) > MaxItems {
		p["items"] = fmt.Sprintf("must hold %d to %d items", MinItems, MaxItems)
	}
	for i, it := range o.Items {
		if i >= MaxItems {
			break
		}
		prefix := "items[" + strconv.Itoa(i) + "]."
		switch {
		case it.ProductID == "":
			p[prefix+"productId"] = "is required"
		case len(it.ProductID) > MaxProductIDLength:
			p[prefix+"productId"] = fmt.Sprintf("must be at most %d characters", MaxProductIDLength)
		}
		if it.Quantity < MinQuantity || it.Quantity > MaxQuantity {
			p[prefix+"quantity"] = fmt.Sprintf("must be an integer from %d to %d", MinQuantity, MaxQuantity)
		}
		switch {
		case it.UnitPrice == nil:
			p[prefix+"unitPrice"] = "is required"
		case *it.UnitPrice < 0:
			p[prefix+"unitPrice"] = "must be zero or more (integer minor units)"
		}
	}
	if len(o.PaymentToken) > MaxPaymentTokenLength {
		p["paymentToken"] = fmt.Sprintf("must be at most %d characters", MaxPaymentTokenLength)
	}
	return p
}

// Canonical returns the JSON the gateway forwards to the order service: the validated request
// re-encoded, so that two requests meaning the same thing are the same bytes (and hash).
func (o CreateOrder) Canonical() []byte {
	b, err := json.Marshal(o)
	if err != nil { // a struct of strings and integers always encodes
		panic(fmt.Sprintf("domain: encode order: %v", err))
	}
	return b
}

// RequestHash identifies a request body for the idempotency cache.
func RequestHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// ValidCurrency reports whether c is three upper-case ASCII letters.
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

// StatusChange is the body of PUT /orders/:id/status.
type StatusChange struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Validate checks that the status is a known order status. Whether the transition is allowed is
// the order service's decision.
func (s StatusChange) Validate() Problems {
	p := Problems{}
	if !ValidStatus(s.Status) {
		p["status"] = "must be one of cancelled, shipped, paid, pending"
	}
	if len(s.Reason) > MaxReasonLength {
		p["reason"] = fmt.Sprintf("must be at most %d characters", MaxReasonLength)
	}
	return p
}

// ValidStatus reports whether s is an order status.
func ValidStatus(s string) bool {
	switch s {
	case StatusPending, StatusPaid, StatusCancelled, StatusShipped:
		return true
	}
	return false
}
