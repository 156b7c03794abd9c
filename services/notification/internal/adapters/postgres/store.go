// Package postgres stores notifications in PostgreSQL.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/platform/inbox"
	"github.com/orderflow/orderflow/services/notification/internal/app"
)

const (
	insertSQL = `INSERT INTO notifications (id, event_id, event_type, order_id, recipient, channel, subject, body)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (event_id, recipient, channel) DO NOTHING`

	selectSQL = `SELECT id, event_id, event_type, order_id, recipient, channel, subject, body, created_at
FROM notifications `
	newestFirst = ` ORDER BY created_at DESC, id DESC LIMIT $1`

	// One query per filter, so that each uses its index whatever plan is cached.
	listByCustomerSQL = selectSQL + `WHERE recipient = $2` + newestFirst
	listByOrderSQL    = selectSQL + `WHERE order_id = $2` + newestFirst
	listByBothSQL     = selectSQL + `WHERE recipient = $2 AND order_id = $3` + newestFirst
)

// Store implements app.Store.
type Store struct {
	pool     *pgxpool.Pool
	consumer string
}

var _ app.Store = (*Store)(nil)

// NewStore returns the store of pool's database; consumer names the inbox consumer.
func NewStore(pool *pgxpool.Pool, consumer string) *Store {
	return &Store{pool: pool, consumer: consumer}
}

// Record implements app.Store.
func (s *Store) Record(ctx context.Context, eventID string, ns []app.Notification) (bool, error) {
	applied, err := inbox.Process(ctx, s.pool, s.consumer, eventID, func(tx pgx.Tx) error {
		for _, n := range ns {
			if _, err := tx.Exec(ctx, insertSQL, n.ID, n.EventID, n.EventType, n.OrderID, n.Recipient, n.Channel, n.Subject, n.Body); err != nil {
				return fmt.Errorf("insert notification: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record notifications of %s: %w", eventID, err)
	}
	return applied, nil
}

// List implements app.Store.
func (s *Store) List(ctx context.Context, f app.Filter) ([]app.Notification, error) {
	var rows pgx.Rows
	var err error
	switch {
	case f.CustomerID != "" && f.OrderID != "":
		rows, err = s.pool.Query(ctx, listByBothSQL, f.Limit, f.CustomerID, f.OrderID)
	case f.CustomerID != "":
		rows, err = s.pool.Query(ctx, listByCustomerSQL, f.Limit, f.CustomerID)
	default:
		rows, err = s.pool.Query(ctx, listByOrderSQL, f.Limit, f.OrderID)
	}
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	ns, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (app.Notification, error) {
		var n app.Notification
		err := row.Scan(&n.ID, &n.EventID, &n.EventType, &n.OrderID, &n.Recipient, &n.Channel, &n.Subject, &n.Body, &n.CreatedAt)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return ns, nil
}
