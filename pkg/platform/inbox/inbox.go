// Package inbox makes event consumers idempotent: the event's id is recorded in
// processed_events in the same transaction as the handler's effects, so a redelivered event
// (at-least-once delivery) is acknowledged with no second effect.
package inbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/orderflow/orderflow/pkg/platform/pgdb"
)

const claimSQL = `INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`

// Claim records (consumer, eventID) in tx. It reports false when the event was processed
// before: the caller then skips its effects.
func Claim(ctx context.Context, tx pgdb.DBTX, consumer, eventID string) (bool, error) {
	tag, err := tx.Exec(ctx, claimSQL, consumer, eventID)
	if err != nil {
		return false, fmt.Errorf("inbox: claim %s: %w", eventID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Process runs fn in a transaction that also claims the event. A duplicate returns
// (false, nil) without calling fn. When fn fails the transaction rolls back and no inbox row
// remains, so a retry or a dead-letter replay can still apply the event.
func Process(ctx context.Context, db pgdb.Beginner, consumer, eventID string, fn func(tx pgx.Tx) error) (applied bool, err error) {
	err = pgdb.InTx(ctx, db, func(tx pgx.Tx) error {
		first, err := Claim(ctx, tx, consumer, eventID)
		if err != nil || !first {
			return err
		}
		applied = true
		return fn(tx)
	})
	if err != nil {
		return false, err
	}
	return applied, nil
}
