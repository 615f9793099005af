-- The domain model, the sources that feed it, and sync bookkeeping.

CREATE TABLE sources (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL,
    name          text NOT NULL UNIQUE,
    config        jsonb NOT NULL DEFAULT '{}',
    secret_config bytea,
    schedule      text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sync_runs (
    id               uuid PRIMARY KEY,
    source_id        uuid NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    status           text NOT NULL,
    trigger          text NOT NULL DEFAULT '',
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    error            text NOT NULL DEFAULT '',
    records_read     bigint NOT NULL DEFAULT 0,
    records_written  bigint NOT NULL DEFAULT 0,
    records_deleted  bigint NOT NULL DEFAULT 0,
    records_deferred bigint NOT NULL DEFAULT 0,
    records_rejected bigint NOT NULL DEFAULT 0
);
CREATE INDEX sync_runs_source_started ON sync_runs (source_id, started_at DESC, id DESC);

CREATE TABLE sync_run_streams (
    run_id           uuid NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    stream           text NOT NULL,
    records_read     bigint NOT NULL DEFAULT 0,
    records_written  bigint NOT NULL DEFAULT 0,
    records_deleted  bigint NOT NULL DEFAULT 0,
    records_deferred bigint NOT NULL DEFAULT 0,
    records_rejected bigint NOT NULL DEFAULT 0,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    PRIMARY KEY (run_id, stream)
);

CREATE TABLE sync_issues (
    id          bigserial PRIMARY KEY,
    run_id      uuid NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    stream      text NOT NULL,
    kind        text NOT NULL,
    external_id text NOT NULL DEFAULT '',
    origin      text NOT NULL DEFAULT '',
    field       text NOT NULL DEFAULT '',
    message     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_issues_run ON sync_issues (run_id, id);

CREATE TABLE stream_states (
    source_id  uuid NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    stream     text NOT NULL,
    state      bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, stream)
);

-- Records whose references did not resolve, kept until a later run can
-- place them.
CREATE TABLE deferred_records (
    source_id     uuid NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    entity_type   text NOT NULL,
    external_id   text NOT NULL,
    stream        text NOT NULL,
    record        bytea NOT NULL,
    reason        text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_tried_at timestamptz NOT NULL DEFAULT now(),
    attempts      int NOT NULL DEFAULT 1,
    PRIMARY KEY (source_id, entity_type, external_id)
);

CREATE TABLE external_refs (
    id          uuid PRIMARY KEY,
    source_id   uuid NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    entity_type text NOT NULL,
    external_id text NOT NULL,
    entity_id   uuid NOT NULL,
    matched_by  text NOT NULL DEFAULT 'created',
    confidence  double precision NOT NULL DEFAULT 1,
    synced_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    UNIQUE (source_id, entity_type, external_id)
);
CREATE INDEX external_refs_entity ON external_refs (entity_type, entity_id);

CREATE TABLE accounts (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    domain       text NOT NULL DEFAULT '',
    tier         text NOT NULL DEFAULT '',
    segment      text NOT NULL DEFAULT '',
    industry     text NOT NULL DEFAULT '',
    lifecycle    text NOT NULL DEFAULT '',
    renewal_date date,
    custom       jsonb NOT NULL DEFAULT '{}',
    source_id    uuid REFERENCES sources(id) ON DELETE SET NULL,
    external_id  text NOT NULL DEFAULT '',
    synced_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE INDEX accounts_name ON accounts (lower(name), id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_renewal ON accounts (renewal_date, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_tier ON accounts (tier) WHERE deleted_at IS NULL;
CREATE INDEX accounts_lifecycle ON accounts (lifecycle) WHERE deleted_at IS NULL;
CREATE INDEX accounts_segment ON accounts (segment) WHERE deleted_at IS NULL;

CREATE TABLE people (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL DEFAULT '',
    team        text NOT NULL DEFAULT '',
    custom      jsonb NOT NULL DEFAULT '{}',
    source_id   uuid REFERENCES sources(id) ON DELETE SET NULL,
    external_id text NOT NULL DEFAULT '',
    synced_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE TABLE contacts (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts(id),
    name        text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    title       text NOT NULL DEFAULT '',
    custom      jsonb NOT NULL DEFAULT '{}',
    source_id   uuid REFERENCES sources(id) ON DELETE SET NULL,
    external_id text NOT NULL DEFAULT '',
    synced_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX contacts_account ON contacts (account_id, name, id);

-- The remaining entities come from one source each, so they are keyed on
-- (source, external id) directly rather than through external_refs.

CREATE TABLE account_team (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts(id),
    person_id   uuid NOT NULL REFERENCES people(id),
    role        text NOT NULL,
    source_id   uuid REFERENCES sources(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    synced_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    UNIQUE (source_id, external_id)
);
CREATE INDEX account_team_account ON account_team (account_id);
CREATE INDEX account_team_person ON account_team (person_id, role);

CREATE TABLE activities (
    id               uuid PRIMARY KEY,
    account_id       uuid NOT NULL REFERENCES accounts(id),
    contact_id       uuid REFERENCES contacts(id),
    person_id        uuid REFERENCES people(id),
    team             text NOT NULL DEFAULT '',
    kind             text NOT NULL,
    direction        text NOT NULL DEFAULT '',
    occurred_at      timestamptz NOT NULL,
    duration_seconds bigint NOT NULL DEFAULT 0,
    subject          text NOT NULL DEFAULT '',
    custom           jsonb NOT NULL DEFAULT '{}',
    source_id        uuid REFERENCES sources(id) ON DELETE CASCADE,
    external_id      text NOT NULL,
    synced_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    UNIQUE (source_id, external_id)
);
CREATE INDEX activities_account_time ON activities (account_id, occurred_at DESC, id DESC);
CREATE INDEX activities_contact_time ON activities (contact_id, occurred_at) WHERE contact_id IS NOT NULL;

CREATE TABLE deals (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts(id),
    name        text NOT NULL DEFAULT '',
    stage       text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT '',
    kind        text NOT NULL DEFAULT '',
    amount      numeric NOT NULL DEFAULT 0,
    currency    text NOT NULL DEFAULT '',
    closed_at   timestamptz,
    lost_reason text NOT NULL DEFAULT '',
    custom      jsonb NOT NULL DEFAULT '{}',
    source_id   uuid REFERENCES sources(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    synced_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    UNIQUE (source_id, external_id)
);
CREATE INDEX deals_account ON deals (account_id);

CREATE TABLE subscription_items (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts(id),
    plan         text NOT NULL DEFAULT '',
    amount       numeric NOT NULL,
    currency     text NOT NULL,
    interval     text NOT NULL,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz,
    churn_reason text NOT NULL DEFAULT '',
    custom       jsonb NOT NULL DEFAULT '{}',
    source_id    uuid REFERENCES sources(id) ON DELETE CASCADE,
    external_id  text NOT NULL,
    synced_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    UNIQUE (source_id, external_id)
);
CREATE INDEX subscription_items_account ON subscription_items (account_id, starts_at);

CREATE TABLE tickets (
    id                uuid PRIMARY KEY,
    account_id        uuid NOT NULL REFERENCES accounts(id),
    contact_id        uuid REFERENCES contacts(id),
    subject           text NOT NULL DEFAULT '',
    priority          text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT '',
    opened_at         timestamptz NOT NULL,
    first_response_at timestamptz,
    resolved_at       timestamptz,
    csat              smallint NOT NULL DEFAULT 0,
    custom            jsonb NOT NULL DEFAULT '{}',
    source_id         uuid REFERENCES sources(id) ON DELETE CASCADE,
    external_id       text NOT NULL,
    synced_at         timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,
    UNIQUE (source_id, external_id)
);
CREATE INDEX tickets_account ON tickets (account_id, opened_at DESC);

CREATE TABLE survey_responses (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts(id),
    contact_id   uuid REFERENCES contacts(id),
    kind         text NOT NULL,
    score        int NOT NULL,
    touchpoint   text NOT NULL DEFAULT '',
    comment      text NOT NULL DEFAULT '',
    responded_at timestamptz NOT NULL,
    custom       jsonb NOT NULL DEFAULT '{}',
    source_id    uuid REFERENCES sources(id) ON DELETE CASCADE,
    external_id  text NOT NULL,
    synced_at    timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    UNIQUE (source_id, external_id)
);
CREATE INDEX survey_responses_account ON survey_responses (account_id, responded_at DESC);

CREATE TABLE fx_rates (
    id          uuid PRIMARY KEY,
    date        date NOT NULL,
    currency    text NOT NULL,
    rate        numeric NOT NULL,
    source_id   uuid REFERENCES sources(id) ON DELETE CASCADE,
    external_id text NOT NULL,
    synced_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    UNIQUE (source_id, external_id)
);
CREATE INDEX fx_rates_currency_date ON fx_rates (currency, date DESC);
