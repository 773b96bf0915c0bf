-- +goose Up
-- The weekly report over a year of history. "Open at instant t" is read as
-- two ranges of this index, still open (resolved_at IS NULL) and closed
-- since t, each bounded by opened_at < t; the columns the report groups by
-- are included, so the counts per week come from the index alone. It
-- replaces the index on resolved_at alone, which it also serves.
CREATE INDEX incidents_open_span_idx ON incidents (resolved_at, opened_at) INCLUDE (id, status, currency, promised_date);
DROP INDEX incidents_resolved_at_idx;
-- Escalations per week: few incidents escalate, so a partial index.
CREATE INDEX incidents_escalated_at_idx ON incidents (escalated_at) WHERE escalated_at IS NOT NULL;

-- +goose Down
DROP INDEX incidents_escalated_at_idx;
CREATE INDEX incidents_resolved_at_idx ON incidents (resolved_at);
DROP INDEX incidents_open_span_idx;
