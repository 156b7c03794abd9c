// Package app holds the payment use cases: charging new orders, refunding cancelled ones and
// reading payments. It talks to the database, the outbox and the payment provider only
// through the interfaces of ports.go.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/services/payment/internal/domain/payment"
)

var (
	// ErrInvalid marks input that can never be processed: retrying cannot help.
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound is returned for a payment that does not exist.
	ErrNotFound = errors.New("payment not found")
	// ErrProvider wraps a provider failure whose outcome is unknown: retrying may help.
	ErrProvider = errors.New("payment provider unavailable")
)

// Limits of List.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// DefaultRefundReason is recorded when a cancellation gives no reason.
const DefaultRefundReason = "order cancelled"

// Options tune a Service; zero values take defaults.
type Options struct {
	Now    func() time.Time // default time.Now
	NewID  func() string    // new payment ids; default UUIDv7
	Logger *slog.Logger     // default slog.Default()
}

// Service runs the payment use cases.
type Service struct {
	tx       Transactor
	reader   Reader
	provider Provider
	now      func() time.Time
	newID    func() string
	log      *slog.Logger
}

// New returns the use cases over tx and reader, charging through provider.
func New(tx Transactor, reader Reader, provider Provider, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	clock := opts.Now
	// PostgreSQL keeps microseconds: events and API answers then show the same instants.
	opts.Now = func() time.Time { return clock().UTC().Truncate(time.Microsecond) }
	if opts.NewID == nil {
		opts.NewID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{tx: tx, reader: reader, provider: provider, now: opts.Now, newID: opts.NewID, log: opts.Logger}
}

// Outcome says what handling an event did.
type Outcome string

// The outcomes of ChargeOrder and CancelOrder.
const (
	OutcomeDuplicate Outcome = "duplicate" // the event was processed before: nothing done

	ChargeCompleted        Outcome = "completed"         // charged: payment.completed published
	ChargeFailed           Outcome = "failed"            // declined: payment.failed published
	ChargeSkippedCancelled Outcome = "skipped_cancelled" // the order was cancelled first: not charged, nothing published
	ChargeAlreadyCharged   Outcome = "already_charged"   // the order has a payment already: nothing done

	CancelRefunded      Outcome = "refunded"     // the completed payment was refunded: payment.refunded published
	CancelMarked        Outcome = "marked"       // no payment yet: the marker stops a later charge
	CancelNoRefund      Outcome = "not_refunded" // the payment failed or was refunded before: nothing to give back
	StatusChangeIgnored Outcome = "ignored"      // a status change payment does not act on
)

// ChargeOrder is a new order to charge (from order.created).
type ChargeOrder struct {
	OrderID      string
	CustomerID   string
	Amount       int64
	Currency     string
	PaymentToken string
}

// ChargeOrder charges a new order once: the event is claimed in the inbox, the order is locked,
// and then — unless the order was cancelled already or has a payment — the provider is asked
// and the payment stored with its payment.completed or payment.failed event, all in one
// transaction. A provider or database failure leaves nothing behind and is returned (retry);
// invalid input is ErrInvalid.
func (s *Service) ChargeOrder(ctx context.Context, ev EventMeta, cmd ChargeOrder) (Outcome, error) {
	charge := payment.Charge{ID: s.newID(), OrderID: cmd.OrderID, CustomerID: cmd.CustomerID, Amount: cmd.Amount, Currency: cmd.Currency}
	if err := charge.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var outcome Outcome
	applied, err := s.tx.InEvent(ctx, ev, func(tx Tx) error {
		var err error
		outcome, err = s.charge(ctx, tx, charge, cmd.PaymentToken)
		return err
	})
	if err != nil {
		return "", err
	}
	if !applied {
		outcome = OutcomeDuplicate
	}
	s.log.InfoContext(ctx, "order.created handled", "event_id", ev.ID, "order_id", cmd.OrderID, "outcome", string(outcome))
	return outcome, nil
}

func (s *Service) charge(ctx context.Context, tx Tx, charge payment.Charge, token string) (Outcome, error) {
	if err := tx.LockOrder(ctx, charge.OrderID); err != nil {
		return "", err
	}
	if _, cancelled, err := tx.CancellationOf(ctx, charge.OrderID); err != nil {
		return "", err
	} else if cancelled {
		if err := tx.MarkChargeSkipped(ctx, charge.OrderID, s.now()); err != nil {
			return "", err
		}
		return ChargeSkippedCancelled, nil
	}
	if _, exists, err := tx.PaymentOfOrder(ctx, charge.OrderID); err != nil {
		return "", err
	} else if exists {
		return ChargeAlreadyCharged, nil
	}

	res, err := s.provider.Charge(ctx, ChargeRequest{
		IdempotencyKey: charge.OrderID,
		OrderID:        charge.OrderID,
		CustomerID:     charge.CustomerID,
		Amount:         charge.Amount,
		Currency:       charge.Currency,
		PaymentToken:   token,
	})
	if err != nil {
		return "", fmt.Errorf("%w: charge order %s: %w", ErrProvider, charge.OrderID, err)
	}
	now := s.now()
	var p payment.Payment
	if res.Approved {
		p, err = payment.NewCompleted(charge, res.ProviderRef, now)
	} else {
		reason := res.DeclineReason
		if reason == "" {
			reason = "declined by the provider"
		}
		p, err = payment.NewFailed(charge, reason, now)
	}
	if err != nil {
		// The charge was validated, so only the provider's answer can be wrong here.
		return "", fmt.Errorf("%w: unusable answer for order %s: %w", ErrProvider, charge.OrderID, err)
	}
	// The order lock makes a second payment impossible here; the unique constraint on order_id
	// is the backstop. The provider's idempotency key (the order id) keeps the money right.
	inserted, err := tx.InsertPayment(ctx, p)
	if err != nil {
		return "", err
	}
	if !inserted {
		return ChargeAlreadyCharged, nil
	}
	msg, err := paymentMessage(p)
	if err != nil {
		return "", err
	}
	if err := tx.Publish(ctx, msg); err != nil {
		return "", err
	}
	if p.Status == payment.StatusCompleted {
		return ChargeCompleted, nil
	}
	return ChargeFailed, nil
}

// CancelOrder is an order's cancellation (from order.status.changed to cancelled).
type CancelOrder struct {
	OrderID     string
	Reason      string
	CancelledAt time.Time
}

// CancelOrder records the cancellation marker of an order and refunds its completed payment,
// once: the event is claimed in the inbox and the order locked, so that a charge running at
// the same time either sees the marker or is seen as a payment to refund. A provider or
// database failure leaves nothing behind and is returned (retry).
func (s *Service) CancelOrder(ctx context.Context, ev EventMeta, cmd CancelOrder) (Outcome, error) {
	if cmd.OrderID == "" || len(cmd.OrderID) > payment.MaxIDLength {
		return "", fmt.Errorf("%w: orderId must have 1 to %d bytes", ErrInvalid, payment.MaxIDLength)
	}
	if cmd.CancelledAt.IsZero() {
		cmd.CancelledAt = s.now()
	}
	var outcome Outcome
	applied, err := s.tx.InEvent(ctx, ev, func(tx Tx) error {
		var err error
		outcome, err = s.cancel(ctx, tx, cmd)
		return err
	})
	if err != nil {
		return "", err
	}
	if !applied {
		outcome = OutcomeDuplicate
	}
	s.log.InfoContext(ctx, "order cancellation handled", "event_id", ev.ID, "order_id", cmd.OrderID, "outcome", string(outcome))
	return outcome, nil
}

func (s *Service) cancel(ctx context.Context, tx Tx, cmd CancelOrder) (Outcome, error) {
	if err := tx.LockOrder(ctx, cmd.OrderID); err != nil {
		return "", err
	}
	if err := tx.MarkCancelled(ctx, Cancellation{OrderID: cmd.OrderID, Reason: cmd.Reason, CancelledAt: cmd.CancelledAt.UTC()}); err != nil {
		return "", err
	}
	p, exists, err := tx.PaymentOfOrder(ctx, cmd.OrderID)
	switch {
	case err != nil:
		return "", err
	case !exists:
		return CancelMarked, nil
	case p.Status != payment.StatusCompleted:
		return CancelNoRefund, nil
	}
	reason := cmd.Reason
	if reason == "" {
		reason = DefaultRefundReason
	}
	from := p.Status
	if err := p.Refund(reason, s.now()); err != nil {
		return "", err
	}
	if err := s.provider.Refund(ctx, RefundRequest{
		IdempotencyKey: p.ID,
		PaymentID:      p.ID,
		ProviderRef:    p.ProviderRef,
		Amount:         p.Amount,
		Currency:       p.Currency,
		Reason:         reason,
	}); err != nil {
		return "", fmt.Errorf("%w: refund payment %s: %w", ErrProvider, p.ID, err)
	}
	updated, err := tx.UpdatePayment(ctx, p, from)
	if err != nil {
		return "", err
	}
	if !updated {
		// Impossible under the order lock; if it happens, retrying re-reads the payment.
		return "", fmt.Errorf("payment %s changed concurrently", p.ID)
	}
	msg, err := paymentMessage(p)
	if err != nil {
		return "", err
	}
	if err := tx.Publish(ctx, msg); err != nil {
		return "", err
	}
	return CancelRefunded, nil
}

// paymentMessage is the event announcing p's current status.
func paymentMessage(p payment.Payment) (Message, error) {
	var data interface{ Validate() error }
	var typ string
	switch p.Status {
	case payment.StatusCompleted:
		typ = events.TypePaymentCompleted
		data = events.PaymentCompleted{SchemaVersion: events.SchemaVersion, PaymentID: p.ID, OrderID: p.OrderID,
			CustomerID: p.CustomerID, Amount: p.Amount, Currency: p.Currency, Version: p.Version, CompletedAt: p.UpdatedAt}
	case payment.StatusFailed:
		typ = events.TypePaymentFailed
		data = events.PaymentFailed{SchemaVersion: events.SchemaVersion, PaymentID: p.ID, OrderID: p.OrderID,
			CustomerID: p.CustomerID, Amount: p.Amount, Currency: p.Currency, Reason: p.Reason, Version: p.Version, FailedAt: p.UpdatedAt}
	case payment.StatusRefunded:
		typ = events.TypePaymentRefunded
		data = events.PaymentRefunded{SchemaVersion: events.SchemaVersion, PaymentID: p.ID, OrderID: p.OrderID,
			CustomerID: p.CustomerID, Amount: p.Amount, Currency: p.Currency, Reason: p.Reason, Version: p.Version, RefundedAt: p.UpdatedAt}
	default:
		return Message{}, fmt.Errorf("no event for payment status %q", p.Status)
	}
	if err := data.Validate(); err != nil {
		return Message{}, fmt.Errorf("outgoing %s: %w", typ, err)
	}
	return Message{Type: typ, AggregateID: p.OrderID, Data: data, OccurredAt: p.UpdatedAt}, nil
}

// Get returns the payment id, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (payment.Payment, error) {
	p, ok, err := s.reader.Get(ctx, id)
	if err != nil {
		return payment.Payment{}, err
	}
	if !ok {
		return payment.Payment{}, ErrNotFound
	}
	return p, nil
}

