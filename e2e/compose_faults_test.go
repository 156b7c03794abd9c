package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/e2e/scenarios"
)

// The fault scenarios of the compose stack (issue 4). Each places its own orders (own customers)
// and checks its own outcome: every accepted order paid exactly once, nothing dead-lettered.
//
// Bounds: settleTimeout covers the broker's redelivery of events that were in flight when a
// container went away (the Redis component reclaims an unacknowledged event after its
// processingTimeout, 90 s, checked every redeliverInterval, 15 s).
const (
	settleTimeout = 4 * time.Minute
	// upstreamTimeout is the gateway's UPSTREAM_TIMEOUT (its default, not overridden here).
	upstreamTimeout = 5 * time.Second
)

// faults holds what the fault scenarios share.
type faults struct {
	sys    *composeSystem
	gw     *gatewayClient
	orders *pgxpool.Pool
	pays   *pgxpool.Pool
	broker *redis.Client
	run    string
}

func runComposeFaults(t *testing.T, sys *composeSystem) {
	base, key, admin := sys.Gateway()
	f := &faults{
		sys:    sys,
		gw:     &gatewayClient{base: base, key: key, admin: admin, http: &http.Client{Timeout: 30 * time.Second}},
		orders: sys.DB(t, scenarios.Order),
		pays:   sys.DB(t, scenarios.Payment),
		broker: sys.Broker(t),
		run:    "fault-" + strings.ToLower(rand.Text()[:8]),
	}
	t.Run("redis stopped 10s while 200 orders are placed", f.redisOutage)
	t.Run("payment app SIGKILLed mid-stream, restarted with its sidecar", f.paymentKilled)
	t.Run("postgres stopped 30s", f.postgresOutage)
}

// placed is the outcome of one POST /orders.
type placed struct {
	key      string // Idempotency-Key
	customer string
	status   int
	orderID  string
	body     string
	at       time.Time
	took     time.Duration
	err      error
}

// placeOrders places n orders, one every interval, with up to 8 in flight, and calls
// onPlaced after each answer with the number answered so far.
func (f *faults) placeOrders(t *testing.T, prefix string, n int, interval time.Duration, onPlaced func(answered int)) []placed {
	t.Helper()
	out := make([]placed, n)
	var answered atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = f.gw.placeOrder(context.Background(), fmt.Sprintf("%s-%s-%03d", f.run, prefix, i), newKey())
			a := answered.Add(1)
			if onPlaced != nil {
				onPlaced(int(a))
			}
		}()
	}
	wg.Wait()
	return out
}

