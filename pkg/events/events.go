// Package events holds Orderflow's event contract: topics, CloudEvent types, dead-letter naming
// and one Go struct per event. It depends on the standard library only, so every service, test
// and tool can import it.
package events

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// PubSubName is the name of the Dapr pub/sub component in every run mode.
const PubSubName = "pubsub"

// Topics.
const (
	TopicOrders   = "orders"
	TopicPayments = "payments"
)

// CloudEvent types.
const (
	TypeOrderCreated       = "order.created"
	TypeOrderStatusChanged = "order.status.changed"
	TypePaymentCompleted   = "payment.completed"
	TypePaymentFailed      = "payment.failed"
	TypePaymentRefunded    = "payment.refunded"
)

// SchemaVersion is the current version of every event's data (the "schemaVersion" field).
const SchemaVersion = 1

// DeadLetterTopic names the dead-letter topic of one subscription: <topic>.<consumer>.dlq.
func DeadLetterTopic(topic, consumer string) string {
	return topic + "." + consumer + ".dlq"
}

// TopicOf returns the topic an event type is published to.
func TopicOf(eventType string) (string, error) {
	switch eventType {
	case TypeOrderCreated, TypeOrderStatusChanged:
		return TopicOrders, nil
	case TypePaymentCompleted, TypePaymentFailed, TypePaymentRefunded:
		return TopicPayments, nil
	}
	return "", fmt.Errorf("unknown event type %q", eventType)
}

// Types lists every event type.
func Types() []string {
	return []string{TypeOrderCreated, TypeOrderStatusChanged, TypePaymentCompleted, TypePaymentFailed, TypePaymentRefunded}
}

// Order statuses carried by order.status.changed.
const (
	OrderStatusPending   = "pending"
	OrderStatusPaid      = "paid"
	OrderStatusCancelled = "cancelled"
	OrderStatusShipped   = "shipped"
)

// OrderItem is one line of an order. Prices are integer minor units of the order's currency.
type OrderItem struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
}

// OrderCreated is the data of order.created.
type OrderCreated struct {
	SchemaVersion int         `json:"schemaVersion"`
	OrderID       string      `json:"orderId"`
	CustomerID    string      `json:"customerId"`
	Items         []OrderItem `json:"items"`
	TotalAmount   int64       `json:"totalAmount"`
	Currency      string      `json:"currency"`
	PaymentToken  string      `json:"paymentToken,omitempty"`
	Version       int64       `json:"version"`
	CreatedAt     time.Time   `json:"createdAt"`
}

// OrderStatusChanged is the data of order.status.changed.
type OrderStatusChanged struct {
	SchemaVersion int       `json:"schemaVersion"`
	OrderID       string    `json:"orderId"`
	CustomerID    string    `json:"customerId"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	Reason        string    `json:"reason,omitempty"`
	TotalAmount   int64     `json:"totalAmount"`
	Currency      string    `json:"currency"`
	Version       int64     `json:"version"`
	ChangedAt     time.Time `json:"changedAt"`
}

// PaymentCompleted is the data of payment.completed.
type PaymentCompleted struct {
	SchemaVersion int       `json:"schemaVersion"`
	PaymentID     string    `json:"paymentId"`
	OrderID       string    `json:"orderId"`
	CustomerID    string    `json:"customerId"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Version       int64     `json:"version"`
	CompletedAt   time.Time `json:"completedAt"`
}

// PaymentFailed is the data of payment.failed.
type PaymentFailed struct {
	SchemaVersion int       `json:"schemaVersion"`
	PaymentID     string    `json:"paymentId"`
	OrderID       string    `json:"orderId"`
	CustomerID    string    `json:"customerId"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Reason        string    `json:"reason"`
	Version       int64     `json:"version"`
	FailedAt      time.Time `json:"failedAt"`
}

// PaymentRefunded is the data of payment.refunded.
type PaymentRefunded struct {
	SchemaVersion int       `json:"schemaVersion"`
	PaymentID     string    `json:"paymentId"`
	OrderID       string    `json:"orderId"`
	CustomerID    string    `json:"customerId"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Reason        string    `json:"reason,omitempty"`
	Version       int64     `json:"version"`
	RefundedAt    time.Time `json:"refundedAt"`
}

