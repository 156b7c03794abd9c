package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/inbox"
	"github.com/orderflow/orderflow/pkg/platform/logging"
	"github.com/orderflow/orderflow/pkg/platform/outbox"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/pgdb/pooltest"
)

// recorder is a Publisher that keeps what it was given.
type recorder struct {
	mu   sync.Mutex
	sent []sent
	fail func(n int) error // optional: the error for the n-th call (0-based)
	n    int
}

type sent struct {
	topic    string
	event    events.CloudEvent
	metadata map[string]string
}

func (r *recorder) Publish(_ context.Context, pubsub, topic string, data []byte, md map[string]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.n
	r.n++
	if r.fail != nil {
		if err := r.fail(n); err != nil {
			return err
		}
	}
	if pubsub != events.PubSubName {
		return errors.New("wrong pubsub " + pubsub)
	}
	var ce events.CloudEvent
	if err := json.Unmarshal(data, &ce); err != nil {
		return err
	}
	r.sent = append(r.sent, sent{topic: topic, event: ce, metadata: md})
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.sent))
	for _, s := range r.sent {
		out = append(out, s.event.ID)
	}
	return out
}

func setup(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pooltest.New(t, nil)
	_, err := pool.Exec(context.Background(), `CREATE TABLE things (id text PRIMARY KEY)`)
	require.NoError(t, err)
	return pool
}

func order(id string) outbox.Message {
	return outbox.Message{
		AggregateID: id,
		Topic:       events.TopicOrders,
		Type:        events.TypeOrderCreated,
		Data:        map[string]any{"schemaVersion": 1, "orderId": id},
		OccurredAt:  time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
	}
}

// placeOrders writes n business rows, each with its outbox row, in one transaction each.
func placeOrders(t *testing.T, pool *pgxpool.Pool, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%03d", prefix, i)
		err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO things (id) VALUES ($1)`, id); err != nil {
				return err
			}
			got, err := outbox.Add(ctx, tx, order(id))
			if err == nil {
				ids = append(ids, got[0].String())
			}
			return err
		})
		require.NoError(t, err)
	}
	return ids
}

func TestAddIsPartOfTheBusinessTransaction(t *testing.T) {
	pool := setup(t)
	ctx := context.Background()
	boom := errors.New("business rule failed")

	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO things (id) VALUES ('rolled-back')`); err != nil {
			return err
		}
		if _, err := outbox.Add(ctx, tx, order("rolled-back")); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Zero(t, pooltest.Count(t, pool, `SELECT count(*) FROM things`))
	assert.Zero(t, pooltest.Count(t, pool, `SELECT count(*) FROM outbox`))

	pub := &recorder{}
	relay := outbox.NewRelay(pool, pub, outbox.RelayOptions{Source: "order"})
	n, err := relay.Flush(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "a rolled-back transaction publishes nothing")

	placeOrders(t, pool, "committed", 1)
	assert.Equal(t, 1, pooltest.Count(t, pool, `SELECT count(*) FROM things`))
	assert.Equal(t, 1, pooltest.Count(t, pool, `SELECT count(*) FROM outbox WHERE published_at IS NULL`))
}

func TestAddRejectsIncompleteMessages(t *testing.T) {
	pool := setup(t)
	for name, m := range map[string]outbox.Message{
		"no topic":     {Type: "x", AggregateID: "a"},
		"no type":      {Topic: "orders", AggregateID: "a"},
		"no aggregate": {Topic: "orders", Type: "x"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := outbox.Add(context.Background(), pool, m)
			assert.Error(t, err)
		})
	}
}

func TestRelayPublishesExplicitCloudEvent(t *testing.T) {
	pool := setup(t)
	ctx := context.Background()
	ids := placeOrders(t, pool, "ce", 3)

	pub := &recorder{}
	relay := outbox.NewRelay(pool, pub, outbox.RelayOptions{Source: "order"})
	n, err := relay.Flush(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)

	assert.Equal(t, ids, pub.ids(), "published in commit order with id = outbox id")
	for _, s := range pub.sent {
		assert.Equal(t, events.TopicOrders, s.topic)
		assert.Equal(t, "1.0", s.event.SpecVersion)
		assert.Equal(t, "order", s.event.Source)
		assert.Equal(t, events.TypeOrderCreated, s.event.Type)
		assert.NotEmpty(t, s.event.Subject)
		assert.Equal(t, s.event.Subject, s.metadata["partitionKey"])
		assert.Equal(t, "application/json", s.event.DataContentType)
		require.NotNil(t, s.event.Time)
		assert.True(t, s.event.Time.Equal(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)))
		var data map[string]any
		require.NoError(t, s.event.DecodeData(&data))
		assert.Equal(t, s.event.Subject, data["orderId"])
	}
	assert.Zero(t, pooltest.Count(t, pool, `SELECT count(*) FROM outbox WHERE published_at IS NULL`))
	n, err = relay.Flush(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "published rows are not published again")
}

