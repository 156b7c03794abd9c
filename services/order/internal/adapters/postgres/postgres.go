// Package postgres stores orders, their items and idempotency keys in PostgreSQL and writes
// their events to the outbox, implementing app.Repository and app.Tx.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/inbox"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/services/order/internal/app"
	"github.com/orderflow/orderflow/services/order/internal/domain/order"
)

const selectOrderSQL = `SELECT o.id::text, o.customer_id, o.currency, o.total_amount, o.status, o.status_reason,
       o.version, o.created_at, o.updated_at,
       (SELECT coalesce(json_agg(json_build_object('productId', i.product_id, 'quantity', i.quantity, 'unitPrice', i.unit_price)
                                 ORDER BY i.line_no), '[]'::json)
          FROM order_items i WHERE i.order_id = o.id) AS items
  FROM orders o`

const (
	getSQL          = selectOrderSQL + ` WHERE o.id = $1`
	getForUpdateSQL = getSQL + ` FOR UPDATE OF o`

	listByCustomerSQL = selectOrderSQL + ` WHERE o.customer_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2`

	insertOrderSQL = `INSERT INTO orders (id, customer_id, currency, total_amount, status, status_reason, version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

	insertItemsSQL = `INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price)
SELECT $1, t.line_no, t.product_id, t.quantity, t.unit_price
  FROM unnest($2::text[], $3::integer[], $4::bigint[]) WITH ORDINALITY AS t(product_id, quantity, unit_price, line_no)`

	// updateStatusSQL is guarded by the status and version the change was computed from, so
	// that of two concurrent changes only one can win.
	updateStatusSQL = `UPDATE orders SET status = $2, status_reason = $3, version = $4, updated_at = $5