// deadLetters counts the dead letters the services stored and the entries of the dead-letter
// streams, so that a scenario can assert it added none.
func (f *faults) deadLetters(t *testing.T) (stored int, streams map[string]int64) {
	t.Helper()
	letters, err := f.gw.deadLetters(context.Background())
	require.NoError(t, err)
	streams = map[string]int64{}
	ctx := context.Background()
	var cursor uint64
	for {
		keys, next, err := f.broker.ScanType(ctx, cursor, "*.dlq", 100, "stream").Result()
		require.NoError(t, err)
		for _, k := range keys {
			n, err := f.broker.XLen(ctx, k).Result()
			require.NoError(t, err)
			streams[k] = n
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return len(letters), streams
}

// assertNoNewDeadLetters compares with a count taken before the scenario and checks that no
// dead letter is about the scenario's orders.
func (f *faults) assertNoNewDeadLetters(t *testing.T, storedBefore int, streamsBefore map[string]int64, orderIDs []string) {
	t.Helper()
	stored, streams := f.deadLetters(t)
	assert.Equal(t, storedBefore, stored, "dead letters stored by the services")
	assert.Equal(t, streamsBefore, streams, "entries of the dead-letter streams")
	letters, err := f.gw.deadLetters(context.Background())
	require.NoError(t, err)
	for _, l := range letters {
		for _, id := range orderIDs {
			assert.NotContains(t, string(l), id, "dead letter about order %s", id)
		}
	}
}

// assertPaidOnce waits until every order is paid, then checks that each has exactly one
// payment, completed, and exactly one payment.completed event (distinct CloudEvent ids: a
// re-publication of the same event keeps its id) in the payments stream.
func (f *faults) assertPaidOnce(t *testing.T, orderIDs []string) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var paid int
		err := f.orders.QueryRow(ctx, `SELECT count(*) FROM orders WHERE id = ANY($1::uuid[]) AND status = 'paid'`, orderIDs).Scan(&paid)
		require.NoError(c, err)
		assert.Equal(c, len(orderIDs), paid, "paid orders")
	}, settleTimeout, time.Second)
	t.Logf("all %d orders paid %s after the check started", len(orderIDs), time.Since(start).Round(time.Second))

	rows, err := f.pays.Query(ctx, `SELECT order_id, count(*), count(*) FILTER (WHERE status = 'completed')
		FROM payments WHERE order_id = ANY($1::text[]) GROUP BY order_id`, orderIDs)
	require.NoError(t, err)
	payments := map[string][2]int{}
	for rows.Next() {
		var id string
		var n, completed int
		require.NoError(t, rows.Scan(&id, &n, &completed))
		payments[id] = [2]int{n, completed}
	}
	require.NoError(t, rows.Err())
	for _, id := range orderIDs {
		assert.Equal(t, [2]int{1, 1}, payments[id], "payments (all, completed) of order %s", id)
	}

	completed := map[string]map[string]bool{} // order id → CloudEvent ids of payment.completed
	msgs, err := f.broker.XRange(ctx, "payments", "-", "+").Result()
	require.NoError(t, err)
	for _, m := range msgs {
		raw, _ := m.Values["data"].(string)
		var ev struct{ ID, Type, Subject string }
		if json.Unmarshal([]byte(raw), &ev) != nil || ev.Type != "payment.completed" {
			continue
		}
		if completed[ev.Subject] == nil {
			completed[ev.Subject] = map[string]bool{}
		}
		completed[ev.Subject][ev.ID] = true
	}
	for _, id := range orderIDs {
		assert.Len(t, completed[id], 1, "payment.completed events of order %s", id)
	}
}

// accepted returns the order ids of the 201 answers and fails for any other answer.
func accepted(t *testing.T, results []placed) []string {
	t.Helper()
	var ids []string
	for _, r := range results {
		if assert.NoError(t, r.err, "POST /orders (%s)", r.customer) && assert.Equal(t, http.StatusCreated, r.status, "POST /orders (%s): %s", r.customer, r.body) {
			ids = append(ids, r.orderID)
		}
	}
	return ids
}

// Redis is the broker and the gateway's cache: while it is down the gateway keeps accepting
// orders (rate limiting fails open, idempotency falls back to the order service), the outboxes
// hold the events, and everything is delivered once it is back.
func (f *faults) redisOutage(t *testing.T) {
	storedBefore, streamsBefore := f.deadLetters(t)
	ctx := context.Background()
	const n, outage = 200, 10 * time.Second
	var (
		once               sync.Once
		stoppedAt, restart time.Time
		outageDone         = make(chan error, 1)
	)
	// 200 orders at 10/s: about 20 s, with Redis down from the 50th answer for 10 s.
	results := f.placeOrders(t, "redis", n, 100*time.Millisecond, func(answered int) {
		if answered < 50 {
			return
		}
		once.Do(func() {
			go func() {
				if err := f.sys.stack.Stop(ctx, "redis", 10*time.Second); err != nil {
					outageDone <- fmt.Errorf("stop redis: %w", err)
					return
				}
				stoppedAt = time.Now()
				t.Logf("redis stopped")
				time.Sleep(outage)
				restart = time.Now()
				err := f.sys.stack.Start(ctx, "redis")
				t.Logf("redis started after %s", time.Since(stoppedAt).Round(100*time.Millisecond))
				outageDone <- err
			}()
		})
	})
	require.NoError(t, <-outageDone)
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, f.sys.stack.WaitRunning(waitCtx, "redis"))

	var during int
	for _, r := range results {
		if r.at.After(stoppedAt) && r.at.Add(r.took).Before(restart) {
			during++
		}
	}
	t.Logf("%d orders placed, %d of them answered while Redis was down", n, during)
	assert.Greater(t, during, 20, "orders answered while Redis was down")
	ids := accepted(t, results)
	require.Len(t, ids, n, "the gateway kept accepting orders")

	f.assertPaidOnce(t, ids)
	f.assertNoNewDeadLetters(t, storedBefore, streamsBefore, ids)
}

