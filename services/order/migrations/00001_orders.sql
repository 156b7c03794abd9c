-- +goose Up
CREATE TABLE orders (
    id            uuid        PRIMARY KEY,
    customer_id   text        NOT NULL CHECK (customer_id <> ''),
    currency      text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_amount  bigint      NOT NULL CHECK (total_amount >= 0),
    status        text        NOT NULL CHECK (status IN ('pending', 'paid', 'cancelled', 'shipped')),
    status_reason text        NOT NULL DEFAULT '',
    version       bigint      NOT NULL CHECK (version >= 1),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
-- GET /orders?customerId=: a customer's orders, newest first.
CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at DESC, id DESC);

CREATE TABLE order_items (
    order_id   uuid    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no    integer NOT NULL CHECK (line_no >= 1),
    product_id text    NOT NULL CHECK (product_id <> ''),
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price bigint  NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, line_no)
);

-- The order service is the source of truth of idempotency keys: a key is scoped to the API
-- client the gateway authenticated and is written in the transaction that creates the order.
CREATE TABLE idempotency_keys (
    client_id    text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status_code  integer     NOT NULL,
    response     jsonb       NOT NULL,
    order_id     uuid        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE order_items;
DROP TABLE orders;
