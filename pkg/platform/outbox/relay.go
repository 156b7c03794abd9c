package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pgdb"
	"github.com/orderflow/orderflow/pkg/platform/telemetry"
)

// Publisher sends one structured CloudEvent (JSON) to a topic. *dapr.Client implements it.
type Publisher interface {
	Publish(ctx context.Context, pubsub, topic string, data []byte, metadata map[string]string) error
}

// RelayOptions tune a Relay. Zero values take the defaults shown.
type RelayOptions struct {
	Source        string        // CloudEvent source: the publishing app id (required)
	PubSub        string        // Dapr pub/sub component; default events.PubSubName
	BatchSize     int           // rows claimed per transaction; default 100
	PollInterval  time.Duration // fallback when no NOTIFY arrives; default 2s
	MaxBackoff    time.Duration // cap of the delay after consecutive failures; default 30s
	Retention     time.Duration // published rows older than this are pruned; default 72h
	PruneInterval time.Duration // default 10m
	Logger        *slog.Logger
	// AfterPublish runs after each successful publish and before the row is marked. Tests use
	// it to inject a crash between the two; an error aborts the batch uncommitted.
	AfterPublish func(id string) error
}

// Relay publishes outbox rows. Many relays (replicas) may run against one database: rows are
// claimed with FOR UPDATE SKIP LOCKED, so each row is published by one relay at a time.
type Relay struct {
	pool *pgxpool.Pool
	pub  Publisher
	opt  RelayOptions
	log  *slog.Logger
}

// NewRelay returns a relay over pool publishing through pub.
func NewRelay(pool *pgxpool.Pool, pub Publisher, opt RelayOptions) *Relay {
	if opt.PubSub == "" {
		opt.PubSub = events.PubSubName
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 100
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = 2 * time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.Retention <= 0 {
		opt.Retention = 72 * time.Hour
	}
	if opt.PruneInterval <= 0 {
		opt.PruneInterval = 10 * time.Minute
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Relay{pool: pool, pub: pub, opt: opt, log: log.With("component", "outbox-relay")}
}

// Run publishes until ctx ends. It wakes on NOTIFY outbox (sent by the table's trigger) and
// polls as a fallback; on errors it backs off. It returns nil when ctx is cancelled.
func (r *Relay) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	go r.listen(ctx, wake)
	lastPrune := time.Time{}
	delay := time.Duration(0)
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(delay):
		}
		n, err := r.Flush(ctx)
		r.observeBacklog(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			failures++
			delay = backoff(failures, r.opt.MaxBackoff)
			r.log.Warn("outbox publish failed; backing off", "error", err, "retry_in", delay)
		case n == r.opt.BatchSize:
			failures, delay = 0, 0 // more rows are waiting
		default:
			failures, delay = 0, r.opt.PollInterval
		}
		if time.Since(lastPrune) >= r.opt.PruneInterval {
			if pruned, err := r.Prune(ctx); err != nil {
				r.log.Warn("outbox prune failed", "error", err)
			} else if pruned > 0 {
				r.log.Info("outbox pruned", "rows", pruned)
			}
			lastPrune = time.Now()
		}
	}
}

// listen forwards NOTIFY outbox to wake until ctx ends, reconnecting after errors.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := r.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		r.log.Debug("outbox listener reconnecting", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.opt.PollInterval):
		}
	}
}

func (r *Relay) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// A connection left in LISTEN mode must not go back to the pool.
		conn.Conn().Close(context.WithoutCancel(ctx))
		conn.Release()
	}()
	if _, err := conn.Exec(ctx, "LISTEN outbox"); err != nil {
		return err
	}
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

type row struct {
	id            string
	aggregateID   string
	topic, typ    string
	schemaVersion int
	payload       json.RawMessage
	headers       map[string]string
	occurredAt    time.Time
}

const claimSQL = `SELECT id::text, aggregate_id, topic, type, schema_version, payload, headers, occurred_at
FROM outbox
WHERE published_at IS NULL
ORDER BY seq
LIMIT $1
FOR UPDATE SKIP LOCKED`

const markSQL = `UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`

const failSQL = `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1`

