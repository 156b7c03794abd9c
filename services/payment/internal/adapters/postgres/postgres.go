// Package postgres stores payments, cancellation markers and per-order locks in PostgreSQL and
// implements the app's Transactor (with the platform inbox and outbox) and Reader.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/inbox"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/services/payment/internal/app"
	"github.com/orderflow/orderflow/services/payment/internal/domain/payment"
)

const paymentColumns = `id::text, order_id, customer_id, amount, currency, status, reason, provider_ref, version, created_at, updated_at`

const (
	// The per-order lock. Charging (order.created) and cancelling (order.status.changed →
	// cancelled) an order must not both miss each other: under READ COMMITTED, a charge that
	// checks for the cancellation marker and a cancellation that checks for the payment could
	// each run before the other commits, and the order would be charged after its
	// cancellation with nothing left to refund it. So both paths first lock the order's row in
	// order_locks, creating it if needed, and hold the lock to the end of their transaction;
	// whichever comes second then sees what the first committed.
	//
	// Why a lock row rather than the alternatives: a FOR UPDATE on the payment or on the
	// marker cannot work, since neither row exists yet in the race that matters; the unique
	// constraints alone detect a duplicate of the same kind, not a charge racing a
	// cancellation; SERIALIZABLE would work but turns the race into serialization failures
	// (retries) of every transaction of the database; an advisory lock on a hash of the order
	// id works too, but can collide and is invisible in the schema. The lock row is one short
	// row per order, like the payment itself.
	//
	// The INSERT … ON CONFLICT DO NOTHING of a new order waits for a concurrent inserter to
	// commit; the SELECT … FOR UPDATE then locks the committed row. The inbox claim comes
	// before the lock in both paths, and no path takes two order locks, so they cannot
	// deadlock.
	insertLockSQL = `INSERT INTO order_locks (order_id) VALUES ($1) ON CONFLICT (order_id) DO NOTHING`
	lockSQL       = `SELECT order_id FROM order_locks WHERE order_id = $1 FOR UPDATE`

	cancellationSQL    = `SELECT order_id, reason, cancelled_at FROM order_cancellations WHERE order_id = $1`
	markCancelledSQL   = `INSERT INTO order_cancellations (order_id, reason, cancelled_at) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING`
	markChargeSkipped  = `UPDATE order_cancellations SET charge_skipped_at = $2 WHERE order_id = $1`
	paymentOfOrderSQL  = `SELECT ` + paymentColumns + ` FROM payments WHERE order_id = $1`
	paymentByIDSQL     = `SELECT ` + paymentColumns + ` FROM payments WHERE id = $1`
	paymentsOfOrderSQL = `SELECT ` + paymentColumns + ` FROM payments WHERE order_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`
	paymentsOfCustomer = `SELECT ` + paymentColumns + ` FROM payments WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`
	insertPaymentSQL   = `INSERT INTO payments (id, order_id, customer_id, amount, currency, status, reason, provider_ref, version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (order_id) DO NOTHING`
	// The WHERE clause guards the transition: the row changes only from the status and the
	// version it was read with.
	updatePaymentSQL = `UPDATE payments SET status = $2, reason = $3, version = $4, updated_at = $5
WHERE id = $1 AND status = $6 AND version = $4 - 1`
)

// Store is the payment database. It implements app.Transactor and app.Reader.
type Store struct {
	pool     *pgxpool.Pool
	consumer string
}

var (
	_ app.Transactor = (*Store)(nil)
	_ app.Reader     = (*Store)(nil)
	_ app.Tx         = (*tx)(nil)
)

// NewStore returns the store over pool; consumer names the inbox (the Dapr app id).
func NewStore(pool *pgxpool.Pool, consumer string) *Store {
	return &Store{pool: pool, consumer: consumer}
}

// InEvent implements app.Transactor with inbox.Process.
func (s *Store) InEvent(ctx context.Context, ev app.EventMeta, fn func(app.Tx) error) (bool, error) {
	return inbox.Process(ctx, s.pool, s.consumer, ev.ID, func(t pgx.Tx) error {
		return fn(&tx{tx: t})
	})
}

// Get returns the payment id; ok is false when there is none (or id is not a UUID).
func (s *Store) Get(ctx context.Context, id string) (payment.Payment, bool, error) {
	parsed, err := uuid.Parse(id)
	if err != nil {
		return payment.Payment{}, false, nil
	}
	return queryOne(ctx, s.pool, paymentByIDSQL, parsed.String())
}

