package app

import (
	"context"
	"time"

	"github.com/orderflow/orderflow/services/payment/internal/domain/payment"
)

// Provider is the payment provider: it moves the money. Implementations must treat
// IdempotencyKey as such — a repeated request with the same key has the effect of one — since
// a charge is retried when its transaction fails after the provider answered.
type Provider interface {
	// Charge asks for the payment of an order. A decline is a result (Approved false, with a
	// reason), not an error; an error means the outcome is unknown and the charge may be retried.
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
	// Refund gives back a completed charge. An error means it may be retried.
	Refund(ctx context.Context, req RefundRequest) error
}

// ChargeRequest asks the provider to charge an order.
type ChargeRequest struct {
	IdempotencyKey string // the order id: one charge per order
	OrderID        string
	CustomerID     string
	Amount         int64 // minor units
	Currency       string
	PaymentToken   string
}

// ChargeResult is the provider's answer to a charge.
type ChargeResult struct {
	Approved      bool
	DeclineReason string // set when not approved
	ProviderRef   string // the provider's reference of an approved charge
}

// RefundRequest asks the provider to refund a charge.
type RefundRequest struct {
	IdempotencyKey string // the payment id: one refund per payment
	PaymentID      string
	ProviderRef    string
	Amount         int64
	Currency       string
	Reason         string
}

// Message is an event to publish through the outbox, in the same transaction as the change it
// announces.
type Message struct {
	Type        string // CloudEvent type, e.g. events.TypePaymentCompleted
	AggregateID string // the order id: subject and partition key
	Data        any    // the event struct from pkg/events
	OccurredAt  time.Time
}

// EventMeta identifies the event being consumed. (Its trace context and correlation id
// travel in ctx, put there by the pubsub router, and from there into the outbox headers.)
type EventMeta struct {
	ID string // CloudEvent id: the inbox key
}

// Transactor runs a consumed event's effects in one transaction.
type Transactor interface {
	// InEvent runs fn in a transaction that also records ev.ID in the consumer's inbox. When the
	// event was processed before it returns applied=false without calling fn. When fn fails
	// nothing is kept, the inbox record included.
	InEvent(ctx context.Context, ev EventMeta, fn func(tx Tx) error) (applied bool, err error)
}

// Tx is the work an event handler does inside its transaction.
type Tx interface {
	// LockOrder takes the transaction-long lock of one order (see the postgres adapter for
	// how). Every path that charges or cancels an order takes it first.
	LockOrder(ctx context.Context, orderID string) error
	// CancellationOf returns the order's cancellation marker, if any.
	CancellationOf(ctx context.Context, orderID string) (Cancellation, bool, error)
	// MarkCancelled records the order's cancellation; an existing marker is kept.
	MarkCancelled(ctx context.Context, c Cancellation) error
	// MarkChargeSkipped records on the order's marker that a charge was skipped because of it.
	MarkChargeSkipped(ctx context.Context, orderID string, at time.Time) error
	// PaymentOfOrder returns the order's payment, if any.
	PaymentOfOrder(ctx context.Context, orderID string) (payment.Payment, bool, error)
	// InsertPayment stores a new payment. It reports false, storing nothing, when the order
	// already has one (the one-payment-per-order constraint).
	InsertPayment(ctx context.Context, p payment.Payment) (bool, error)
	// UpdatePayment stores p's new status, reason and version if the stored payment still has
	// version p.Version-1 and status from; it reports false otherwise.
	UpdatePayment(ctx context.Context, p payment.Payment, from payment.Status) (bool, error)
	// Publish adds messages to the outbox.
	Publish(ctx context.Context, msgs ...Message) error
}

// Cancellation is the marker of a cancelled order.
type Cancellation struct {
	OrderID     string
	Reason      string
	CancelledAt time.Time
}

// Reader reads payments.
type Reader interface {
	Get(ctx context.Context, id string) (payment.Payment, bool, error)
	List(ctx context.Context, f ListFilter) ([]payment.Payment, error)
}

// ListFilter selects payments: exactly one of OrderID and CustomerID is set.
type ListFilter struct {
	OrderID    string
	CustomerID string
	Limit      int
}
