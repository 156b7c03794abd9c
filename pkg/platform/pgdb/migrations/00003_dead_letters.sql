-- +goose Up
CREATE TABLE dead_letters (
    id            uuid PRIMARY KEY,
    consumer      text        NOT NULL,
    topic         text        NOT NULL,
    event_id      text        NOT NULL,
    event_type    text        NOT NULL,
    event         jsonb       NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at   timestamptz,
    replay_count  integer     NOT NULL DEFAULT 0,
    last_error    text,
    UNIQUE (consumer, event_id)
);
CREATE INDEX dead_letters_received_idx ON dead_letters (received_at DESC);

-- +goose Down
DROP TABLE dead_letters;
