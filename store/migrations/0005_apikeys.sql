-- API keys: only a SHA-256 of each key is kept. Keys are 32 random bytes,
-- so a fast hash is as safe as a slow one and lets every request be
-- checked with one indexed lookup.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    prefix       text NOT NULL,
    hash         text NOT NULL UNIQUE,
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;