WHERE id = $1 AND status = $6 AND version = $7`

	claimKeySQL = `INSERT INTO idempotency_keys (client_id, key, request_hash, status_code, response, order_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (client_id, key) DO NOTHING`

	getKeySQL = `SELECT request_hash, status_code, response, order_id::text FROM idempotency_keys WHERE client_id = $1 AND key = $2`

	pruneKeysSQL = `DELETE FROM idempotency_keys WHERE created_at < $1`
)

// Repository implements app.Repository over a pool.
type Repository struct {
	pool *pgxpool.Pool
}

var _ app.Repository = (*Repository)(nil)

// New returns the repository of pool's database.
func New(pool *pgxpool.Pool) *Repository {
	return &Repository{pool: pool}
}

// InTx implements app.Repository.
func (r *Repository) InTx(ctx context.Context, fn func(ctx context.Context, tx app.Tx) error) error {
	var fnErr error
	err := pgdb.InTx(ctx, r.pool, func(tx pgx.Tx) error {
		fnErr = fn(ctx, txRepo{tx: tx})
		return fnErr
	})
	if err != nil && fnErr == nil { // begin or commit failed
		return classify(err)
	}
	return err
}

// InEvent implements app.Repository with inbox.Process.
func (r *Repository) InEvent(ctx context.Context, consumer, eventID string, fn func(ctx context.Context, tx app.Tx) error) (bool, error) {
	var fnErr error
	applied, err := inbox.Process(ctx, r.pool, consumer, eventID, func(tx pgx.Tx) error {
		fnErr = fn(ctx, txRepo{tx: tx})
		return fnErr
	})
	if err != nil && fnErr == nil { // begin, inbox claim or commit failed
		return false, classify(err)
	}
	return applied, err
}

// Get implements app.Repository.
func (r *Repository) Get(ctx context.Context, id string) (*order.Order, error) {
	return getOrder(ctx, r.pool, id, false)
}

// ListByCustomer implements app.Repository.
func (r *Repository) ListByCustomer(ctx context.Context, customerID string, limit int) ([]*order.Order, error) {
	rows, err := r.pool.Query(ctx, listByCustomerSQL, customerID, limit)
	if err != nil {
		return nil, classify(fmt.Errorf("postgres: list orders: %w", err))
	}
	orders, err := pgx.CollectRows(rows, scanOrder)
	if err != nil {
		return nil, classify(fmt.Errorf("postgres: list orders: %w", err))
	}
	return orders, nil
}

// Idempotency implements app.Repository.
func (r *Repository) Idempotency(ctx context.Context, clientID, key string) (app.IdempotencyRecord, bool, error) {
	rec := app.IdempotencyRecord{ClientID: clientID, Key: key}
	err := r.pool.QueryRow(ctx, getKeySQL, clientID, key).Scan(&rec.RequestHash, &rec.Response.StatusCode, &rec.Response.Body, &rec.OrderID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return app.IdempotencyRecord{}, false, nil
	case err != nil:
		return app.IdempotencyRecord{}, false, classify(fmt.Errorf("postgres: read idempotency key: %w", err))
	}
	return rec, true, nil
}

// PruneIdempotency implements app.Repository.
func (r *Repository) PruneIdempotency(ctx context.Context, before time.Time) (int64, error) {
	tag, err := r.pool.Exec(ctx, pruneKeysSQL, before)
	if err != nil {
		return 0, classify(fmt.Errorf("postgres: prune idempotency keys: %w", err))
	}
	return tag.RowsAffected(), nil
}

// txRepo implements app.Tx in one transaction.
type txRepo struct {
	tx pgx.Tx
}

// Get implements app.Tx.
func (t txRepo) Get(ctx context.Context, id string, forUpdate bool) (*order.Order, error) {
	return getOrder(ctx, t.tx, id, forUpdate)
}

// Insert implements app.Tx.
func (t txRepo) Insert(ctx context.Context, o *order.Order) error {
	if _, err := t.tx.Exec(ctx, insertOrderSQL, o.ID, o.CustomerID, o.Currency, o.TotalAmount, string(o.Status),
		o.StatusReason, o.Version, o.CreatedAt, o.UpdatedAt); err != nil {
		return classify(fmt.Errorf("postgres: insert order %s: %w", o.ID, err))
	}
	products := make([]string, len(o.Items))
	quantities := make([]int32, len(o.Items))
	prices := make([]int64, len(o.Items))
	for i, it := range o.Items {
		products[i], quantities[i], prices[i] = it.ProductID, int32(it.Quantity), it.UnitPrice
	}
	if _, err := t.tx.Exec(ctx, insertItemsSQL, o.ID, products, quantities, prices); err != nil {
		return classify(fmt.Errorf("postgres: insert items of order %s: %w", o.ID, err))
	}
	return nil
}

// UpdateStatus implements app.Tx.
func (t txRepo) UpdateStatus(ctx context.Context, o *order.Order, from order.Status, prevVersion int64) error {
	tag, err := t.tx.Exec(ctx, updateStatusSQL, o.ID, string(o.Status), o.StatusReason, o.Version, o.UpdatedAt, string(from), prevVersion)
	if err != nil {
		return classify(fmt.Errorf("postgres: update order %s: %w", o.ID, err))
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("postgres: order %s is no longer %s at version %d: %w", o.ID, from, prevVersion, app.ErrConflict)
	}
	return nil
}

// ClaimIdempotencyKey implements app.Tx.
func (t txRepo) ClaimIdempotencyKey(ctx context.Context, rec app.IdempotencyRecord) (bool, error) {
	if !json.Valid(rec.Response.Body) {
		return false, fmt.Errorf("postgres: idempotent response of key %q is not JSON", rec.Key)
	}
	tag, err := t.tx.Exec(ctx, claimKeySQL, rec.ClientID, rec.Key, rec.RequestHash, rec.Response.StatusCode, rec.Response.Body, rec.OrderID)
	if err != nil {
		return false, classify(fmt.Errorf("postgres: store idempotency key: %w", err))
	}
	return tag.RowsAffected() == 1, nil
}

// Publish implements app.Tx: the events go to the outbox with the trace context of ctx and its
// request id as correlation id.
func (t txRepo) Publish(ctx context.Context, evs ...app.Event) error {
	msgs := make([]outbox.Message, 0, len(evs))
	for _, ev := range evs {
		topic, err := events.TopicOf(ev.Type)
		if err != nil {
			return fmt.Errorf("postgres: publish: %w", err)
		}
		headers := outbox.HeadersFrom(ctx)
		if id := logging.RequestID(ctx); id != "" {
			headers["correlationid"] = id
		}
		msgs = append(msgs, outbox.Message{
			AggregateID:   ev.AggregateID,
			Topic:         topic,
			Type:          ev.Type,
			SchemaVersion: events.SchemaVersion,
			Data:          ev.Data,
			OccurredAt:    ev.OccurredAt,
			Headers:       headers,
		})
	}
	if _, err := outbox.Add(ctx, t.tx, msgs...); err != nil {
		return classify(err)
	}
	return nil
}

func getOrder(ctx context.Context, db pgdb.DBTX, id string, forUpdate bool) (*order.Order, error) {
	parsed, err := uuid.Parse(id)
	if err != nil {
		return nil, fmt.Errorf("order %q: %w", id, order.ErrNotFound)
	}
	query := getSQL
	if forUpdate {
		query = getForUpdateSQL
	}
	rows, err := db.Query(ctx, query, parsed.String())
	if err != nil {
		return nil, classify(fmt.Errorf("postgres: get order %s: %w", id, err))
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOrder)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("order %s: %w", id, order.ErrNotFound)
	case err != nil:
		return nil, classify(fmt.Errorf("postgres: get order %s: %w", id, err))
	}
	return o, nil
}

type itemRow struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
}

func scanOrder(row pgx.CollectableRow) (*order.Order, error) {
	var (
		o      order.Order
		status string
		items  []byte
	)
	if err := row.Scan(&o.ID, &o.CustomerID, &o.Currency, &o.TotalAmount, &status, &o.StatusReason,
		&o.Version, &o.CreatedAt, &o.UpdatedAt, &items); err != nil {
		return nil, err
	}
	o.Status = order.Status(status)
	var rows []itemRow
	if err := json.Unmarshal(items, &rows); err != nil {
		return nil, fmt.Errorf("postgres: items of order %s: %w", o.ID, err)
	}
	o.Items = make([]order.Item, len(rows))
	for i, r := range rows {
		o.Items[i] = order.Item(r)
	}
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// classify marks the errors of a database that cannot be reached or cannot serve right now
// with app.ErrUnavailable: no connection (refused, lost, pool closed), timeouts, and the server's
// connection, resource, shutdown, serialization and deadlock errors. Any other error (a
// constraint, a syntax error, a scan into the wrong type) is returned as is: it is a bug that
// trying again will not fix.
func classify(err error) error {
	if unavailable(err) {
		return fmt.Errorf("%w: %w", app.ErrUnavailable, err)
	}
	return err
}

func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		class := pgErr.Code[:min(2, len(pgErr.Code))]
		return class == "08" || class == "53" || class == "57" || pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, puddle.ErrClosedPool) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded)
}