// A payment app killed in the middle of the stream, and restarted with its sidecar (as a pod
// would be): the events it had not acknowledged are redelivered; none is lost, none charged
// twice.
func (f *faults) paymentKilled(t *testing.T) {
	storedBefore, streamsBefore := f.deadLetters(t)
	ctx := context.Background()
	const n = 80
	var once sync.Once
	killed := make(chan error, 1)
	results := f.placeOrders(t, "kill", n, 75*time.Millisecond, func(answered int) {
		if answered < 25 {
			return
		}
		once.Do(func() {
			go func() {
				err := f.sys.stack.Kill(ctx, "payment", "KILL")
				t.Logf("payment app SIGKILLed: %v", err)
				killed <- err
			}()
		})
	})
	require.NoError(t, <-killed)

	// The sidecar shares the app's network namespace, which went away with the app: it goes
	// down and comes back with its app.
	require.NoError(t, f.sys.stack.Stop(ctx, "payment-dapr", 10*time.Second))
	state, err := f.sys.stack.State(ctx, "payment")
	require.NoError(t, err)
	t.Logf("payment is %s, its sidecar stopped; restarting both", state)
	require.NoError(t, f.sys.stack.Start(ctx, "payment"))
	require.NoError(t, f.sys.stack.Start(ctx, "payment-dapr"))
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	require.NoError(t, f.sys.stack.WaitRunning(waitCtx, "payment"))
	require.NoError(t, f.sys.stack.WaitRunning(waitCtx, "payment-dapr"))

	ids := accepted(t, results)
	require.Len(t, ids, n, "orders accepted while payment was down")
	f.assertPaidOnce(t, ids)
	f.assertNoNewDeadLetters(t, storedBefore, streamsBefore, ids)
}

// Postgres is every service's database: while it is down the gateway answers 503 within its
// upstream timeout (never 500, never a hang); the orders accepted before are not lost, nothing
// is dead-lettered (the retry budget outlasts the outage), and processing resumes: each refused
// request, repeated with its Idempotency-Key, creates exactly one order.
func (f *faults) postgresOutage(t *testing.T) {
	storedBefore, streamsBefore := f.deadLetters(t)
	ctx := context.Background()
	const outage = 30 * time.Second

	// Orders still being processed (charged, notified...) when the database goes away.
	before := f.placeOrders(t, "pg-before", 20, 20*time.Millisecond, nil)
	beforeIDs := accepted(t, before)
	require.Len(t, beforeIDs, 20)

	require.NoError(t, f.sys.stack.Stop(ctx, "postgres", 10*time.Second))
	stoppedAt := time.Now()
	t.Logf("postgres stopped")
	var during []placed
	for i := 0; time.Since(stoppedAt) < outage; i++ {
		r := f.gw.placeOrder(ctx, fmt.Sprintf("%s-pg-during-%03d", f.run, i), newKey())
		during = append(during, r)
		time.Sleep(500 * time.Millisecond)
	}
	require.NoError(t, f.sys.stack.Start(ctx, "postgres"))
	t.Logf("postgres started after %s; %d orders tried during the outage", time.Since(stoppedAt).Round(100*time.Millisecond), len(during))
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	require.NoError(t, f.sys.stack.WaitRunning(waitCtx, "postgres"))

	var slowest time.Duration
	for _, r := range during {
		slowest = max(slowest, r.took)
		if assert.NoError(t, r.err, "POST /orders during the outage") {
			assert.Equal(t, http.StatusServiceUnavailable, r.status, "POST /orders during the outage: %s", r.body)
		}
		assert.LessOrEqual(t, r.took, upstreamTimeout+2*time.Second, "answer time during the outage")
	}
	t.Logf("slowest answer during the outage: %s", slowest.Round(time.Millisecond))

	// Processing resumes: the refused requests, repeated with the same keys, are accepted.
	require.NotEmpty(t, during)
	retried := make([]placed, len(during))
	done := 0
	for deadline := time.Now().Add(2 * time.Minute); done < len(during) && time.Now().Before(deadline); {
		for i, r := range during {
			if retried[i].status == http.StatusCreated {
				continue
			}
			if retried[i] = f.gw.placeOrder(ctx, r.customer, r.key); retried[i].err == nil && retried[i].status == http.StatusCreated {
				done++
			}
		}
		if done < len(during) {
			time.Sleep(time.Second)
		}
	}
	t.Logf("%d of %d refused requests accepted when repeated with their Idempotency-Key", done, len(during))
	retriedIDs := accepted(t, retried)
	for _, r := range retried {
		orders, err := f.gw.ordersOf(ctx, r.customer)
		require.NoError(t, err)
		assert.Equal(t, []string{r.orderID}, orders, "orders of %s: one per idempotency key", r.customer)
	}

	all := append(beforeIDs, retriedIDs...)
	f.assertPaidOnce(t, all)
	f.assertNoNewDeadLetters(t, storedBefore, streamsBefore, all)
}

