-- +goose Up
-- One open incident per order. A workflow that ended without closing its
-- episode (terminated, failed, reset) leaves its incident open; the next
-- run for the order adopts it instead of opening a second one, and this
-- index makes that the only possible outcome. Duplicates left by earlier
-- versions are closed first, keeping the newest of each order open.
UPDATE incidents i SET status = 'resolved', resolved_at = now(), updated_at = now(),
       history = i.history || jsonb_build_array(jsonb_build_object(
           'event', 'superseded', 'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'reason', 'a later incident of the same order was open'))
WHERE i.status = 'open' AND EXISTS (
    SELECT 1 FROM incidents newer
    WHERE newer.order_id = i.order_id AND newer.status = 'open'
      AND (newer.opened_at, newer.id) > (i.opened_at, i.id));
CREATE UNIQUE INDEX incidents_one_open_per_order ON incidents (order_id) WHERE status = 'open';
DROP INDEX incidents_open_idx;

-- Escalation: the customer has had BACKORDER_MAX_CUSTOMER_NOTICES notices
-- and the ETA passed again. The weekly report counts these.
ALTER TABLE incidents ADD COLUMN escalated_at timestamptz;
-- Why the episode ended: the fulfilment note or the cancel reason.
ALTER TABLE incidents ADD COLUMN close_note text NOT NULL DEFAULT '';

-- When the order's workflow learnt of a task's completion. A completion
-- recorded while the workflow could not be told stays NULL here, and the
-- next sweep tells it.
ALTER TABLE tasks ADD COLUMN acknowledged_at timestamptz;
UPDATE tasks SET acknowledged_at = completed_at WHERE status <> 'open';
CREATE INDEX tasks_unacknowledged_idx ON tasks (order_id) WHERE status = 'done' AND acknowledged_at IS NULL;

-- +goose Down
DROP INDEX tasks_unacknowledged_idx;
ALTER TABLE tasks DROP COLUMN acknowledged_at;
ALTER TABLE incidents DROP COLUMN close_note, DROP COLUMN escalated_at;
CREATE INDEX incidents_open_idx ON incidents (order_id) WHERE status = 'open';
DROP INDEX incidents_one_open_per_order;
