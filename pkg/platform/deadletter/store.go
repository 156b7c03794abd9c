// Package deadletter keeps a consumer's dead letters — the events its subscriptions dropped,
// delivered back to it on its dead-letter topics — in the dead_letters table, and replays
// them through the consumer's own handlers, optionally with corrected data.
//
// A replay never re-publishes to the shared topic: it runs the consumer's handler
// (pubsub.Router.Dispatch) on the stored event, keeping the original CloudEvent id, so the
// handler's inbox applies the event at most once.
package deadletter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

// Limits of List.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

var (
	// ErrNotFound is returned for an id that names no dead letter of the consumer.
	ErrNotFound = errors.New("deadletter: not found")
	// ErrInvalidData is returned by Replay when the corrected data is not a JSON object.
	ErrInvalidData = errors.New("deadletter: corrected data must be a JSON object")
)

// Letter is one stored dead letter.
type Letter struct {
	ID          string          `json:"id"`
	Consumer    string          `json:"consumer"`
	Topic       string          `json:"topic"` // the dead-letter topic it arrived on
	EventID     string          `json:"eventId"`
	EventType   string          `json:"eventType"`
	Event       json.RawMessage `json:"event"` // the CloudEvent as received
	ReceivedAt  time.Time       `json:"receivedAt"`
	ReplayedAt  *time.Time      `json:"replayedAt,omitempty"` // last successful replay
	ReplayCount int             `json:"replayCount"`          // successful replays
	LastError   string          `json:"lastError,omitempty"`  // error of the last failed replay
}

// ListFilter selects dead letters for List.
type ListFilter struct {
	// Limit caps the result: DefaultLimit when not positive, at most MaxLimit.
	Limit int
	// Pending keeps only the letters never replayed successfully.
	Pending bool
}

// Store is the dead-letter store of one consumer (Dapr app id). It implements
// pubsub.DeadLetterSink.
type Store struct {
	pool     *pgxpool.Pool
	consumer string
}

var _ pubsub.DeadLetterSink = (*Store)(nil)

// NewStore returns the store of consumer's dead letters in pool's database.
func NewStore(pool *pgxpool.Pool, consumer string) *Store {
	return &Store{pool: pool, consumer: consumer}
}

const letterColumns = `id, consumer, topic, event_id, event_type, event, received_at, replayed_at, replay_count, coalesce(last_error, '')`

const (
	saveSQL = `INSERT INTO dead_letters (id, consumer, topic, event_id, event_type, event)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (consumer, event_id) DO NOTHING`

	getSQL = `SELECT ` + letterColumns + ` FROM dead_letters WHERE consumer = $1 AND id = $2`

	listSQL = `SELECT ` + letterColumns + ` FROM dead_letters
WHERE consumer = $1 AND (NOT $2 OR replayed_at IS NULL)
ORDER BY received_at DESC, id DESC
LIMIT $3`

	markReplayedSQL = `UPDATE dead_letters
SET replayed_at = now(), replay_count = replay_count + 1, last_error = NULL
WHERE consumer = $1 AND id = $2
RETURNING ` + letterColumns

	markFailedSQL = `UPDATE dead_letters SET last_error = $3 WHERE consumer = $1 AND id = $2 RETURNING ` + letterColumns
)

// Save stores a dead letter that arrived on topic, once per event id: a redelivered letter is
// ignored. raw is stored as received when it is JSON, as a JSON string otherwise; an event
// without an id is keyed by a hash of raw, so its redeliveries are ignored too.
func (s *Store) Save(ctx context.Context, topic string, ev events.CloudEvent, raw []byte) error {
	eventID := ev.ID
	if eventID == "" {
		sum := sha256.Sum256(raw)
		eventID = "sha256:" + hex.EncodeToString(sum[:])
	}
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("deadletter: new id: %w", err)
	}
	eventID, eventType := noNUL(eventID), noNUL(ev.Type)
	if _, err := s.pool.Exec(ctx, saveSQL, id.String(), s.consumer, topic, eventID, eventType, storedJSON(raw)); err != nil {
		return fmt.Errorf("deadletter: save %s: %w", eventID, err)
	}
	return nil
}

// storedJSON returns raw when jsonb can hold it as it is, and raw as a JSON string otherwise:
// not JSON, or JSON with a \u0000 escape (jsonb rejects it). NUL bytes are replaced.
func storedJSON(raw []byte) []byte {
	if json.Valid(raw) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw
	}
	b, _ := json.Marshal(noNUL(string(raw))) // a string always marshals
	return b
}