// List returns the payments of f.OrderID or f.CustomerID, newest first.
func (s *Store) List(ctx context.Context, f app.ListFilter) ([]payment.Payment, error) {
	sql, key := paymentsOfOrderSQL, f.OrderID
	if f.OrderID == "" {
		sql, key = paymentsOfCustomer, f.CustomerID
	}
	rows, err := s.pool.Query(ctx, sql, key, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list payments: %w", err)
	}
	ps, err := pgx.CollectRows(rows, scanPayment)
	if err != nil {
		return nil, fmt.Errorf("postgres: list payments: %w", err)
	}
	return ps, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryOne(ctx context.Context, q querier, sql string, arg any) (payment.Payment, bool, error) {
	rows, err := q.Query(ctx, sql, arg)
	if err != nil {
		return payment.Payment{}, false, fmt.Errorf("postgres: read payment: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPayment)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return payment.Payment{}, false, nil
	case err != nil:
		return payment.Payment{}, false, fmt.Errorf("postgres: read payment: %w", err)
	}
	return p, true, nil
}

func scanPayment(row pgx.CollectableRow) (payment.Payment, error) {
	var p payment.Payment
	var status string
	err := row.Scan(&p.ID, &p.OrderID, &p.CustomerID, &p.Amount, &p.Currency, &status, &p.Reason,
		&p.ProviderRef, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	p.Status = payment.Status(status)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// tx is app.Tx over one transaction.
type tx struct {
	tx pgx.Tx
}

func (t *tx) LockOrder(ctx context.Context, orderID string) error {
	if _, err := t.tx.Exec(ctx, insertLockSQL, orderID); err != nil {
		return fmt.Errorf("postgres: lock order %s: %w", orderID, err)
	}
	var locked string
	if err := t.tx.QueryRow(ctx, lockSQL, orderID).Scan(&locked); err != nil {
		return fmt.Errorf("postgres: lock order %s: %w", orderID, err)
	}
	return nil
}

func (t *tx) CancellationOf(ctx context.Context, orderID string) (app.Cancellation, bool, error) {
	var c app.Cancellation
	err := t.tx.QueryRow(ctx, cancellationSQL, orderID).Scan(&c.OrderID, &c.Reason, &c.CancelledAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return app.Cancellation{}, false, nil
	case err != nil:
		return app.Cancellation{}, false, fmt.Errorf("postgres: read cancellation of %s: %w", orderID, err)
	}
	return c, true, nil
}

func (t *tx) MarkCancelled(ctx context.Context, c app.Cancellation) error {
	if _, err := t.tx.Exec(ctx, markCancelledSQL, c.OrderID, c.Reason, c.CancelledAt.UTC()); err != nil {
		return fmt.Errorf("postgres: mark %s cancelled: %w", c.OrderID, err)
	}
	return nil
}

func (t *tx) MarkChargeSkipped(ctx context.Context, orderID string, at time.Time) error {
	if _, err := t.tx.Exec(ctx, markChargeSkipped, orderID, at.UTC()); err != nil {
		return fmt.Errorf("postgres: mark charge of %s skipped: %w", orderID, err)
	}
	return nil
}

func (t *tx) PaymentOfOrder(ctx context.Context, orderID string) (payment.Payment, bool, error) {
	return queryOne(ctx, t.tx, paymentOfOrderSQL, orderID)
}

func (t *tx) InsertPayment(ctx context.Context, p payment.Payment) (bool, error) {
	tag, err := t.tx.Exec(ctx, insertPaymentSQL, p.ID, p.OrderID, p.CustomerID, p.Amount, p.Currency,
		string(p.Status), p.Reason, p.ProviderRef, p.Version, p.CreatedAt.UTC(), p.UpdatedAt.UTC())
	if err != nil {
		return false, fmt.Errorf("postgres: insert payment of %s: %w", p.OrderID, err)
	}
	return tag.RowsAffected() == 1, nil
}

func (t *tx) UpdatePayment(ctx context.Context, p payment.Payment, from payment.Status) (bool, error) {
	tag, err := t.tx.Exec(ctx, updatePaymentSQL, p.ID, string(p.Status), p.Reason, p.Version, p.UpdatedAt.UTC(), string(from))
	if err != nil {
		return false, fmt.Errorf("postgres: update payment %s: %w", p.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

func (t *tx) Publish(ctx context.Context, msgs ...app.Message) error {
	out := make([]outbox.Message, 0, len(msgs))
	for _, m := range msgs {
		topic, err := events.TopicOf(m.Type)
		if err != nil {
			return fmt.Errorf("postgres: publish: %w", err)
		}
		out = append(out, outbox.Message{
			AggregateID:   m.AggregateID,
			Topic:         topic,
			Type:          m.Type,
			SchemaVersion: events.SchemaVersion,
			Data:          m.Data,
			OccurredAt:    m.OccurredAt, // Headers: trace context and correlation id of ctx
		})
	}
	_, err := outbox.Add(ctx, t.tx, out...)
	return err
}
