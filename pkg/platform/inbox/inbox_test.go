package inbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/platform/inbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
)

func setup(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pooltest.New(t, nil)
	_, err := pool.Exec(context.Background(), `CREATE TABLE effects (event_id text NOT NULL)`)
	require.NoError(t, err)
	return pool
}

func TestProcess(t *testing.T) {
	invalid := errors.New("poison")
	tests := []struct {
		name        string
		deliveries  []string // event ids, in order
		fail        map[string]error
		wantEffects int
		wantInbox   int
		wantApplied []bool
	}{
		{name: "first delivery applies", deliveries: []string{"e1"}, wantEffects: 1, wantInbox: 1, wantApplied: []bool{true}},
		{name: "duplicate delivery has one effect", deliveries: []string{"e1", "e1", "e1"}, wantEffects: 1, wantInbox: 1, wantApplied: []bool{true, false, false}},
		{name: "distinct events each apply", deliveries: []string{"e1", "e2"}, wantEffects: 2, wantInbox: 2, wantApplied: []bool{true, true}},
		{name: "failed handler leaves no inbox row", deliveries: []string{"bad"}, fail: map[string]error{"bad": invalid}, wantEffects: 0, wantInbox: 0, wantApplied: []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := setup(t)
			ctx := context.Background()
			for i, id := range tt.deliveries {
				applied, err := inbox.Process(ctx, pool, "payment", id, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, `INSERT INTO effects (event_id) VALUES ($1)`, id); err != nil {
						return err
					}
					return tt.fail[id]
				})
				if want := tt.fail[id]; want != nil {
					require.ErrorIs(t, err, want)
				} else {
					require.NoError(t, err)
				}
				assert.Equal(t, tt.wantApplied[i], applied, "delivery %d", i)
			}
			assert.Equal(t, tt.wantEffects, pooltest.Count(t, pool, `SELECT count(*) FROM effects`))
			assert.Equal(t, tt.wantInbox, pooltest.Count(t, pool, `SELECT count(*) FROM processed_events`))
		})
	}
}

func TestClaimIsPerConsumer(t *testing.T) {
	pool := setup(t)
	ctx := context.Background()
	for _, consumer := range []string{"payment", "notification", "payment"} {
		_, err := inbox.Claim(ctx, pool, consumer, "e1")
		require.NoError(t, err)
	}
	assert.Equal(t, 2, pooltest.Count(t, pool, `SELECT count(*) FROM processed_events`), "each consumer processes the event once")
}
