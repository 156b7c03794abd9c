// Package app holds the order service's use cases: creating orders (idempotently), reading
// them, customer/operator status changes and the effects of payment events. It talks to storage
// through the Repository and Tx interfaces it declares.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/services/order/contract"
	"github.com/orderflow/orderflow/services/order/internal/domain/order"
)

// Limits of the use cases' inputs beyond the order's own rules.
const (
	MaxPaymentTokenLength = 200
	DefaultListLimit      = 20
	MaxListLimit          = 100
)

// Consumer is the inbox consumer name of the service's event handlers.
const Consumer = contract.AppID

// Options tune a Service. Zero fields take defaults.
type Options struct {
	Now   func() time.Time // default time.Now
	NewID func() string    // new order ids; default UUIDv7 strings
	Log   *slog.Logger     // default slog.Default()
}

// Service runs the use cases.
type Service struct {
	repo  Repository
	now   func() time.Time
	newID func() string
	log   *slog.Logger
}

// New returns the use cases over repo.
func New(repo Repository, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	return &Service{repo: repo, now: opt.Now, newID: opt.NewID, log: opt.Log}
}

// clock returns the current time as stored: UTC, with the microsecond precision of PostgreSQL,
// so that a freshly created order and the same order read back are identical.
func (s *Service) clock() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// CreateOrder is the input of Service.CreateOrder.
type CreateOrder struct {
	// ClientID is the API client that sent the request; idempotency keys are scoped to it.
	ClientID string
	// IdempotencyKey is optional. A repeat of the same request with the same key answers the
	// stored response without creating another order.
	IdempotencyKey string
	CustomerID     string
	Currency       string
	Items          []order.Item
	PaymentToken   string // optional; travels to payment in order.created, never stored with the order
	// Render builds the response to the request from the created order; it is stored with the
	// idempotency key and answered again to repeats.
	Render func(o *order.Order) (Response, error)
}

// CreateResult is the outcome of CreateOrder.
type CreateResult struct {
	OrderID  string
	Response Response
	// Replayed is true when Response is the stored answer to an earlier request with the same
	// idempotency key: no order was created.
	Replayed bool
}

// requestHash identifies a request's content, so that a repeated key can be told apart from a
// reused one. JSON of a fixed struct is deterministic.
func (c CreateOrder) requestHash() string {
	type item struct {
		ProductID string `json:"productId"`
		Quantity  int    `json:"quantity"`
		UnitPrice int64  `json:"unitPrice"`
	}
	req := struct {
		CustomerID   string `json:"customerId"`
		Currency     string `json:"currency"`
		Items        []item `json:"items"`
		PaymentToken string `json:"paymentToken"`
	}{CustomerID: c.CustomerID, Currency: c.Currency, PaymentToken: c.PaymentToken}
	for _, it := range c.Items {
		req.Items = append(req.Items, item(it))
	}
	b, _ := json.Marshal(req) // strings and integers always marshal
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// errKeyTaken aborts a creation whose idempotency key another request stored first.
var errKeyTaken = errors.New("idempotency key taken")

// CreateOrder validates the request and creates a pending order, its order.created event and
// (with a key) its idempotency record in one transaction. A key seen before answers its stored
// response if the request is the same and ErrIdempotencyKeyReused otherwise; of concurrent
// requests with one key, one creates the order and the others answer its response.
func (s *Service) CreateOrder(ctx context.Context, cmd CreateOrder) (CreateResult, error) {
	o, err := order.New(order.NewParams{
		ID: s.newID(), CustomerID: cmd.CustomerID, Currency: cmd.Currency, Items: cmd.Items, Now: s.clock(),
	})
	if n := utf8.RuneCountInString(cmd.PaymentToken); n > MaxPaymentTokenLength {
		fields := map[string]string{}
		var verr *order.ValidationError
		if errors.As(err, &verr) {
			fields = verr.Fields
		}
		fields["paymentToken"] = fmt.Sprintf("must be at most %d characters", MaxPaymentTokenLength)
		err = &order.ValidationError{Fields: fields}
	}
	if err != nil {
		return CreateResult{}, err
	}
	hash := cmd.requestHash()
	if cmd.IdempotencyKey != "" {
		rec, found, err := s.repo.Idempotency(ctx, cmd.ClientID, cmd.IdempotencyKey)
		if err != nil {
			return CreateResult{}, err
		}
		if found {
			return replay(rec, hash)
		}
	}
	resp, err := cmd.Render(o)
	if err != nil {
		return CreateResult{}, fmt.Errorf("app: render response: %w", err)
	}
	created := events.OrderCreated{
		SchemaVersion: events.SchemaVersion,
		OrderID:       o.ID,
		CustomerID:    o.CustomerID,
		Items:         eventItems(o.Items),
		TotalAmount:   o.TotalAmount,
		Currency:      o.Currency,
		PaymentToken:  cmd.PaymentToken,
		Version:       o.Version,
		CreatedAt:     o.CreatedAt,
	}
	if err := created.Validate(); err != nil {
		return CreateResult{}, fmt.Errorf("app: order.created would be invalid: %w", err)
	}
	err = s.repo.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if cmd.IdempotencyKey != "" {
			claimed, err := tx.ClaimIdempotencyKey(ctx, IdempotencyRecord{
				ClientID: cmd.ClientID, Key: cmd.IdempotencyKey, RequestHash: hash, OrderID: o.ID, Response: resp,
			})
			if err != nil {
				return err
			}
			if !claimed {
				return errKeyTaken
			}
		}
		if err := tx.Insert(ctx, o); err != nil {
			return err
		}
		return tx.Publish(ctx, Event{Type: events.TypeOrderCreated, AggregateID: o.ID, Data: created, OccurredAt: o.CreatedAt})
	})
	if errors.Is(err, errKeyTaken) {
		// A concurrent request with the same key committed first: answer what it stored.
		rec, found, err := s.repo.Idempotency(ctx, cmd.ClientID, cmd.IdempotencyKey)
		if err != nil {
			return CreateResult{}, err
		}
		if !found { // pruned in between: only a retry can tell
			return CreateResult{}, ErrConflict
		}
		return replay(rec, hash)
	}
	if err != nil {
		return CreateResult{}, err
	}
	s.log.InfoContext(ctx, "order created", "order_id", o.ID, "customer_id", o.CustomerID,
		"total_amount", o.TotalAmount, "currency", o.Currency, "items", len(o.Items))
	return CreateResult{OrderID: o.ID, Response: resp}, nil
}

