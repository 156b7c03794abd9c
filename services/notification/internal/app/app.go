// Package app holds the notification use cases: render the message an event calls for and
// store it once per (event, recipient, channel); list stored notifications.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orderflow/pkg/events"
)

// ChannelEmail is the only channel so far.
const ChannelEmail = "email"

// Notification is one message to a recipient, as stored.
type Notification struct {
	ID        string
	EventID   string
	EventType string
	OrderID   string
	Recipient string // the customer id
	Channel   string
	Subject   string
	Body      string
	CreatedAt time.Time
}

// Filter selects notifications: by recipient, by order, or both. At least one is required.
type Filter struct {
	CustomerID string
	OrderID    string
	Limit      int
}

// Limits of a listing.
const (
	DefaultLimit = 100
	MaxLimit     = 500
)

// ErrFilterRequired is returned by List for a filter with neither customer nor order.
var ErrFilterRequired = errors.New("customerId or orderId is required")

// Store persists notifications.
type Store interface {
	// Record stores ns, the notifications of event eventID, in one transaction that also
	// records the event in the consumer's inbox. A duplicate event stores nothing and returns
	// applied=false; a notification that already exists for (event, recipient, channel) is
	// skipped.
	Record(ctx context.Context, eventID string, ns []Notification) (applied bool, err error)
	// List returns the notifications matching f, newest first.
	List(ctx context.Context, f Filter) ([]Notification, error)
}

// Event identifies the CloudEvent a notification answers.
type Event struct {
	ID   string
	Type string
}

// Service runs the use cases.
type Service struct {
	store Store
}

// New returns the use cases on store.
func New(store Store) *Service {
	return &Service{store: store}
}

// OrderCreated notifies the customer that the order was received.
func (s *Service) OrderCreated(ctx context.Context, ev Event, d events.OrderCreated) error {
	return s.notify(ctx, ev, d.OrderID, d.CustomerID, d)
}

// OrderStatusChanged notifies the customer of the order's new status. A change to the status
// the order already had (the order service repeats a cancellation to have a late payment
// refunded) tells the customer nothing: the event is recorded as processed, with no message.
func (s *Service) OrderStatusChanged(ctx context.Context, ev Event, d events.OrderStatusChanged) error {
	if d.From == d.To {
		_, err := s.store.Record(ctx, ev.ID, nil)
		return err
	}
	return s.notify(ctx, ev, d.OrderID, d.CustomerID, d)
}

// PaymentCompleted notifies the customer that the payment went through.
func (s *Service) PaymentCompleted(ctx context.Context, ev Event, d events.PaymentCompleted) error {
	return s.notify(ctx, ev, d.OrderID, d.CustomerID, d)
}

// PaymentFailed notifies the customer that the payment failed, and why.
func (s *Service) PaymentFailed(ctx context.Context, ev Event, d events.PaymentFailed) error {
	return s.notify(ctx, ev, d.OrderID, d.CustomerID, d)
}

// PaymentRefunded notifies the customer of a refund.
func (s *Service) PaymentRefunded(ctx context.Context, ev Event, d events.PaymentRefunded) error {
	return s.notify(ctx, ev, d.OrderID, d.CustomerID, d)
}

// notify renders ev's message for its customer and records it. An event that cannot be stored
// whatever happens (a NUL character) is invalid; a template failure is a bug, not the event's
// fault, so it is not.
func (s *Service) notify(ctx context.Context, ev Event, orderID, customerID string, data any) error {
	msg, err := Render(ev.Type, data)
	if err != nil {
		return err
	}
	if hasNUL(ev.ID, ev.Type, orderID, customerID, msg.Subject, msg.Body) {
		return errInvalid("%s %s: text holds a NUL character", ev.Type, ev.ID)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	n := Notification{
		ID:        id.String(),
		EventID:   ev.ID,
		EventType: ev.Type,
		OrderID:   orderID,
		Recipient: customerID,
		Channel:   ChannelEmail,
		Subject:   msg.Subject,
		Body:      msg.Body,
	}
	_, err = s.store.Record(ctx, ev.ID, []Notification{n})
	return err
}

// List returns the notifications of a customer or an order, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Notification, error) {
	if f.CustomerID == "" && f.OrderID == "" {
		return nil, ErrFilterRequired
	}
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	f.Limit = min(f.Limit, MaxLimit)
	return s.store.List(ctx, f)
}
