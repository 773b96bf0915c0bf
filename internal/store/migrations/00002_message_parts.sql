-- +goose Up
-- Email can carry an HTML part and attachments (the weekly report's chart
-- and CSV). The ledger keeps the HTML and the attachments' names; the
-- attachment bytes are rebuilt from stored data when needed.
ALTER TABLE notifications ADD COLUMN html_body text NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN attachments text[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE notifications DROP COLUMN attachments, DROP COLUMN html_body;
