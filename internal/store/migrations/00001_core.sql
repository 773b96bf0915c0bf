-- +goose Up
CREATE TABLE customers (
    id    text PRIMARY KEY,
    name  text NOT NULL,
    email text NOT NULL,
    phone text
);

CREATE TABLE suppliers (
    id             text PRIMARY KEY,
    name           text NOT NULL,
    email          text NOT NULL,
    -- NULL: fall back to BACKORDER_DEFAULT_LEAD_TIME_DAYS.
    lead_time_days integer CHECK (lead_time_days >= 0)
);

CREATE TABLE products (
    sku            text PRIMARY KEY,
    name           text NOT NULL,
    supplier_id    text NOT NULL REFERENCES suppliers (id),
    -- NULL: fall back to the supplier's lead time.
    lead_time_days integer CHECK (lead_time_days >= 0)
);

CREATE TABLE orders (
    id              text PRIMARY KEY,
    customer_id     text NOT NULL REFERENCES customers (id),
    status          text NOT NULL CHECK (status IN ('Pending', 'Backordered', 'Fulfilled', 'Cancelled')),
    promised_date   date NOT NULL,
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    last_checked_at timestamptz,
    current_status  text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- The sweep pages through overdue backorders in id order; a partial index
-- keeps that cheap however many fulfilled orders pile up.
CREATE INDEX orders_backordered_idx ON orders (id, promised_date) WHERE status = 'Backordered';

CREATE TABLE order_lines (
    order_id             text    NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no              integer NOT NULL,
    sku                  text    NOT NULL REFERENCES products (sku),
    quantity             integer NOT NULL CHECK (quantity >= 0),
    backordered_quantity integer NOT NULL CHECK (backordered_quantity >= 0 AND backordered_quantity <= quantity),
    unit_price           numeric NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, line_no)
);

CREATE SEQUENCE incident_seq;
-- One incident per backorder episode (one per-order workflow chain).
CREATE TABLE incidents (
    id                     text PRIMARY KEY DEFAULT 'INC-' || nextval('incident_seq'),
    episode_key            text NOT NULL UNIQUE,
    order_id               text NOT NULL REFERENCES orders (id),
    status                 text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'cancelled')),
    delay_days             integer NOT NULL,
    backorder_value        numeric NOT NULL,
    currency               text NOT NULL,
    eta                    date NOT NULL,
    eta_version            integer NOT NULL DEFAULT 1,
    lead_times             jsonb NOT NULL,
    used_default_lead_time boolean NOT NULL,
    mitigation_plan        text NOT NULL,
    history                jsonb NOT NULL DEFAULT '[]',
    opened_at              timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    resolved_at            timestamptz
);
CREATE INDEX incidents_open_idx ON incidents (order_id) WHERE status = 'open';

CREATE SEQUENCE task_seq;
CREATE TABLE tasks (
    id            text PRIMARY KEY DEFAULT 'T-' || nextval('task_seq'),
    -- Deterministic per intent (episode and role), so a retried activity
    -- finds the task it already created.
    idem_key      text NOT NULL UNIQUE,
    order_id      text NOT NULL REFERENCES orders (id),
    incident_id   text REFERENCES incidents (id),
    role          text NOT NULL,
    title         text NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'obsolete')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    completed_by  text,
    note          text,
    confirmed_eta date
);
CREATE INDEX tasks_open_idx ON tasks (role, created_at) WHERE status = 'open';
CREATE INDEX tasks_order_idx ON tasks (order_id);

-- The ledger of every message the process meant to send; it is history and
-- is never deleted.
CREATE TABLE notifications (
    key                 text PRIMARY KEY,
    order_id            text NOT NULL,
    incident_id         text,
    channel             text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient           text NOT NULL,
    subject             text NOT NULL DEFAULT '',
    body                text NOT NULL,
    status              text NOT NULL,
    provider_message_id text,
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz
);
CREATE INDEX notifications_order_idx ON notifications (order_id);

-- Temporary alerts for orders that need attention; removed on fulfilment.
CREATE TABLE active_alerts (
    key         text PRIMARY KEY,
    order_id    text NOT NULL,
    incident_id text NOT NULL,
    kind        text NOT NULL,
    message     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX active_alerts_order_idx ON active_alerts (order_id);

CREATE TABLE sweep_runs (
    sweep_id              text PRIMARY KEY,
    as_of                 date NOT NULL,
    started_at            timestamptz NOT NULL DEFAULT now(),
    finished_at           timestamptz,
    orders_found          integer NOT NULL DEFAULT 0,
    total_backorder_value jsonb NOT NULL DEFAULT '{}',
    workflows_started     integer NOT NULL DEFAULT 0,
    already_running       integer NOT NULL DEFAULT 0,
    reconciled            integer NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE sweep_runs, active_alerts, notifications, tasks, incidents, order_lines, orders, products, suppliers, customers;
DROP SEQUENCE task_seq, incident_seq;