func replay(rec IdempotencyRecord, hash string) (CreateResult, error) {
	if rec.RequestHash != hash {
		return CreateResult{}, ErrIdempotencyKeyReused
	}
	return CreateResult{OrderID: rec.OrderID, Response: rec.Response, Replayed: true}, nil
}

func eventItems(items []order.Item) []events.OrderItem {
	out := make([]events.OrderItem, len(items))
	for i, it := range items {
		out[i] = events.OrderItem{ProductID: it.ProductID, Quantity: it.Quantity, UnitPrice: it.UnitPrice}
	}
	return out
}

// GetOrder returns an order, or an error wrapping order.ErrNotFound.
func (s *Service) GetOrder(ctx context.Context, id string) (*order.Order, error) {
	return s.repo.Get(ctx, id)
}

// ListOrders returns a customer's orders, newest first. limit is clamped to 1..MaxListLimit
// (DefaultListLimit when zero).
func (s *Service) ListOrders(ctx context.Context, customerID string, limit int) ([]*order.Order, error) {
	switch n := utf8.RuneCountInString(customerID); {
	case customerID == "":
		return nil, &order.ValidationError{Fields: map[string]string{"customerId": "is required"}}
	case n > order.MaxCustomerIDLength:
		return nil, &order.ValidationError{Fields: map[string]string{"customerId": fmt.Sprintf("must be at most %d characters", order.MaxCustomerIDLength)}}
	}
	if limit == 0 {
		limit = DefaultListLimit
	}
	return s.repo.ListByCustomer(ctx, customerID, min(max(limit, 1), MaxListLimit))
}

// ChangeStatus applies a customer/operator status change (cancelled or shipped) and publishes
// order.status.changed with it. The update is guarded by the status and version read (optimistic
// concurrency); when another change won in between, the use case runs once more on the new
// state, and ErrConflict is returned if it loses again. Errors: order.ErrNotFound,
// *order.TransitionError (paid, any other target, the current status again), *order.ValidationError.
func (s *Service) ChangeStatus(ctx context.Context, id string, to order.Status, reason string) (*order.Order, error) {
	o, err := s.changeStatus(ctx, id, to, reason)
	if errors.Is(err, ErrConflict) {
		s.log.InfoContext(ctx, "order changed concurrently, retrying the status change", "order_id", id)
		o, err = s.changeStatus(ctx, id, to, reason)
	}
	return o, err
}