// List returns the payments of an order or of a customer, newest first. Exactly one of
// f.OrderID and f.CustomerID must be set; f.Limit defaults to DefaultListLimit and may not
// exceed MaxListLimit.
func (s *Service) List(ctx context.Context, f ListFilter) ([]payment.Payment, error) {
	if (f.OrderID == "") == (f.CustomerID == "") {
		return nil, fmt.Errorf("%w: exactly one of orderId and customerId is required", ErrInvalid)
	}
	if f.Limit == 0 {
		f.Limit = DefaultListLimit
	}
	if f.Limit < 0 || f.Limit > MaxListLimit {
		return nil, fmt.Errorf("%w: limit must be from 1 to %d", ErrInvalid, MaxListLimit)
	}
	return s.reader.List(ctx, f)
}

// OrderStatusChange is an order's status change (from order.status.changed).
type OrderStatusChange struct {
	OrderID   string
	To        string
	Reason    string
	ChangedAt time.Time
}

// OrderStatusChanged acts on a cancellation (CancelOrder) and ignores every other status:
// paid and shipped orders need nothing from payment. Ignored changes touch no table.
func (s *Service) OrderStatusChanged(ctx context.Context, ev EventMeta, c OrderStatusChange) (Outcome, error) {
	if c.To != events.OrderStatusCancelled {
		return StatusChangeIgnored, nil
	}
	return s.CancelOrder(ctx, ev, CancelOrder{OrderID: c.OrderID, Reason: c.Reason, CancelledAt: c.ChangedAt})
}
