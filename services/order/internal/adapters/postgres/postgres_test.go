package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/services/order/internal/adapters/postgres"
	"github.com/orderflow/orderflow/services/order/internal/app"
	"github.com/orderflow/orderflow/services/order/internal/domain/order"
	"github.com/orderflow/orderflow/services/order/migrations"
)

func newRepo(t *testing.T) (*postgres.Repository, *pgxpool.Pool) {
	t.Helper()
	pool := pooltest.New(t, migrations.FS)
	return postgres.New(pool), pool
}

func newOrder(t *testing.T, customerID string, at time.Time) *order.Order {
	t.Helper()
	o, err := order.New(order.NewParams{
		ID: uuid.Must(uuid.NewV7()).String(), CustomerID: customerID, Currency: "EUR", Now: at,
		Items: []order.Item{{ProductID: "b", Quantity: 2, UnitPrice: 300}, {ProductID: "a", Quantity: 1, UnitPrice: 5}},
	})
	require.NoError(t, err)
	return o
}

func insert(t *testing.T, repo *postgres.Repository, o *order.Order) {
	t.Helper()
	require.NoError(t, repo.InTx(context.Background(), func(ctx context.Context, tx app.Tx) error {
		return tx.Insert(ctx, o)
	}))
}

func TestInsertAndRead(t *testing.T) {
	repo, _ := newRepo(t)
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 10, 0, 0, 123456000, time.UTC)
	o := newOrder(t, "c-1", at)
	insert(t, repo, o)

	got, err := repo.Get(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, o, got, "items keep their order")

	_, err = repo.Get(ctx, uuid.NewString())
	assert.ErrorIs(t, err, order.ErrNotFound)
	_, err = repo.Get(ctx, "nope")
	assert.ErrorIs(t, err, order.ErrNotFound)

	newer := newOrder(t, "c-1", at.Add(time.Second))
	insert(t, repo, newer)
	insert(t, repo, newOrder(t, "c-2", at))
	list, err := repo.ListByCustomer(ctx, "c-1", 10)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []string{newer.ID, o.ID}, []string{list[0].ID, list[1].ID})
	list, err = repo.ListByCustomer(ctx, "c-1", 1)
	require.NoError(t, err)
	assert.Len(t, list, 1)
}

func TestUpdateStatusIsGuarded(t *testing.T) {
	repo, _ := newRepo(t)
	ctx := context.Background()
	o := newOrder(t, "c-1", time.Now())
	insert(t, repo, o)

	stale := *o
	ch, err := o.RequestStatus(order.StatusCancelled, "first", time.Now())
	require.NoError(t, err)
	require.NoError(t, repo.InTx(ctx, func(ctx context.Context, tx app.Tx) error {
		return tx.UpdateStatus(ctx, o, ch.From, ch.PreviousVersion())
	}))

	// A change computed from the old state loses.
	ch, err = stale.RequestStatus(order.StatusCancelled, "second", time.Now())
	require.NoError(t, err)
	err = repo.InTx(ctx, func(ctx context.Context, tx app.Tx) error {
		return tx.UpdateStatus(ctx, &stale, ch.From, ch.PreviousVersion())
	})
	assert.ErrorIs(t, err, app.ErrConflict)

	got, err := repo.Get(ctx, o.ID)
	require.NoError(t, err)
	assert.Equal(t, "first", got.StatusReason)
	assert.Equal(t, int64(2), got.Version)
}