// Flush claims one batch and publishes it in order, marking each published row. On the first
// failure it records the error on that row, commits what was published and returns the error;
// the failed row and the rest of the batch wait for the next round, so rows keep their order.
// It returns how many rows were published.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	published := 0
	var pubErr error
	err := pgdb.InTx(ctx, r.pool, func(tx pgx.Tx) error {
		rows, err := claim(ctx, tx, r.opt.BatchSize)
		if err != nil {
			return err
		}
		for _, rw := range rows {
			if err := r.publish(ctx, rw); err != nil {
				pubErr = fmt.Errorf("outbox: publish %s (%s): %w", rw.id, rw.typ, err)
				_, uerr := tx.Exec(ctx, failSQL, rw.id, truncate(err.Error(), 1000))
				publishErrors.Inc()
				return uerr
			}
			if r.opt.AfterPublish != nil {
				if err := r.opt.AfterPublish(rw.id); err != nil {
					return fmt.Errorf("outbox: after publish %s: %w", rw.id, err)
				}
			}
			if _, err := tx.Exec(ctx, markSQL, rw.id); err != nil {
				return err
			}
			published++
			publishedTotal.WithLabelValues(rw.topic, rw.typ).Inc()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return published, pubErr
}

func claim(ctx context.Context, tx pgx.Tx, limit int) ([]row, error) {
	rs, err := tx.Query(ctx, claimSQL, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var rw row
		if err := rs.Scan(&rw.id, &rw.aggregateID, &rw.topic, &rw.typ, &rw.schemaVersion, &rw.payload, &rw.headers, &rw.occurredAt); err != nil {
			return nil, fmt.Errorf("outbox: scan: %w", err)
		}
		out = append(out, rw)
	}
	return out, rs.Err()
}

func (r *Relay) publish(ctx context.Context, rw row) error {
	t := rw.occurredAt.UTC()
	ce := events.CloudEvent{
		SpecVersion:     "1.0",
		ID:              rw.id,
		Source:          r.opt.Source,
		Type:            rw.typ,
		Subject:         rw.aggregateID,
		Time:            &t,
		DataContentType: "application/json",
		Data:            rw.payload,
		TraceParent:     rw.headers[telemetry.TraceparentKey],
		TraceState:      rw.headers[telemetry.TracestateKey],
		CorrelationID:   rw.headers[HeaderCorrelationID],
	}
	body, err := json.Marshal(ce)
	if err != nil {
		return err
	}
	pubCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return r.pub.Publish(pubCtx, r.opt.PubSub, rw.topic, body, map[string]string{"partitionKey": rw.aggregateID})
}

const pruneSQL = `DELETE FROM outbox WHERE id IN (
  SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1) LIMIT 10000)`

// Prune deletes published rows older than the retention and returns how many.
func (r *Relay) Prune(ctx context.Context) (int64, error) {
	tag, err := r.pool.Exec(ctx, pruneSQL, r.opt.Retention.Seconds())
	if err != nil {
		return 0, fmt.Errorf("outbox: prune: %w", err)
	}
	return tag.RowsAffected(), nil
}

const backlogSQL = `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8
FROM outbox WHERE published_at IS NULL`

// Backlog returns the number of unpublished rows and the age of the oldest.
func (r *Relay) Backlog(ctx context.Context) (int64, time.Duration, error) {
	var n int64
	var age float64
	if err := r.pool.QueryRow(ctx, backlogSQL).Scan(&n, &age); err != nil {
		return 0, 0, fmt.Errorf("outbox: backlog: %w", err)
	}
	return n, time.Duration(age * float64(time.Second)), nil
}

func (r *Relay) observeBacklog(ctx context.Context) {
	n, age, err := r.Backlog(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			r.log.Debug("outbox backlog unavailable", "error", err)
		}
		return
	}
	backlogRows.Set(float64(n))
	oldestAge.Set(age.Seconds())
}

// backoff is the delay after the given number of consecutive failures: 0.5s doubling, capped.
func backoff(attempt int, ceiling time.Duration) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

var (
	backlogRows = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "outbox_backlog_rows", Help: "Outbox rows not yet published.",
	})
	oldestAge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "outbox_oldest_unpublished_age_seconds", Help: "Age of the oldest unpublished outbox row.",
	})
	publishedTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "outbox_published_total", Help: "Outbox rows published.",
	}, []string{"topic", "type"})
	publishErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "outbox_publish_errors_total", Help: "Failed publish attempts.",
	})
)

func init() {
	prometheus.MustRegister(backlogRows, oldestAge, publishedTotal, publishErrors)
}
