// Package postgres stores analytics events and their hourly aggregates in PostgreSQL.
package postgres

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/services/analytics/internal/app"
)

const (
	// createIncomingSQL is the batch's staging table, filled with COPY. Beside each event's
	// columns it holds the hour and the counters the event adds (app.Event.Counters).
	createIncomingSQL = `CREATE TEMP TABLE incoming (
    event_id          text        NOT NULL,
    type              text        NOT NULL,
    order_id          text        NOT NULL,
    customer_id       text        NOT NULL,
    amount            bigint      NOT NULL,
    currency          text        NOT NULL,
    occurred_at       timestamptz NOT NULL,
    data              jsonb       NOT NULL,
    hour              timestamptz NOT NULL,
    orders_created    bigint      NOT NULL,
    orders_paid       bigint      NOT NULL,
    orders_cancelled  bigint      NOT NULL,
    payments_failed   bigint      NOT NULL,
    payments_refunded bigint      NOT NULL,
    revenue           bigint      NOT NULL,
    refunded_amount   bigint      NOT NULL
) ON COMMIT DROP`

	// recordSQL inserts the new events — ON CONFLICT DO NOTHING skips the ones stored before,
	// RETURNING names the others — and adds the counters of exactly those to hourly_stats.
	// Rows are taken in key order, so that concurrent batches lock rows in the same order.
	// sum(bigint) is numeric: no sum overflows.
	recordSQL = `WITH inserted AS (
    INSERT INTO events (event_id, type, order_id, customer_id, amount, currency, occurred_at, data)
    SELECT event_id, type, order_id, customer_id, amount, currency, occurred_at, data
    FROM incoming ORDER BY event_id
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id
), deltas AS (
    SELECT i.hour, i.currency,
           sum(i.orders_created) AS orders_created, sum(i.orders_paid) AS orders_paid,
           sum(i.orders_cancelled) AS orders_cancelled, sum(i.payments_failed) AS payments_failed,
           sum(i.payments_refunded) AS payments_refunded, sum(i.revenue) AS revenue,
           sum(i.refunded_amount) AS refunded_amount
    FROM incoming i JOIN inserted USING (event_id)
    GROUP BY i.hour, i.currency
), upserted AS (
    INSERT INTO hourly_stats AS h (hour, currency, orders_created, orders_paid, orders_cancelled,
                                   payments_failed, payments_refunded, revenue, refunded_amount)
    SELECT hour, currency, orders_created, orders_paid, orders_cancelled,
           payments_failed, payments_refunded, revenue, refunded_amount
    FROM deltas
    WHERE orders_created + orders_paid + orders_cancelled + payments_failed + payments_refunded <> 0
       OR revenue <> 0 OR refunded_amount <> 0
    ORDER BY hour, currency
    ON CONFLICT (hour, currency) DO UPDATE SET
        orders_created    = h.orders_created    + EXCLUDED.orders_created,
        orders_paid       = h.orders_paid       + EXCLUDED.orders_paid,
        orders_cancelled  = h.orders_cancelled  + EXCLUDED.orders_cancelled,
        payments_failed   = h.payments_failed   + EXCLUDED.payments_failed,
        payments_refunded = h.payments_refunded + EXCLUDED.payments_refunded,
        revenue           = h.revenue           + EXCLUDED.revenue,
        refunded_amount   = h.refunded_amount   + EXCLUDED.refunded_amount
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM upserted)`

	hourlySQL = `SELECT hour, currency, orders_created, orders_paid, orders_cancelled, payments_failed,
       payments_refunded, revenue::text, refunded_amount::text
FROM hourly_stats
WHERE hour >= $1 AND hour < $2
ORDER BY hour, currency`
)

var incomingColumns = []string{"event_id", "type", "order_id", "customer_id", "amount", "currency", "occurred_at", "data",
	"hour", "orders_created", "orders_paid", "orders_cancelled", "payments_failed", "payments_refunded", "revenue", "refunded_amount"}

// Store implements app.Store.
type Store struct {
	pool *pgxpool.Pool
}

var _ app.Store = (*Store)(nil)

// NewStore returns the store of pool's database.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Record implements app.Store: in one transaction, COPY the events into a temporary table, then
// insert the new ones and update the aggregates from them.
func (s *Store) Record(ctx context.Context, evs []app.Event) (int, error) {
	rows := make([][]any, len(evs))
	for i, ev := range evs {
		c := ev.Counters()
		rows[i] = []any{ev.ID, ev.Type, ev.OrderID, ev.CustomerID, ev.Amount, ev.Currency, ev.OccurredAt, []byte(ev.Data),
			ev.Hour(), c.OrdersCreated, c.OrdersPaid, c.OrdersCancelled, c.PaymentsFailed, c.PaymentsRefunded, c.Revenue, c.RefundedAmount}
	}
	var stored int
	err := pgdb.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, createIncomingSQL); err != nil {
			return fmt.Errorf("create staging table: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"incoming"}, incomingColumns, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy events: %w", err)
		}
		var upserted int
		if err := tx.QueryRow(ctx, recordSQL).Scan(&stored, &upserted); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record %d events: %w", len(evs), err)
	}
	return stored, nil
}

// Hourly implements app.Store.
func (s *Store) Hourly(ctx context.Context, from, to time.Time) ([]app.HourlyStats, error) {
	rows, err := s.pool.Query(ctx, hourlySQL, from, to)
	if err != nil {
		return nil, fmt.Errorf("hourly stats: %w", err)
	}
	stats, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.HourlyStats, error) {
		var h app.HourlyStats
		var revenue, refunded string
		if err := row.Scan(&h.Hour, &h.Currency, &h.OrdersCreated, &h.OrdersPaid, &h.OrdersCancelled,
			&h.PaymentsFailed, &h.PaymentsRefunded, &revenue, &refunded); err != nil {
			return h, err
		}
		h.Hour = h.Hour.UTC()
		var ok1, ok2 bool
		h.Revenue, ok1 = new(big.Int).SetString(revenue, 10)
		h.RefundedAmount, ok2 = new(big.Int).SetString(refunded, 10)
		if !ok1 || !ok2 {
			return h, fmt.Errorf("amounts %q, %q are not integers", revenue, refunded)
		}
		return h, nil
	})
	if err != nil {
		return nil, fmt.Errorf("hourly stats: %w", err)
	}
	return stats, nil
}
