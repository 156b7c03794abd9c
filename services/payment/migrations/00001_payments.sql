-- +goose Up
-- One payment per order, by constraint.
CREATE TABLE payments (
    id           uuid PRIMARY KEY,
    order_id     text        NOT NULL CONSTRAINT payments_order_id_key UNIQUE,
    customer_id  text        NOT NULL,
    amount       bigint      NOT NULL CHECK (amount >= 0),
    currency     text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status       text        NOT NULL CHECK (status IN ('completed', 'failed', 'refunded')),
    reason       text        NOT NULL DEFAULT '',
    provider_ref text        NOT NULL DEFAULT '',
    version      bigint      NOT NULL CHECK (version >= 1),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK (status <> 'failed' OR reason <> ''),
    CHECK (status = 'failed' OR provider_ref <> '')
);
CREATE INDEX payments_customer_idx ON payments (customer_id, created_at DESC, id DESC);

-- The cancellation marker: an order.created that arrives after its order's cancellation is
-- never charged. charge_skipped_at records when such a charge was skipped.
CREATE TABLE order_cancellations (
    order_id          text PRIMARY KEY,
    reason            text        NOT NULL DEFAULT '',
    cancelled_at      timestamptz NOT NULL,
    charge_skipped_at timestamptz
);

-- One row per order, locked FOR UPDATE by the transactions that charge or cancel it, so that
-- the two cannot run concurrently (see internal/adapters/postgres).
CREATE TABLE order_locks (
    order_id   text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE order_locks;
DROP TABLE order_cancellations;
DROP TABLE payments;
