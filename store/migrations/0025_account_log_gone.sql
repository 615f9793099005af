-- Health measures, coverage and hand-off gaps are answered by statements
-- over the tables (store/measures.go, store/engagement.go): no process
-- keeps an account log any more, so the triggers that noted which
-- accounts each transaction wrote, and their tables, go. Every write to
-- activities, tickets and survey responses is a trigger call lighter.
DROP TRIGGER IF EXISTS activities_log_insert ON activities;
DROP TRIGGER IF EXISTS activities_log_update ON activities;
DROP TRIGGER IF EXISTS activities_log_delete ON activities;
DROP TRIGGER IF EXISTS activities_log_truncate ON activities;
DROP TRIGGER IF EXISTS tickets_log_insert ON tickets;
DROP TRIGGER IF EXISTS tickets_log_update ON tickets;
DROP TRIGGER IF EXISTS tickets_log_delete ON tickets;
DROP TRIGGER IF EXISTS tickets_log_truncate ON tickets;
DROP TRIGGER IF EXISTS survey_responses_log_insert ON survey_responses;
DROP TRIGGER IF EXISTS survey_responses_log_update ON survey_responses;
DROP TRIGGER IF EXISTS survey_responses_log_delete ON survey_responses;
DROP TRIGGER IF EXISTS survey_responses_log_truncate ON survey_responses;
DROP FUNCTION IF EXISTS note_account_log_insert();
DROP FUNCTION IF EXISTS note_account_log_update();
DROP FUNCTION IF EXISTS note_account_log_delete();
DROP FUNCTION IF EXISTS note_account_log_truncate();
DROP TABLE IF EXISTS account_log_changes;
DROP TABLE IF EXISTS account_log_generation;

-- account_latest_touches keeps each account's latest live activity of
-- each team, teammate (the zero id for none) and kind: the latest touch of
-- a team or of an account's owners is a lookup here, and all of them a
-- scan of a table a few rows an account, where the activities are dozens.
-- The kinds are kept so that what a touch is stays the domain's
-- (engagement.TouchKinds), passed to each statement. A reader asking as of
-- an instant before the kept one probes the activities instead.
CREATE TABLE account_latest_touches (
  account_id  uuid NOT NULL,
  team        text NOT NULL,
  person_id   uuid NOT NULL,
  kind        text NOT NULL,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, team, person_id, kind)
);

INSERT INTO account_latest_touches (account_id, team, person_id, kind, occurred_at)
SELECT account_id, team, COALESCE(person_id, '00000000-0000-0000-0000-000000000000'), kind, max(occurred_at)
FROM activities WHERE deleted_at IS NULL
GROUP BY 1, 2, 3, 4;

-- Rows inserted raise their key's latest.
CREATE FUNCTION account_latest_touches_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_latest_touches AS l (account_id, team, person_id, kind, occurred_at)
    SELECT account_id, team, COALESCE(person_id, '00000000-0000-0000-0000-000000000000'), kind, max(occurred_at)
    FROM new_rows WHERE deleted_at IS NULL
    GROUP BY 1, 2, 3, 4
  ON CONFLICT (account_id, team, person_id, kind) DO UPDATE SET occurred_at = greatest(l.occurred_at, excluded.occurred_at);
  RETURN NULL;
END
$$;

-- Rows updated or deleted may have been their key's latest: each key
-- they had or have is read again from activities, a probe of
-- activities_account_team_time. The keys are passed as arrays, the
-- transition tables being the trigger's own.
CREATE FUNCTION account_latest_touches_refresh(accounts uuid[], teams text[], people uuid[], kinds text[])
RETURNS void LANGUAGE sql AS $$
  DELETE FROM account_latest_touches l
  USING unnest(accounts, teams, people, kinds) AS k(account_id, team, person_id, kind)
  WHERE l.account_id = k.account_id AND l.team = k.team AND l.person_id = k.person_id AND l.kind = k.kind;
  INSERT INTO account_latest_touches AS l (account_id, team, person_id, kind, occurred_at)
    SELECT k.account_id, k.team, k.person_id, k.kind, m.at
    FROM (SELECT DISTINCT * FROM unnest(accounts, teams, people, kinds) AS k(account_id, team, person_id, kind)) k
    CROSS JOIN LATERAL (
      SELECT max(x.occurred_at) AS at FROM activities x
      WHERE x.account_id = k.account_id AND x.team = k.team AND x.deleted_at IS NULL AND x.kind = k.kind
        AND COALESCE(x.person_id, '00000000-0000-0000-0000-000000000000') = k.person_id) m
    WHERE m.at IS NOT NULL
  ON CONFLICT (account_id, team, person_id, kind) DO UPDATE SET occurred_at = greatest(l.occurred_at, excluded.occurred_at);
$$;

CREATE FUNCTION account_latest_touches_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM account_latest_touches_refresh(array_agg(account_id), array_agg(team), array_agg(person_id), array_agg(kind))
  FROM (SELECT account_id, team, COALESCE(person_id, '00000000-0000-0000-0000-000000000000') AS person_id, kind FROM old_rows
    UNION
    SELECT account_id, team, COALESCE(person_id, '00000000-0000-0000-0000-000000000000'), kind FROM new_rows) k;
  RETURN NULL;
END
$$;

CREATE FUNCTION account_latest_touches_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM account_latest_touches_refresh(array_agg(account_id), array_agg(team), array_agg(person_id), array_agg(kind))
  FROM (SELECT DISTINCT account_id, team, COALESCE(person_id, '00000000-0000-0000-0000-000000000000') AS person_id, kind FROM old_rows) k;
  RETURN NULL;
END
$$;

CREATE FUNCTION account_latest_touches_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE account_latest_touches;
  RETURN NULL;
END
$$;

CREATE TRIGGER activities_latest_insert AFTER INSERT ON activities
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION account_latest_touches_insert();
CREATE TRIGGER activities_latest_update AFTER UPDATE ON activities
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION account_latest_touches_update();
CREATE TRIGGER activities_latest_delete AFTER DELETE ON activities
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION account_latest_touches_delete();
CREATE TRIGGER activities_latest_truncate AFTER TRUNCATE ON activities
  FOR EACH STATEMENT EXECUTE FUNCTION account_latest_touches_truncate();

-- A window of every account's activities (coverage, contact pressure, the
-- health measures of many accounts at one instant) is a range of this
-- index, read without the rows.
CREATE INDEX activities_live_time ON activities (occurred_at)
  INCLUDE (account_id, team, kind, duration_seconds, direction, contact_id) WHERE deleted_at IS NULL;

-- One team's activities over time (every onboarding touch after a won
-- deal's close, for the hand-off report) are a range of this one.
CREATE INDEX activities_live_team_time ON activities (team, occurred_at)
  INCLUDE (account_id, kind) WHERE deleted_at IS NULL;

-- The planner reads it by its statistics from the first report on.
ANALYZE account_latest_touches;
