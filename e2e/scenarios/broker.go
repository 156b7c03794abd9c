package scenarios

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Topics (Redis streams) of the system.
const (
	topicOrders   = "orders"
	topicPayments = "payments"
)

// streamEvent is one entry of a topic's stream: the CloudEvent Dapr stored in its "data" field.
type streamEvent struct {
	StreamID string
	Raw      string
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Subject  string          `json:"subject"`
	Data     json.RawMessage `json:"data"`
}

// streamEvents returns every event of a topic's stream.
func streamEvents(ctx context.Context, rdb *redis.Client, topic string) ([]streamEvent, error) {
	msgs, err := rdb.XRange(ctx, topic, "-", "+").Result()
	if err != nil {
		return nil, err
	}
	out := make([]streamEvent, 0, len(msgs))
	for _, m := range msgs {
		raw, _ := m.Values["data"].(string)
		ev := streamEvent{}
		_ = json.Unmarshal([]byte(raw), &ev) // a poison entry may not decode: kept with its raw data
		ev.StreamID, ev.Raw = m.ID, raw
		out = append(out, ev)
	}
	return out, nil
}

// findEvents returns the events of a topic about one order (CloudEvent subject) of one type.
func findEvents(ctx context.Context, rdb *redis.Client, topic, eventType, orderID string) ([]streamEvent, error) {
	all, err := streamEvents(ctx, rdb, topic)
	if err != nil {
		return nil, err
	}
	var out []streamEvent
	for _, ev := range all {
		if ev.Type == eventType && ev.Subject == orderID {
			out = append(out, ev)
		}
	}
	return out, nil
}

// xadd appends an entry to a topic's stream the way Dapr's Redis Streams component stores a
// published event: XADD <topic> * data <CloudEvent JSON>.
func xadd(ctx context.Context, rdb *redis.Client, topic, cloudEvent string) (string, error) {
	return rdb.XAdd(ctx, &redis.XAddArgs{Stream: topic, Values: []any{"data", cloudEvent}}).Result()
}

// consumed reports whether every consumer group of a topic has read and acknowledged the
// entry id, and lists the groups that have not.
func consumed(ctx context.Context, rdb *redis.Client, topic, id string) ([]string, error) {
	groups, err := rdb.XInfoGroups(ctx, topic).Result()
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return []string{"(no consumer group)"}, nil
	}
	var waiting []string
	for _, g := range groups {
		if compareStreamIDs(g.LastDeliveredID, id) < 0 {
			waiting = append(waiting, g.Name+" (not delivered)")
			continue
		}
		pending, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: topic, Group: g.Name, Start: id, End: id, Count: 1}).Result()
		if err != nil {
			return nil, err
		}
		if len(pending) > 0 {
			waiting = append(waiting, g.Name+" (not acknowledged)")
		}
	}
	return waiting, nil
}

// compareStreamIDs compares two stream ids "ms-seq".
func compareStreamIDs(a, b string) int {
	pa, pb := parseStreamID(a), parseStreamID(b)
	for i := range 2 {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func parseStreamID(id string) [2]uint64 {
	ms, seq, _ := strings.Cut(id, "-")
	a, _ := strconv.ParseUint(ms, 10, 64)
	b, _ := strconv.ParseUint(seq, 10, 64)
	return [2]uint64{a, b}
}

// cloudEvent builds the JSON of a CloudEvent as Dapr stores it in a stream.
func cloudEvent(id, eventType, topic, subject string, data any) (string, error) {
	d, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	ev := map[string]any{
		"specversion":     "1.0",
		"id":              id,
		"source":          "e2e",
		"type":            eventType,
		"subject":         subject,
		"time":            time.Now().UTC().Format(time.RFC3339Nano),
		"datacontenttype": "application/json",
		"data":            json.RawMessage(d),
		"topic":           topic,
		"pubsubname":      "pubsub",
	}
	b, err := json.Marshal(ev)
	return string(b), err
}

// snapshot is what the system has stored: rows per table of every service database and
// entries per stream of the broker.
type snapshot map[string]int64

func (s snapshot) String() string {
	keys := slices.Sorted(maps.Keys(s))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, s[k])
	}
	return strings.Join(parts, " ")
}

// takeSnapshot counts the rows of every table (but goose's) in each service database and the
// entries of every stream.
func takeSnapshot(ctx context.Context, dbs map[string]*pgxpool.Pool, rdb *redis.Client) (snapshot, error) {
	s := snapshot{}
	for svc, pool := range dbs {
		rows, err := pool.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables
			WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`)
		if err != nil {
			return nil, err
		}
		var tables []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return nil, err
			}
			tables = append(tables, name)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, table := range tables {
			var n int64
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				return nil, err
			}
			s[svc+"."+table] = n
		}
	}
	var cursor uint64
	for {
		keys, next, err := rdb.ScanType(ctx, cursor, "*", 100, "stream").Result()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			n, err := rdb.XLen(ctx, k).Result()
			if err != nil {
				return nil, err
			}
			s["stream."+k] = n
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return s, nil
}

// count runs a count query.
func count(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}

func newID() string { return uuid.NewString() }

// currencies hands out currency codes no other scenario of the run uses, so the analytics
// aggregates of a scenario (kept per currency) are its own. They are well-formed ISO 4217
// codes (three capitals) outside the assigned list: Q followed by two letters, not QAR.
type currencies struct{ used map[string]bool }

func (c *currencies) next() string {
	if c.used == nil {
		c.used = map[string]bool{"QAR": true}
	}
	for {
		b := make([]byte, 2)
		_, _ = rand.Read(b)
		code := "Q" + string(rune('A'+b[0]%26)) + string(rune('A'+b[1]%26))
		if !c.used[code] {
			c.used[code] = true
			return code
		}
	}
}