func TestTransactionRollsBack(t *testing.T) {
	repo, pool := newRepo(t)
	ctx := context.Background()
	o := newOrder(t, "c-1", time.Now())
	boom := errors.New("boom")
	err := repo.InTx(ctx, func(ctx context.Context, tx app.Tx) error {
		require.NoError(t, tx.Insert(ctx, o))
		require.NoError(t, tx.Publish(ctx, app.Event{Type: events.TypeOrderCreated, AggregateID: o.ID, Data: map[string]string{"x": "y"}}))
		return boom
	})
	assert.ErrorIs(t, err, boom)
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM order_items) + (SELECT count(*) FROM outbox)`).Scan(&n))
	assert.Zero(t, n)
}

func TestPublishRejectsUnknownType(t *testing.T) {
	repo, _ := newRepo(t)
	err := repo.InTx(context.Background(), func(ctx context.Context, tx app.Tx) error {
		return tx.Publish(ctx, app.Event{Type: "order.exploded", AggregateID: "x", Data: 1})
	})
	assert.ErrorContains(t, err, "unknown event type")
}

func TestIdempotencyKeys(t *testing.T) {
	repo, pool := newRepo(t)
	ctx := context.Background()
	rec := app.IdempotencyRecord{ClientID: "a", Key: "k", RequestHash: "h", OrderID: uuid.NewString(),
		Response: app.Response{StatusCode: 201, Body: []byte(`{"orderId":"x"}`)}}
	claim := func(r app.IdempotencyRecord) bool {
		var claimed bool
		require.NoError(t, repo.InTx(ctx, func(ctx context.Context, tx app.Tx) error {
			var err error
			claimed, err = tx.ClaimIdempotencyKey(ctx, r)
			return err
		}))
		return claimed
	}
	assert.True(t, claim(rec))
	other := rec
	other.RequestHash = "other"
	assert.False(t, claim(other), "the key is taken")
	other.ClientID = "b"
	assert.True(t, claim(other), "keys are per client")

	got, found, err := repo.Idempotency(ctx, "a", "k")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "h", got.RequestHash)
	assert.Equal(t, rec.OrderID, got.OrderID)
	assert.Equal(t, 201, got.Response.StatusCode)
	assert.JSONEq(t, `{"orderId":"x"}`, string(got.Response.Body))

	_, found, err = repo.Idempotency(ctx, "a", "missing")
	require.NoError(t, err)
	assert.False(t, found)

	_, err = pool.Exec(ctx, `UPDATE idempotency_keys SET created_at = now() - interval '2 days' WHERE client_id = 'a'`)
	require.NoError(t, err)
	n, err := repo.PruneIdempotency(ctx, time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	_, found, err = repo.Idempotency(ctx, "b", "k")
	require.NoError(t, err)
	assert.True(t, found, "recent keys stay")
}

func TestInEventIsIdempotent(t *testing.T) {
	repo, _ := newRepo(t)
	ctx := context.Background()
	calls := 0
	for i := range 2 {
		applied, err := repo.InEvent(ctx, "order", "ev-1", func(ctx context.Context, tx app.Tx) error {
			calls++
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, i == 0, applied, "delivery %d", i+1)
	}
	assert.Equal(t, 1, calls)

	// A failing handler keeps no inbox record: the event can be applied later.
	_, err := repo.InEvent(ctx, "order", "ev-2", func(ctx context.Context, tx app.Tx) error { return order.ErrNotFound })
	assert.ErrorIs(t, err, order.ErrNotFound)
	applied, err := repo.InEvent(ctx, "order", "ev-2", func(ctx context.Context, tx app.Tx) error { return nil })
	require.NoError(t, err)
	assert.True(t, applied)
}

func TestUnavailableDatabase(t *testing.T) {
	repo, pool := newRepo(t)
	pool.Close()
	ctx := context.Background()

	_, err := repo.Get(ctx, uuid.NewString())
	assert.ErrorIs(t, err, app.ErrUnavailable)
	err = repo.InTx(ctx, func(ctx context.Context, tx app.Tx) error { return nil })
	assert.ErrorIs(t, err, app.ErrUnavailable)
	_, err = repo.InEvent(ctx, "order", "ev", func(ctx context.Context, tx app.Tx) error { return nil })
	assert.ErrorIs(t, err, app.ErrUnavailable)
	_, _, err = repo.Idempotency(ctx, "a", "k")
	assert.ErrorIs(t, err, app.ErrUnavailable)
}

func TestConstraintErrorsAreNotUnavailable(t *testing.T) {
	repo, _ := newRepo(t)
	o := newOrder(t, "c-1", time.Now())
	insert(t, repo, o)
	err := repo.InTx(context.Background(), func(ctx context.Context, tx app.Tx) error { return tx.Insert(ctx, o) })
	require.Error(t, err)
	assert.True(t, pgdb.IsUniqueViolation(err))
	assert.NotErrorIs(t, err, app.ErrUnavailable)
}