// ErrInvalid is wrapped by every Validate error: the event can never be processed as it is.
var ErrInvalid = errors.New("invalid event")

type problems []string

func (p *problems) req(ok bool, msg string) {
	if !ok {
		*p = append(*p, msg)
	}
}

func (p problems) err(kind string) error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, kind, strings.Join(p, "; "))
}

func validCurrency(c string) bool {
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

func (p *problems) common(schemaVersion int, orderID, customerID, currency string, version int64) {
	p.req(schemaVersion >= 1, "schemaVersion must be >= 1")
	p.req(orderID != "", "orderId is required")
	p.req(customerID != "", "customerId is required")
	p.req(validCurrency(currency), "currency must be an ISO 4217 code")
	p.req(version >= 1, "version must be >= 1")
}

// Validate reports whether the event can be processed.
func (e OrderCreated) Validate() error {
	var p problems
	p.common(e.SchemaVersion, e.OrderID, e.CustomerID, e.Currency, e.Version)
	p.req(len(e.Items) > 0, "items must not be empty")
	var sum int64
	overflow := false
	for i, it := range e.Items {
		p.req(it.ProductID != "", fmt.Sprintf("items[%d].productId is required", i))
		p.req(it.Quantity > 0, fmt.Sprintf("items[%d].quantity must be positive", i))
		p.req(it.UnitPrice >= 0, fmt.Sprintf("items[%d].unitPrice must not be negative", i))
		if it.Quantity > 0 && it.UnitPrice > 0 {
			q := int64(it.Quantity)
			if it.UnitPrice > math.MaxInt64/q || sum > math.MaxInt64-q*it.UnitPrice {
				overflow = true
				continue
			}
			sum += q * it.UnitPrice
		}
	}
	if overflow {
		p.req(false, "sum of the items overflows int64")
	} else {
		p.req(e.TotalAmount == sum, "totalAmount must equal the sum of the items")
	}
	p.req(!e.CreatedAt.IsZero(), "createdAt is required")
	return p.err(TypeOrderCreated)
}

// Validate reports whether the event can be processed.
func (e OrderStatusChanged) Validate() error {
	var p problems
	p.common(e.SchemaVersion, e.OrderID, e.CustomerID, e.Currency, e.Version)
	p.req(validStatus(e.From), "from must be an order status")
	p.req(validStatus(e.To), "to must be an order status")
	p.req(e.TotalAmount >= 0, "totalAmount must not be negative")
	p.req(!e.ChangedAt.IsZero(), "changedAt is required")
	return p.err(TypeOrderStatusChanged)
}

func validStatus(s string) bool {
	switch s {
	case OrderStatusPending, OrderStatusPaid, OrderStatusCancelled, OrderStatusShipped:
		return true
	}
	return false
}

func (p *problems) payment(schemaVersion int, paymentID, orderID, customerID string, amount int64, currency string, version int64, at time.Time) {
	p.common(schemaVersion, orderID, customerID, currency, version)
	p.req(paymentID != "", "paymentId is required")
	p.req(amount >= 0, "amount must not be negative")
	p.req(!at.IsZero(), "timestamp is required")
}

// Validate reports whether the event can be processed.
func (e PaymentCompleted) Validate() error {
	var p problems
	p.payment(e.SchemaVersion, e.PaymentID, e.OrderID, e.CustomerID, e.Amount, e.Currency, e.Version, e.CompletedAt)
	return p.err(TypePaymentCompleted)
}

// Validate reports whether the event can be processed.
func (e PaymentFailed) Validate() error {
	var p problems
	p.payment(e.SchemaVersion, e.PaymentID, e.OrderID, e.CustomerID, e.Amount, e.Currency, e.Version, e.FailedAt)
	p.req(e.Reason != "", "reason is required")
	return p.err(TypePaymentFailed)
}

// Validate reports whether the event can be processed.
func (e PaymentRefunded) Validate() error {
	var p problems
	p.payment(e.SchemaVersion, e.PaymentID, e.OrderID, e.CustomerID, e.Amount, e.Currency, e.Version, e.RefundedAt)
	return p.err(TypePaymentRefunded)
}
