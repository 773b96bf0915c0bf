-- +goose Up
-- The people who sign in to the web app (starter serve), added with
-- `starter users add NAME --role ROLE`. The role decides what they see and
-- may do; the password is kept as an argon2id hash in its PHC string form.
-- NULL: the account signs in through single sign-on (OpenID Connect) only.
CREATE TABLE users (
    username      text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$'),
    role          text NOT NULL CHECK (role IN ('procurement_manager', 'inventory_clerk', 'warehouse_manager', 'admin')),
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Signed-in browsers. Only the SHA-256 of a session's cookie is kept, so a
-- copy of this table signs nobody in. A session ends when it has been idle
-- longer than BACKORDER_SESSION_IDLE_TIMEOUT, at its absolute lifetime, at
-- sign-out, or when its user is removed or given a new password.
CREATE TABLE web_sessions (
    token_hash   bytea PRIMARY KEY,
    username     text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_username_idx ON web_sessions (username);
CREATE INDEX web_sessions_last_seen_idx ON web_sessions (last_seen_at);

-- Wrong passwords in a row, per username ("user:NAME") and per client
-- address ("client:ADDR"): at five, sign-in is refused for that key until
-- locked_until. A right password clears both keys.
CREATE TABLE sign_in_failures (
    key             text PRIMARY KEY,
    failures        integer NOT NULL,
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz
);

-- +goose Down
DROP TABLE sign_in_failures, web_sessions, users;
