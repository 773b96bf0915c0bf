-- +goose Up
-- uncertain_sends counts the provider calls of a message whose outcome is
-- not known (no answer after the request went out, or an attempt that
-- ended mid-call): each may have delivered a copy. An email is sent again
-- only while it is 1, so a customer gets it at most twice; an SMS never.
ALTER TABLE notifications ADD COLUMN uncertain_sends integer NOT NULL DEFAULT 0;
UPDATE notifications SET uncertain_sends = 1 WHERE status = 'unknown';
-- A person's decision to send a message again (starter notifications
-- resend), never automatic.
ALTER TABLE notifications ADD COLUMN resent_by text, ADD COLUMN resent_at timestamptz;
-- starter notifications --stuck: rows not settled for a while.
CREATE INDEX notifications_unsettled_idx ON notifications (updated_at)
    WHERE status IN ('pending', 'retrying', 'unknown');

-- +goose Down
DROP INDEX notifications_unsettled_idx;
ALTER TABLE notifications DROP COLUMN resent_at, DROP COLUMN resent_by, DROP COLUMN uncertain_sends;