// gatewayClient is the little of the gateway's API the fault scenarios use.
type gatewayClient struct {
	base, key, admin string
	http             *http.Client
}

func newKey() string { return "fault-" + rand.Text() }

func (g *gatewayClient) do(ctx context.Context, method, path, key string, body any, headers map[string]string) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-API-Key", key)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := g.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (g *gatewayClient) placeOrder(ctx context.Context, customer, key string) placed {
	body := map[string]any{
		"customerId": customer,
		"currency":   "EUR",
		"items":      []map[string]any{{"productId": "p-fault", "quantity": 1, "unitPrice": 1999}},
	}
	p := placed{key: key, customer: customer, at: time.Now()}
	status, b, err := g.do(ctx, http.MethodPost, "/orders", g.key, body, map[string]string{"Idempotency-Key": key})
	p.took, p.status, p.body, p.err = time.Since(p.at), status, strings.TrimSpace(string(b)), err
	if err == nil && status == http.StatusCreated {
		var o struct {
			OrderID string `json:"orderId"`
		}
		if err := json.Unmarshal(b, &o); err != nil || o.OrderID == "" {
			p.err = fmt.Errorf("201 without an order id: %s", b)
		}
		p.orderID = o.OrderID
	}
	return p
}

func (g *gatewayClient) ordersOf(ctx context.Context, customer string) ([]string, error) {
	status, b, err := g.do(ctx, http.MethodGet, "/orders?limit=100&customerId="+url.QueryEscape(customer), g.key, nil, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /orders?customerId=%s: %d %s", customer, status, b)
	}
	var body struct {
		Orders []struct {
			OrderID string `json:"orderId"`
		} `json:"orders"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, err
	}
	ids := []string{}
	for _, o := range body.Orders {
		ids = append(ids, o.OrderID)
	}
	return ids, nil
}

// deadLetters returns the dead letters of every service, raw.
func (g *gatewayClient) deadLetters(ctx context.Context) ([]json.RawMessage, error) {
	status, b, err := g.do(ctx, http.MethodGet, "/admin/deadletters?limit=1000", g.admin, nil, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET /admin/deadletters: %d %s", status, b)
	}
	var body struct {
		DeadLetters []json.RawMessage `json:"deadLetters"`
		Errors      map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, err
	}
	if len(body.Errors) > 0 {
		return nil, fmt.Errorf("GET /admin/deadletters: services failed: %v", body.Errors)
	}
	return body.DeadLetters, nil
}
