package deadletter_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/deadletter"
	"github.com/orderflow/orderflow/pkg/platform/inbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

const (
	consumer = "payment"
	dlqTopic = "orders.payment.dlq"
)

// newPool returns a pool on a private, migrated database.
func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	return pooltest.New(t, nil)
}

// deadEvent returns a CloudEvent as it arrives on a dead-letter topic, and its raw JSON.
func deadEvent(t *testing.T, id string, data any) (events.CloudEvent, []byte) {
	t.Helper()
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	raw, err := json.Marshal(data)
	require.NoError(t, err)
	ev := events.CloudEvent{
		SpecVersion:     "1.0",
		ID:              id,
		Source:          "order",
		Type:            events.TypeOrderCreated,
		Subject:         "order-1",
		Time:            &at,
		DataContentType: "application/json",
		Data:            raw,
		Topic:           events.TopicOrders,
		PubSubName:      events.PubSubName,
	}
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return ev, b
}

// saved stores a dead letter and returns it.
func saved(t *testing.T, s *deadletter.Store, ev events.CloudEvent, raw []byte) deadletter.Letter {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.Save(ctx, dlqTopic, ev, raw))
	letters, err := s.List(ctx, deadletter.ListFilter{Limit: deadletter.MaxLimit})
	require.NoError(t, err)
	for _, l := range letters {
		if l.EventID == ev.ID {
			return l
		}
	}
	t.Fatalf("dead letter of event %q not stored", ev.ID)
	return deadletter.Letter{}
}