func TestPublishFailureKeepsRowAndOrder(t *testing.T) {
	pool := setup(t)
	ctx := context.Background()
	ids := placeOrders(t, pool, "fail", 3)

	pub := &recorder{fail: func(n int) error {
		if n == 1 {
			return errors.New("sidecar unavailable")
		}
		return nil
	}}
	relay := outbox.NewRelay(pool, pub, outbox.RelayOptions{Source: "order"})
	n, err := relay.Flush(ctx)
	require.Error(t, err)
	assert.Equal(t, 1, n, "the row before the failure is published and marked")
	var attempts int
	var lastErr string
	require.NoError(t, pool.QueryRow(ctx, `SELECT attempts, last_error FROM outbox WHERE id = $1`, ids[1]).Scan(&attempts, &lastErr))
	assert.Equal(t, 1, attempts)
	assert.Contains(t, lastErr, "sidecar unavailable")

	n, err = relay.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, ids, pub.ids(), "the failed row goes out before the rows behind it")
	backlog, _, err := relay.Backlog(ctx)
	require.NoError(t, err)
	assert.Zero(t, backlog)
}

// A crash between publish and mark re-publishes the same event id; the consumer's inbox makes
// the second delivery a no-op.
func TestCrashBetweenPublishAndMarkRedeliversSameID(t *testing.T) {
	pool := setup(t)
	ctx := context.Background()
	ids := placeOrders(t, pool, "crash", 1)

	pub := &recorder{}
	crash := errors.New("process died")
	crashing := outbox.NewRelay(pool, pub, outbox.RelayOptions{Source: "order", AfterPublish: func(string) error { return crash }})
	_, err := crashing.Flush(ctx)
	require.ErrorIs(t, err, crash)
	assert.Equal(t, 1, pooltest.Count(t, pool, `SELECT count(*) FROM outbox WHERE published_at IS NULL`), "not marked")

	restarted := outbox.NewRelay(pool, pub, outbox.RelayOptions{Source: "order"})
	n, err := restarted.Flush(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, []string{ids[0], ids[0]}, pub.ids(), "the same CloudEvent id twice")

	// The consumer side: one effect for both deliveries.
	_, err = pool.Exec(ctx, `CREATE TABLE effects (event_id text)`)
	require.NoError(t, err)
	for _, s := range pub.sent {
		_, err := inbox.Process(ctx, pool, "payment", s.event.ID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO effects (event_id) VALUES ($1)`, s.event.ID)
			return err
		})
		require.NoError(t, err)
	}
	assert.Equal(t, 1, pooltest.Count(t, pool, `SELECT count(*) FROM effects`))
}

// blockingPublisher publishes `allow` events, then blocks until its context ends — a relay
// killed mid-batch.
type blockingPublisher struct {
	recorder
	allow int
}

func (b *blockingPublisher) Publish(ctx context.Context, pubsub, topic string, data []byte, md map[string]string) error {
	b.mu.Lock()
	reached := b.n >= b.allow
	b.mu.Unlock()
	if reached {
		<-ctx.Done()
		return ctx.Err()
	}
	return b.recorder.Publish(ctx, pubsub, topic, data, md)
}

func TestRelayKilledMidBatchLosesNothing(t *testing.T) {
	pool := setup(t)
	ids := placeOrders(t, pool, "kill", 20)

	first := &blockingPublisher{allow: 7}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- outbox.NewRelay(pool, first, outbox.RelayOptions{Source: "order", BatchSize: 10, PollInterval: 50 * time.Millisecond}).Run(ctx)
	}()
	require.Eventually(t, func() bool { first.mu.Lock(); defer first.mu.Unlock(); return first.n >= 7 }, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	second := &recorder{}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	relay := outbox.NewRelay(pool, second, outbox.RelayOptions{Source: "order", BatchSize: 10, PollInterval: 50 * time.Millisecond})
	go func() { _ = relay.Run(ctx2) }()
	require.Eventually(t, func() bool {
		n, _, err := relay.Backlog(context.Background())
		return err == nil && n == 0
	}, 30*time.Second, 20*time.Millisecond)

	delivered := map[string]bool{}
	for _, id := range append(first.ids(), second.ids()...) {
		delivered[id] = true
	}
	for _, id := range ids {
		assert.True(t, delivered[id], "event %s lost", id)
	}
}

func TestTwoRelaysDeliverEveryRowOnce(t *testing.T) {
	pool := setup(t)
	ids := placeOrders(t, pool, "par", 300)

	var pubs [2]*recorder
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range pubs {
		pubs[i] = &recorder{fail: func(int) error { time.Sleep(time.Millisecond); return nil }}
		r := outbox.NewRelay(pool, pubs[i], outbox.RelayOptions{Source: "order", BatchSize: 10, PollInterval: 20 * time.Millisecond})
		wg.Add(1)
		go func() { defer wg.Done(); _ = r.Run(ctx) }()
	}
	require.Eventually(t, func() bool {
		return pooltest.Count(t, pool, `SELECT count(*) FROM outbox WHERE published_at IS NULL`) == 0
	}, 60*time.Second, 50*time.Millisecond)
	cancel()
	wg.Wait()

	seen := map[string]int{}
	for _, p := range pubs {
		for _, id := range p.ids() {
			seen[id]++
		}
	}
	assert.Len(t, seen, len(ids))
	for _, id := range ids {
		assert.Equal(t, 1, seen[id], "event %s", id)
	}
	assert.NotEmpty(t, pubs[0].ids(), "both relays took part")
	assert.NotEmpty(t, pubs[1].ids(), "both relays took part")
}

func TestListenWakesRelayBeforePoll(t *testing.T) {
	pool := setup(t)
	pub := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	relay := outbox.NewRelay(pool, pub, outbox.RelayOptions{Source: "order", PollInterval: time.Hour})
	go func() { _ = relay.Run(ctx) }()
	time.Sleep(300 * time.Millisecond) // the first (empty) round and LISTEN
	ids := placeOrders(t, pool, "notify", 1)
	require.Eventually(t, func() bool { return len(pub.ids()) == 1 }, 10*time.Second, 10*time.Millisecond,
		"with an hour-long poll interval only NOTIFY can wake the relay")
	assert.Equal(t, ids, pub.ids())
}

func TestPruneDeletesOldPublishedRows(t *testing.T) {
	pool := setup(t)
	ctx := context.Background()
	placeOrders(t, pool, "prune", 3)
	relay := outbox.NewRelay(pool, &recorder{}, outbox.RelayOptions{Source: "order", Retention: time.Hour})
	_, err := relay.Flush(ctx)
	require.NoError(t, err)
	placeOrders(t, pool, "pending", 1)
	_, err = pool.Exec(ctx, `UPDATE outbox SET published_at = now() - interval '2 hours' WHERE published_at IS NOT NULL AND aggregate_id LIKE 'prune-%' AND aggregate_id IN (SELECT aggregate_id FROM outbox WHERE aggregate_id LIKE 'prune-%' ORDER BY seq LIMIT 2)`)
	require.NoError(t, err)

	n, err := relay.Prune(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, n)
	assert.Equal(t, 2, pooltest.Count(t, pool, `SELECT count(*) FROM outbox`), "recent published and unpublished rows stay")
}

func TestHeadersCarryTraceAndCorrelation(t *testing.T) {
	pool := setup(t)
	ctx := logging.WithRequestID(context.Background(), "req-42")
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx = trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled}))
	require.NoError(t, pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := outbox.Add(ctx, tx, order("traced"))
		return err
	}))
	pub := &recorder{}
	_, err := outbox.NewRelay(pool, pub, outbox.RelayOptions{Source: "order"}).Flush(context.Background())
	require.NoError(t, err)
	require.Len(t, pub.sent, 1)
	assert.Equal(t, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", pub.sent[0].event.TraceParent)
	assert.Equal(t, "req-42", pub.sent[0].event.CorrelationID)
}