func (s *Service) changeStatus(ctx context.Context, id string, to order.Status, reason string) (*order.Order, error) {
	var changed *order.Order
	err := s.repo.InTx(ctx, func(ctx context.Context, tx Tx) error {
		o, err := tx.Get(ctx, id, false)
		if err != nil {
			return err
		}
		ch, err := o.RequestStatus(to, reason, s.clock())
		if err != nil {
			return err
		}
		if err := s.saveChange(ctx, tx, o, ch); err != nil {
			return err
		}
		changed = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "order status changed", "order_id", id, "to", to, "version", changed.Version)
	return changed, nil
}

// saveChange stores a change guarded by the previous status and version and publishes it.
func (s *Service) saveChange(ctx context.Context, tx Tx, o *order.Order, ch order.Change) error {
	if err := tx.UpdateStatus(ctx, o, ch.From, ch.PreviousVersion()); err != nil {
		return err
	}
	data := events.OrderStatusChanged{
		SchemaVersion: events.SchemaVersion,
		OrderID:       o.ID,
		CustomerID:    o.CustomerID,
		From:          string(ch.From),
		To:            string(ch.To),
		Reason:        ch.Reason,
		TotalAmount:   o.TotalAmount,
		Currency:      o.Currency,
		Version:       ch.Version,
		ChangedAt:     ch.At,
	}
	if err := data.Validate(); err != nil {
		return fmt.Errorf("app: order.status.changed would be invalid: %w", err)
	}
	return tx.Publish(ctx, Event{Type: events.TypeOrderStatusChanged, AggregateID: o.ID, Data: data, OccurredAt: ch.At})
}

// PaymentCompleted applies payment.completed (event eventID) once: a pending order becomes
// paid; a cancelled one stays cancelled and announces its cancellation again so that payment
// refunds the charge; otherwise nothing happens. An unknown order is an error wrapping
// order.ErrNotFound.
func (s *Service) PaymentCompleted(ctx context.Context, eventID string, e events.PaymentCompleted) error {
	return s.applyPayment(ctx, eventID, events.TypePaymentCompleted, e.OrderID, func(o *order.Order, now time.Time) (order.Change, order.PaymentOutcome) {
		return o.PaymentCompleted(now)
	})
}

// PaymentFailed applies payment.failed (event eventID) once: a pending order is cancelled with
// the payment's reason; otherwise nothing happens. An unknown order is an error wrapping
// order.ErrNotFound.
func (s *Service) PaymentFailed(ctx context.Context, eventID string, e events.PaymentFailed) error {
	return s.applyPayment(ctx, eventID, events.TypePaymentFailed, e.OrderID, func(o *order.Order, now time.Time) (order.Change, order.PaymentOutcome) {
		return o.PaymentFailed(e.Reason, now)
	})
}

func (s *Service) applyPayment(ctx context.Context, eventID, eventType, orderID string,
	apply func(o *order.Order, now time.Time) (order.Change, order.PaymentOutcome)) error {
	log := s.log.With("event_id", eventID, "event_type", eventType, "order_id", orderID)
	var (
		outcome order.PaymentOutcome
		status  order.Status
		version int64
	)
	applied, err := s.repo.InEvent(ctx, Consumer, eventID, func(ctx context.Context, tx Tx) error {
		o, err := tx.Get(ctx, orderID, true)
		if err != nil {
			return err
		}
		var ch order.Change
		ch, outcome = apply(o, s.clock())
		status, version = o.Status, o.Version
		if outcome == order.PaymentIgnored {
			return nil
		}
		return s.saveChange(ctx, tx, o, ch)
	})
	switch {
	case err != nil:
		return err
	case !applied:
		log.InfoContext(ctx, "duplicate payment event ignored")
	case outcome == order.PaymentApplied:
		log.InfoContext(ctx, "order status changed by payment", "status", status, "version", version)
	case outcome == order.RefundRequested:
		log.WarnContext(ctx, "payment completed for a cancelled order: refund requested", "version", version)
	default:
		log.InfoContext(ctx, "payment event changes nothing", "status", status)
	}
	return nil
}

// PruneIdempotencyKeys forgets the idempotency keys older than ttl.
func (s *Service) PruneIdempotencyKeys(ctx context.Context, ttl time.Duration) (int64, error) {
	return s.repo.PruneIdempotency(ctx, s.now().Add(-ttl))
}
