-- Reports and health measures ask for a team's touches of an account: its
-- latest CS touch, the onboarding touches since a deal was won, the
-- team's touches of a window. Keyed by account, team and time, each is one
-- descent of this index, where (account_id, occurred_at) reads every
-- other team's touches on the way. It covers what activities_onboarding
-- did, for every team. IF NOT EXISTS: it may have been built by hand on a
-- large database before this migration ran.
CREATE INDEX IF NOT EXISTS activities_account_team_time ON activities (account_id, team, occurred_at DESC)
    WHERE deleted_at IS NULL;
DROP INDEX IF EXISTS activities_onboarding;
