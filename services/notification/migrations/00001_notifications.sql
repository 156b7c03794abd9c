-- +goose Up
CREATE TABLE notifications (
    id         uuid PRIMARY KEY,
    event_id   text        NOT NULL,
    event_type text        NOT NULL,
    order_id   text        NOT NULL,
    recipient  text        NOT NULL, -- the customer id
    channel    text        NOT NULL,
    subject    text        NOT NULL,
    body       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notifications_event_recipient_channel_key UNIQUE (event_id, recipient, channel)
);
CREATE INDEX notifications_recipient_idx ON notifications (recipient, created_at DESC, id DESC);
CREATE INDEX notifications_order_idx ON notifications (order_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE notifications;