func TestSave(t *testing.T) {
	pool := newPool(t)
	s := deadletter.NewStore(pool, consumer)
	valid, validRaw := deadEvent(t, "ev-1", map[string]string{"orderId": "order-1"})
	noID := []byte(`{"type":"order.created"}`)
	malformed := []byte("not json \x00 at all")
	nulEscape := []byte(`{"specversion":"1.0","id":"ev-nul","type":"order.created","data":{"orderId":"o\u0000"}}`)
	var nulEvent events.CloudEvent
	require.NoError(t, json.Unmarshal(nulEscape, &nulEvent))
	tests := []struct {
		name          string
		ev            events.CloudEvent
		raw           []byte
		wantEventID   string
		wantEventType string
		wantEvent     string
	}{
		{"CloudEvent", valid, validRaw, "ev-1", events.TypeOrderCreated, string(validRaw)},
		{"JSON without id", events.CloudEvent{Type: events.TypeOrderCreated}, noID, contentID(noID), events.TypeOrderCreated, string(noID)},
		{"not JSON", events.CloudEvent{}, malformed, contentID(malformed), "", `"not json \ufffd at all"`},
		{"JSON with a NUL escape jsonb rejects", nulEvent, nulEscape, "ev-nul", events.TypeOrderCreated, string(mustMarshal(t, string(nulEscape)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			// Dapr delivers at least once: the second delivery must not add a row.
			require.NoError(t, s.Save(ctx, dlqTopic, tt.ev, tt.raw))
			require.NoError(t, s.Save(ctx, dlqTopic, tt.ev, tt.raw))

			rows, err := pool.Query(ctx, `SELECT consumer, topic, event_type, event FROM dead_letters WHERE event_id = $1`, tt.wantEventID)
			require.NoError(t, err)
			type row struct {
				Consumer, Topic, EventType string
				Event                      json.RawMessage
			}
			got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
			require.NoError(t, err)
			require.Len(t, got, 1, "stored once")
			assert.Equal(t, consumer, got[0].Consumer)
			assert.Equal(t, dlqTopic, got[0].Topic)
			assert.Equal(t, tt.wantEventType, got[0].EventType)
			assert.JSONEq(t, tt.wantEvent, string(got[0].Event))
		})
	}
}

func contentID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func TestListAndGet(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	s := deadletter.NewStore(pool, consumer)
	var letters []deadletter.Letter
	for i := 1; i <= 3; i++ {
		ev, raw := deadEvent(t, fmt.Sprintf("ev-%d", i), map[string]int{"n": i})
		letters = append(letters, saved(t, s, ev, raw))
	}
	other := deadletter.NewStore(pool, "order")
	otherEv, otherRaw := deadEvent(t, "ev-other", map[string]int{"n": 0})
	otherLetter := saved(t, other, otherEv, otherRaw)
	_, err := s.Replay(ctx, letters[1].ID, nil, func(context.Context, events.CloudEvent) error { return nil })
	require.NoError(t, err)

	tests := []struct {
		name   string
		filter deadletter.ListFilter
		want   []string // event ids
	}{
		{"all, newest first", deadletter.ListFilter{}, []string{"ev-3", "ev-2", "ev-1"}},
		{"limit", deadletter.ListFilter{Limit: 2}, []string{"ev-3", "ev-2"}},
		{"pending", deadletter.ListFilter{Pending: true}, []string{"ev-3", "ev-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.List(ctx, tt.filter)
			require.NoError(t, err)
			var ids []string
			for _, l := range got {
				ids = append(ids, l.EventID)
			}
			assert.Equal(t, tt.want, ids)
		})
	}

	got, err := s.Get(ctx, letters[0].ID)
	require.NoError(t, err)
	assert.Equal(t, letters[0], got)
	assert.Equal(t, consumer, got.Consumer)
	assert.Equal(t, "ev-1", got.EventID)
	assert.Nil(t, got.ReplayedAt)

	for _, id := range []string{otherLetter.ID, "7a0b6b7e-7d1c-4c3e-9b1a-8f3c9d0e1f2a", "not-a-uuid"} {
		_, err := s.Get(ctx, id)
		assert.ErrorIs(t, err, deadletter.ErrNotFound, id)
	}
}

func TestReplay(t *testing.T) {
	pool := newPool(t)
	s := deadletter.NewStore(pool, consumer)
	corrected := json.RawMessage(`{"orderId":"order-2"}`)
	tests := []struct {
		name          string
		data          json.RawMessage
		dispatchErr   error
		wantData      string // as seen by dispatch
		wantPermanent bool
		wantLastError string
	}{
		{name: "stored data", wantData: `{"orderId":"order-1"}`},
		{name: "corrected data", data: corrected, wantData: string(corrected)},
		{name: "permanent failure", data: corrected, dispatchErr: pubsub.Permanent(errors.New("unknown order")),
			wantData: string(corrected), wantPermanent: true, wantLastError: "unknown order"},
		{name: "still invalid", dispatchErr: fmt.Errorf("%w: orderId is required", events.ErrInvalid),
			wantData: `{"orderId":"order-1"}`, wantPermanent: true, wantLastError: "orderId is required"},
		{name: "transient failure", dispatchErr: errors.New("connection refused"),
			wantData: `{"orderId":"order-1"}`, wantLastError: "connection refused"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			original, raw := deadEvent(t, fmt.Sprintf("ev-%d", i), map[string]string{"orderId": "order-1"})
			letter := saved(t, s, original, raw)
			var dispatched []events.CloudEvent
			dispatch := func(_ context.Context, ev events.CloudEvent) error {
				dispatched = append(dispatched, ev)
				return tt.dispatchErr
			}

			got, err := s.Replay(ctx, letter.ID, tt.data, dispatch)

			require.Len(t, dispatched, 1)
			wantEvent := original
			wantEvent.Data = dispatched[0].Data
			assert.Equal(t, wantEvent, dispatched[0], "every attribute of the original is kept")
			assert.JSONEq(t, tt.wantData, string(dispatched[0].Data))
			stored, getErr := s.Get(ctx, letter.ID)
			require.NoError(t, getErr)
			assert.Equal(t, got, stored, "Replay returns the letter as stored")
			assert.JSONEq(t, string(raw), string(stored.Event), "the stored event never changes")
			if tt.dispatchErr == nil {
				require.NoError(t, err)
				assert.NotNil(t, stored.ReplayedAt)
				assert.Equal(t, 1, stored.ReplayCount)
				assert.Empty(t, stored.LastError)
				return
			}
			require.ErrorIs(t, err, tt.dispatchErr)
			assert.Equal(t, tt.wantPermanent, pubsub.IsPermanent(err))
			assert.Nil(t, stored.ReplayedAt)
			assert.Zero(t, stored.ReplayCount)
			assert.Contains(t, stored.LastError, tt.wantLastError)
		})
	}
}