// noNUL replaces NUL characters, which PostgreSQL text and jsonb cannot store.
func noNUL(s string) string { return strings.ReplaceAll(s, "\x00", "\uFFFD") }

// List returns the consumer's dead letters, newest first (an empty, non-nil slice if none).
func (s *Store) List(ctx context.Context, f ListFilter) ([]Letter, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	rows, err := s.pool.Query(ctx, listSQL, s.consumer, f.Pending, min(limit, MaxLimit))
	if err != nil {
		return nil, fmt.Errorf("deadletter: list: %w", err)
	}
	letters, err := pgx.CollectRows(rows, scanLetter)
	if err != nil {
		return nil, fmt.Errorf("deadletter: list: %w", err)
	}
	return letters, nil
}

// Get returns the dead letter id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (Letter, error) {
	return s.queryLetter(ctx, "get", getSQL, id)
}

// Replay runs dispatch — the consumer's pubsub.Router.Dispatch — on the stored event, with its
// data replaced by data when data is not empty (it must then be a JSON object, or Replay
// returns ErrInvalidData). Every other attribute of the original CloudEvent, its id first, is
// kept, so the handler's inbox makes a replay of an event already processed a no-op success.
//
// On success the letter is marked replayed (and its last error cleared); on failure the error
// is recorded as its last error and returned wrapped, with the updated letter: a permanent
// failure satisfies pubsub.IsPermanent, anything else is transient. The stored event itself is
// never changed.
func (s *Store) Replay(ctx context.Context, id string, data json.RawMessage, dispatch func(ctx context.Context, ev events.CloudEvent) error) (Letter, error) {
	if len(data) > 0 && !isJSONObject(data) {
		return Letter{}, ErrInvalidData
	}
	l, err := s.Get(ctx, id)
	if err != nil {
		return Letter{}, err
	}
	ev, err := l.cloudEvent(data)
	if err == nil {
		err = dispatch(ctx, ev)
	}
	if err != nil {
		return s.markFailed(ctx, l.ID, err)
	}
	return s.queryLetter(ctx, "mark replayed", markReplayedSQL, l.ID)
}

// markFailed records cause on the letter, even when ctx is done (cause may be its end).
func (s *Store) markFailed(ctx context.Context, id string, cause error) (Letter, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	replayErr := fmt.Errorf("deadletter: replay %s: %w", id, cause)
	l, err := s.queryLetter(ctx, "record replay error", markFailedSQL, id, cause.Error())
	if err != nil {
		return Letter{}, errors.Join(replayErr, err)
	}
	return l, replayErr
}

// queryLetter runs a query returning at most one letter of the consumer, by id.
func (s *Store) queryLetter(ctx context.Context, op, sql, id string, args ...any) (Letter, error) {
	parsed, err := uuid.Parse(id)
	if err != nil {
		return Letter{}, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, sql, append([]any{s.consumer, parsed.String()}, args...)...)
	if err == nil {
		var l Letter
		l, err = pgx.CollectExactlyOneRow(rows, scanLetter)
		if err == nil {
			return l, nil
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Letter{}, ErrNotFound
	}
	return Letter{}, fmt.Errorf("deadletter: %s %s: %w", op, id, err)
}

func scanLetter(row pgx.CollectableRow) (Letter, error) {
	var l Letter
	err := row.Scan(&l.ID, &l.Consumer, &l.Topic, &l.EventID, &l.EventType, &l.Event,
		&l.ReceivedAt, &l.ReplayedAt, &l.ReplayCount, &l.LastError)
	return l, err
}

// cloudEvent decodes the stored event, with its data replaced by data when given. A stored
// event that is not a CloudEvent can never be replayed: that is a permanent error.
func (l Letter) cloudEvent(data json.RawMessage) (events.CloudEvent, error) {
	var ev events.CloudEvent
	if err := json.Unmarshal(l.Event, &ev); err != nil {
		return ev, pubsub.Permanent(fmt.Errorf("deadletter: stored event is not a CloudEvent: %w", err))
	}
	if len(data) > 0 {
		ev.Data = data
	}
	return ev, nil
}

func isJSONObject(b []byte) bool {
	return json.Valid(b) && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{"))
}
