-- Each API key's allowance, shared by every `pulse serve` replica on the
-- database: kept in each process, it let a key through once per replica
-- (issue 12). Every call on it is one statement of its own, so that it
-- works through PgBouncer in transaction mode, and no lock outlives it.
-- Both tables are a few rows a key, rewritten on every request: a low
-- fillfactor and no index on what changes keep the rewrites HOT, and
-- UNLOGGED spares each request's two commits a WAL flush (measured: a
-- request took 9.5 ms logged, against 0.7 ms with the allowance in the
-- process). What UNLOGGED gives up is harmless here: after a crash of the
-- database the tables are empty, every key's slots free and rate full,
-- which is right, as every request in flight failed with it; and a
-- standby has none, which a replica reads nothing from.

-- The rate, as a generic cell rate algorithm: tat is when the key's
-- next request would be due were it to come at the steady rate; a request
-- is let in when that is at most a burst's worth of intervals ahead.
-- admitted says whether the latest request was.
CREATE UNLOGGED TABLE api_key_rates (
    key_id   uuid PRIMARY KEY REFERENCES api_keys (id) ON DELETE CASCADE,
    tat      timestamptz NOT NULL,
    admitted boolean NOT NULL
) WITH (fillfactor = 50);

-- The requests in flight: a key's slots, made as first needed, as many
-- as the largest limit a replica asked for. A request holds one under a
-- lease of its own until it ends; a slot whose lease expired is free
-- again, so that a replica that died holding slots gives them back once
-- its longest request would have ended.
CREATE UNLOGGED TABLE api_key_slots (
    key_id     uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    slot       int NOT NULL CHECK (slot >= 0),
    lease      uuid,
    expires_at timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (key_id, slot)
) WITH (fillfactor = 50);
