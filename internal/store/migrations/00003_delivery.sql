-- +goose Up
-- Delivery through SendGrid and Twilio. Neither provider takes an
-- idempotency key, so the ledger row is the message's single source of
-- truth: it is claimed (pending) before the provider is called and settled
-- after (sent with the provider's message id, retrying, unknown, failed).
ALTER TABLE notifications
    ADD CONSTRAINT notifications_status_check
        CHECK (status IN ('recorded', 'pending', 'retrying', 'sent', 'unknown', 'failed')),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Recipients who must not be messaged again (Twilio error 21610: the
-- number replied STOP). Checked before every send.
CREATE TABLE suppressions (
    channel    text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient  text NOT NULL,
    reason     text NOT NULL,
    -- The ledger key of the message that was refused.
    source_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, recipient)
);

-- Messages of an incident that could not be delivered, for whoever works
-- on it: [{"key", "channel", "recipient", "error", "at"}].
ALTER TABLE incidents ADD COLUMN delivery_failures jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE incidents DROP COLUMN delivery_failures;
DROP TABLE suppressions;
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check, DROP COLUMN updated_at;
