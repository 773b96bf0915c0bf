-- +goose Up
-- The weekly report derives every week from what was true then, never from
-- today's order rows: so an incident keeps what it was opened for, the
-- promised date and the backordered lines with their prices, as of its
-- opening (store.OpenIncident writes them with the incident).
ALTER TABLE incidents ADD COLUMN promised_date date;

CREATE TABLE incident_lines (
    incident_id          text    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    line_no              integer NOT NULL,
    sku                  text    NOT NULL,
    product_name         text    NOT NULL,
    supplier_id          text    NOT NULL,
    supplier_name        text    NOT NULL,
    backordered_quantity integer NOT NULL CHECK (backordered_quantity > 0),
    unit_price           numeric NOT NULL CHECK (unit_price >= 0),
    -- backordered_quantity x unit_price: the revenue at risk of the line.
    value                numeric NOT NULL,
    PRIMARY KEY (incident_id, line_no)
);

-- Incidents opened before this migration: best effort, from their orders
-- as they are now.
UPDATE incidents i SET promised_date = o.promised_date FROM orders o WHERE o.id = i.order_id;
INSERT INTO incident_lines (incident_id, line_no, sku, product_name, supplier_id, supplier_name,
                            backordered_quantity, unit_price, value)
SELECT i.id, l.line_no, l.sku, p.name, s.id, s.name, l.backordered_quantity, l.unit_price,
       l.backordered_quantity * l.unit_price
FROM incidents i
JOIN order_lines l ON l.order_id = i.order_id
JOIN products p ON p.sku = l.sku
JOIN suppliers s ON s.id = p.supplier_id
WHERE l.backordered_quantity > 0;

-- The report's time ranges: incidents opened or closed in a week, messages
-- sent in it, tasks open at its end.
CREATE INDEX incidents_opened_at_idx ON incidents (opened_at);
CREATE INDEX incidents_resolved_at_idx ON incidents (resolved_at);
CREATE INDEX notifications_sent_at_idx ON notifications (sent_at);
CREATE INDEX tasks_created_at_idx ON tasks (created_at);

-- One stored report per ISO week (YYYY-Www), replaced when run again.
CREATE TABLE reports (
    week         text PRIMARY KEY CHECK (week ~ '^[0-9]{4}-W[0-9]{2}$'),
    timezone     text        NOT NULL,
    as_of        timestamptz NOT NULL,
    -- false: the week was still in progress at as_of.
    complete     boolean     NOT NULL,
    data         jsonb       NOT NULL,
    generated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE reports, incident_lines;
DROP INDEX incidents_opened_at_idx, incidents_resolved_at_idx, notifications_sent_at_idx, tasks_created_at_idx;
ALTER TABLE incidents DROP COLUMN promised_date;
