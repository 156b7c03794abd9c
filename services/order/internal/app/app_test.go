package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/services/order/internal/app"
	"github.com/orderflow/orderflow/services/order/internal/domain/order"
)

// memRepo is an in-memory Repository whose guarded updates can be made to lose a race:
// before each of the first `conflicts` updates, another writer changes the stored order.
type memRepo struct {
	orders    map[string]order.Order
	published []app.Event
	conflicts int
	updates   int
}

func (r *memRepo) InTx(ctx context.Context, fn func(ctx context.Context, tx app.Tx) error) error {
	tx := &memTx{repo: r}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	for id, o := range tx.writes {
		r.orders[id] = o
	}
	r.published = append(r.published, tx.events...)
	return nil
}

func (r *memRepo) InEvent(ctx context.Context, _, _ string, fn func(ctx context.Context, tx app.Tx) error) (bool, error) {
	return true, r.InTx(ctx, fn)
}

func (r *memRepo) Get(_ context.Context, id string) (*order.Order, error) {
	o, ok := r.orders[id]
	if !ok {
		return nil, order.ErrNotFound
	}
	return &o, nil
}

func (r *memRepo) ListByCustomer(context.Context, string, int) ([]*order.Order, error) {
	return nil, errors.New("not used")
}

func (r *memRepo) Idempotency(context.Context, string, string) (app.IdempotencyRecord, bool, error) {
	return app.IdempotencyRecord{}, false, nil
}

func (r *memRepo) PruneIdempotency(context.Context, time.Time) (int64, error) { return 0, nil }

type memTx struct {
	repo   *memRepo
	writes map[string]order.Order
	events []app.Event
}

func (t *memTx) Get(ctx context.Context, id string, _ bool) (*order.Order, error) {
	return t.repo.Get(ctx, id)
}

func (t *memTx) Insert(_ context.Context, o *order.Order) error {
	t.set(*o)
	return nil
}

func (t *memTx) set(o order.Order) {
	if t.writes == nil {
		t.writes = map[string]order.Order{}
	}
	t.writes[o.ID] = o
}

func (t *memTx) UpdateStatus(_ context.Context, o *order.Order, from order.Status, prev int64) error {
	t.repo.updates++
	if t.repo.updates <= t.repo.conflicts {
		// A concurrent writer ships the order first.
		other := t.repo.orders[o.ID]
		other.Status, other.Version = order.StatusShipped, other.Version+1
		t.repo.orders[o.ID] = other
	}
	stored := t.repo.orders[o.ID]
	if stored.Status != from || stored.Version != prev {
		return app.ErrConflict
	}
	t.set(*o)
	return nil
}

func (t *memTx) ClaimIdempotencyKey(context.Context, app.IdempotencyRecord) (bool, error) {
	return true, nil
}

func (t *memTx) Publish(_ context.Context, evs ...app.Event) error {
	t.events = append(t.events, evs...)
	return nil
}

func newPaidOrder(t *testing.T, repo *memRepo) string {
	t.Helper()
	o, err := order.New(order.NewParams{ID: "o-1", CustomerID: "c", Currency: "EUR", Now: time.Now(),
		Items: []order.Item{{ProductID: "p", Quantity: 1, UnitPrice: 10}}})
	require.NoError(t, err)
	o.Status, o.Version = order.StatusPaid, 2
	repo.orders = map[string]order.Order{o.ID: *o}
	return o.ID
}

func TestChangeStatusWithoutConflict(t *testing.T) {
	repo := &memRepo{}
	id := newPaidOrder(t, repo)
	svc := app.New(repo, app.Options{})

	o, err := svc.ChangeStatus(context.Background(), id, order.StatusCancelled, "r")

	require.NoError(t, err)
	assert.Equal(t, order.StatusCancelled, o.Status)
	assert.Equal(t, int64(3), o.Version)
	assert.Equal(t, 1, repo.updates)
	require.Len(t, repo.published, 1)
	assert.Equal(t, events.TypeOrderStatusChanged, repo.published[0].Type)
	data, ok := repo.published[0].Data.(events.OrderStatusChanged)
	require.True(t, ok)
	assert.Equal(t, "paid", data.From)
	assert.Equal(t, "cancelled", data.To)
	assert.Equal(t, int64(3), data.Version)
}

// A change that loses the race is computed again on the new state, where the state machine
// decides: here the concurrent writer shipped the order, so cancelling it is refused.
func TestChangeStatusRetriesOnceAfterConflict(t *testing.T) {
	repo := &memRepo{conflicts: 1}
	id := newPaidOrder(t, repo)
	svc := app.New(repo, app.Options{})

	_, err := svc.ChangeStatus(context.Background(), id, order.StatusCancelled, "r")

	var terr *order.TransitionError
	require.ErrorAs(t, err, &terr)
	assert.Equal(t, order.TransitionError{From: order.StatusShipped, To: order.StatusCancelled}, *terr)
	assert.Equal(t, 1, repo.updates, "the retry stopped at the state machine")
	assert.Empty(t, repo.published)
	assert.Equal(t, order.StatusShipped, repo.orders[id].Status)
}

func TestChangeStatusGivesUpAfterSecondConflict(t *testing.T) {
	repo := &memRepo{}
	id := newPaidOrder(t, repo)
	// Other writers keep winning: every guarded update of this use case finds a newer version.
	conflicting := &conflictingRepo{memRepo: repo}
	svc := app.New(conflicting, app.Options{})

	_, err := svc.ChangeStatus(context.Background(), id, order.StatusCancelled, "r")
	assert.ErrorIs(t, err, app.ErrConflict)
	assert.Equal(t, 2, conflicting.attempts, "tried twice")
	assert.Empty(t, repo.published)
}

// conflictingRepo fails every guarded update with ErrConflict.
type conflictingRepo struct {
	*memRepo
	attempts int
}

func (r *conflictingRepo) InTx(ctx context.Context, fn func(ctx context.Context, tx app.Tx) error) error {
	return r.memRepo.InTx(ctx, func(ctx context.Context, tx app.Tx) error {
		return fn(ctx, conflictingTx{Tx: tx, repo: r})
	})
}

type conflictingTx struct {
	app.Tx
	repo *conflictingRepo
}

func (t conflictingTx) UpdateStatus(context.Context, *order.Order, order.Status, int64) error {
	t.repo.attempts++
	return app.ErrConflict
}

func TestCreateOrderValidation(t *testing.T) {
	svc := app.New(&memRepo{orders: map[string]order.Order{}}, app.Options{})
	long := make([]byte, app.MaxPaymentTokenLength+1)
	for i := range long {
		long[i] = 't'
	}
	_, err := svc.CreateOrder(context.Background(), app.CreateOrder{
		CustomerID: "", Currency: "EUR", PaymentToken: string(long),
		Items: []order.Item{{ProductID: "p", Quantity: 1, UnitPrice: 1}},
		Render: func(*order.Order) (app.Response, error) {
			return app.Response{StatusCode: 201, Body: []byte(`{}`)}, nil
		},
	})
	var verr *order.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Contains(t, verr.Fields, "customerId")
	assert.Contains(t, verr.Fields, "paymentToken")
}