func TestReplayRejects(t *testing.T) {
	pool := newPool(t)
	s := deadletter.NewStore(pool, consumer)
	ev, raw := deadEvent(t, "ev-1", map[string]string{"orderId": "order-1"})
	letter := saved(t, s, ev, raw)
	garbage := saved(t, s, events.CloudEvent{ID: "ev-garbage"}, []byte("not json"))
	tests := []struct {
		name          string
		id            string
		data          json.RawMessage
		wantErr       error
		wantPermanent bool
	}{
		{name: "unknown id", id: "7a0b6b7e-7d1c-4c3e-9b1a-8f3c9d0e1f2a", wantErr: deadletter.ErrNotFound},
		{name: "malformed id", id: "42", wantErr: deadletter.ErrNotFound},
		{name: "data that is a list", id: letter.ID, data: json.RawMessage(`[1]`), wantErr: deadletter.ErrInvalidData},
		{name: "data that is not JSON", id: letter.ID, data: json.RawMessage(`{"a":`), wantErr: deadletter.ErrInvalidData},
		{name: "stored event not a CloudEvent", id: garbage.ID, wantPermanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			_, err := s.Replay(context.Background(), tt.id, tt.data, func(context.Context, events.CloudEvent) error {
				called = true
				return nil
			})

			require.Error(t, err)
			assert.False(t, called, "dispatch must not run")
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.Equal(t, tt.wantPermanent, pubsub.IsPermanent(err))
		})
	}
}

// TestReplayAppliesOnce replays through a real router whose handler uses the inbox: a replay
// that fails leaves no trace, a corrected one applies, and replaying again changes nothing.
func TestReplayAppliesOnce(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t)
	_, err := pool.Exec(ctx, `CREATE TABLE charges (event_id text PRIMARY KEY, order_id text NOT NULL)`)
	require.NoError(t, err)
	router := pubsub.NewRouter(consumer, "token", nil)
	router.Handle("/events/order-created", events.TypeOrderCreated, pubsub.Typed(
		func(ctx context.Context, ev events.CloudEvent, data events.OrderCreated) error {
			_, err := inbox.Process(ctx, pool, consumer, ev.ID, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO charges (event_id, order_id) VALUES ($1, $2)`, ev.ID, data.OrderID)
				return err
			})
			return err
		}))
	s := deadletter.NewStore(pool, consumer)
	order := events.OrderCreated{
		SchemaVersion: 1, OrderID: "order-7", CustomerID: "customer-1", Currency: "EUR", Version: 1,
		Items:       []events.OrderItem{{ProductID: "p-1", Quantity: 1, UnitPrice: 500}},
		TotalAmount: 999, // does not match the items: the reason it was dead-lettered
		CreatedAt:   time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
	}
	ev, raw := deadEvent(t, "ev-7", order)
	letter := saved(t, s, ev, raw)

	_, err = s.Replay(ctx, letter.ID, nil, router.Dispatch)
	require.Error(t, err)
	assert.True(t, pubsub.IsPermanent(err), "still invalid: %v", err)

	order.TotalAmount = 500
	corrected, err := json.Marshal(order)
	require.NoError(t, err)
	for range 2 {
		_, err = s.Replay(ctx, letter.ID, corrected, router.Dispatch)
		require.NoError(t, err)
	}

	var charges int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM charges WHERE event_id = 'ev-7' AND order_id = 'order-7'`).Scan(&charges))
	assert.Equal(t, 1, charges, "applied once")
	got, err := s.Get(ctx, letter.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, got.ReplayCount)
	assert.Empty(t, got.LastError, "a successful replay clears the last error")
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
