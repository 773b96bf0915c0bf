-- +goose Up
-- Bearer tokens of the systems that call the JSON API (starter tokens
-- create). Only a token's SHA-256 is kept: the token is shown once, and a
-- copy of this table lets nobody call the API.
CREATE TABLE api_tokens (
    -- The name is recorded as who did what the token's caller does.
    name         text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$'),
    token_hash   bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Stamped at most once a minute, so busy callers do not write a row
    -- per request.
    last_used_at timestamptz
);

-- The Idempotency-Key of a write, per token: a retry with the same key and
-- body gets the first response again; a different body is refused.
-- status_code is NULL while the first request is still running.
CREATE TABLE api_idempotency_keys (
    token_name   text NOT NULL REFERENCES api_tokens (name) ON DELETE CASCADE,
    key          text NOT NULL,
    request_hash bytea NOT NULL,
    status_code  integer,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_name, key)
);
-- Keys are forgotten after a day (store.IdempotencyKeyRetention).
CREATE INDEX api_idempotency_keys_created_idx ON api_idempotency_keys (created_at);

-- +goose Down
DROP TABLE api_idempotency_keys;
DROP TABLE api_tokens;
