-- Health: scorecards (every version kept), the daily score of each account
-- with its factors, and success plans.

CREATE TABLE health_scorecards (
    name       text NOT NULL,
    version    int NOT NULL CHECK (version > 0),
    -- segment is the accounts' segment the scorecard is for; empty for the
    -- default scorecard.
    segment    text NOT NULL DEFAULT '',
    -- source is the YAML document as saved; it is the scorecard.
    source     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

-- One row per account and day, in the workspace timezone. A rescore on the
-- same day replaces the day's row.
CREATE TABLE account_health (
    account_id        uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day               date NOT NULL,
    -- score is NULL, and band empty, when no measure had data.
    score             numeric(5,1),
    band              text NOT NULL DEFAULT '' CHECK (band IN ('', 'red', 'yellow', 'green')),
    -- factors is the list of health.Factor: measure, team, raw value,
    -- sub-score, weight, contribution, note.
    factors           jsonb NOT NULL,
    scorecard_name    text NOT NULL,
    scorecard_version int NOT NULL,
    -- scorecard_match says why the scorecard applied: segment or default.
    scorecard_match   text NOT NULL,
    account_segment   text NOT NULL DEFAULT '',
    computed_at       timestamptz NOT NULL,
    PRIMARY KEY (account_id, day)
);
CREATE INDEX account_health_day ON account_health (day, band);

CREATE TABLE success_plan_objectives (
    id         uuid PRIMARY KEY,
    account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    title      text NOT NULL CHECK (title <> ''),
    owner_id   uuid REFERENCES people(id) ON DELETE SET NULL,
    due_date   date,
    status     text NOT NULL CHECK (status IN ('on_track', 'at_risk', 'done', 'missed')),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX success_plan_objectives_account ON success_plan_objectives (account_id, created_at, id);
