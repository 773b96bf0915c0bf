-- +goose Up
-- Who closed the order of an open incident (fulfilled or cancelled it):
-- the signed-in user of the web app, the API token's name, or the CLI's
-- --by. The workflow closes the incident itself later; this is written in
-- the same statement as the order's new status.
ALTER TABLE incidents ADD COLUMN closed_by text;

-- +goose Down
ALTER TABLE incidents DROP COLUMN closed_by;
