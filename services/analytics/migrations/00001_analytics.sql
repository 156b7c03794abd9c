-- +goose Up
-- Every order and payment event, once: the primary key is the consumer's inbox.
CREATE TABLE events (
    event_id    text PRIMARY KEY,
    type        text        NOT NULL,
    order_id    text        NOT NULL,
    customer_id text        NOT NULL,
    amount      bigint      NOT NULL, -- minor units: the order's total or the payment's amount
    currency    text        NOT NULL,
    occurred_at timestamptz NOT NULL, -- the CloudEvent time, or the event's own timestamp
    data        jsonb       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_occurred_at_idx ON events (occurred_at);
CREATE INDEX events_order_id_idx ON events (order_id);

-- Aggregates per UTC hour and currency, incremented once per new event. Amounts are numeric so
-- that no sum can overflow and turn a batch into one that fails forever.
CREATE TABLE hourly_stats (
    hour              timestamptz NOT NULL,
    currency          text        NOT NULL,
    orders_created    bigint      NOT NULL DEFAULT 0,
    orders_paid       bigint      NOT NULL DEFAULT 0,
    orders_cancelled  bigint      NOT NULL DEFAULT 0,
    payments_failed   bigint      NOT NULL DEFAULT 0,
    payments_refunded bigint      NOT NULL DEFAULT 0,
    revenue           numeric     NOT NULL DEFAULT 0, -- amounts of completed payments
    refunded_amount   numeric     NOT NULL DEFAULT 0, -- amounts of refunds
    PRIMARY KEY (hour, currency)
);

-- +goose Down
DROP TABLE hourly_stats;
DROP TABLE events;
