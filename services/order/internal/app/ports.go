package app

import (
	"context"
	"errors"
	"time"

	"github.com/orderflow/orderflow/services/order/internal/domain/order"
)

var (
	// ErrConflict is returned when an order changed between its read and its guarded update
	// (optimistic concurrency), also after the use case was retried once.
	ErrConflict = errors.New("order was changed concurrently")
	// ErrIdempotencyKeyReused is returned when an idempotency key comes back with another request.
	ErrIdempotencyKeyReused = errors.New("idempotency key was used with a different request")
	// ErrUnavailable is wrapped by the errors of a storage that cannot be reached (connection
	// refused or lost, timeouts, server shutting down): trying again later can succeed.
	ErrUnavailable = errors.New("storage unavailable")
)

// Event is an event to publish through the outbox, in the transaction of the change it announces.
type Event struct {
	Type        string // CloudEvent type, e.g. events.TypeOrderCreated; decides the topic
	AggregateID string // the order id: CloudEvent subject and partition key
	Data        any    // the event struct from pkg/events
	OccurredAt  time.Time
}

// Response is an HTTP response as stored for the replays of an idempotency key.
type Response struct {
	StatusCode int
	Body       []byte // JSON
}

// IdempotencyRecord is a stored idempotency key and the response it was answered with.
type IdempotencyRecord struct {
	ClientID    string
	Key         string
	RequestHash string
	OrderID     string
	Response    Response
}

// Repository is the order storage.
type Repository interface {
	// InTx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
	// InEvent runs fn in a transaction that also records eventID as processed by consumer (the
	// inbox). An event processed before returns applied=false without calling fn; when fn fails
	// nothing is kept, the inbox record included.
	InEvent(ctx context.Context, consumer, eventID string, fn func(ctx context.Context, tx Tx) error) (applied bool, err error)
	// Get returns an order, or an error wrapping order.ErrNotFound.
	Get(ctx context.Context, id string) (*order.Order, error)
	// ListByCustomer returns up to limit orders of a customer, newest first.
	ListByCustomer(ctx context.Context, customerID string, limit int) ([]*order.Order, error)
	// Idempotency returns the record of an idempotency key, if there is one.
	Idempotency(ctx context.Context, clientID, key string) (IdempotencyRecord, bool, error)
	// PruneIdempotency deletes the idempotency keys created before t and returns how many.
	PruneIdempotency(ctx context.Context, before time.Time) (int64, error)
}

// Tx is the work done inside one transaction.
type Tx interface {
	// Get returns an order (locked until the end of the transaction when forUpdate), or an
	// error wrapping order.ErrNotFound.
	Get(ctx context.Context, id string, forUpdate bool) (*order.Order, error)
	// Insert stores a new order with its items.
	Insert(ctx context.Context, o *order.Order) error
	// UpdateStatus stores o's status, reason, version and update time if the stored order still
	// has status from and version prevVersion; otherwise it returns ErrConflict.
	UpdateStatus(ctx context.Context, o *order.Order, from order.Status, prevVersion int64) error
	// ClaimIdempotencyKey stores rec. It reports false, storing nothing, when the key exists
	// already (waiting for a concurrent transaction holding the same key to end first).
	ClaimIdempotencyKey(ctx context.Context, rec IdempotencyRecord) (bool, error)
	// Publish adds events to the outbox.
	Publish(ctx context.Context, evs ...Event) error
}
