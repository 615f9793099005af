-- An account's latest touch by one team (an account's lastTouch(team:))
-- is found in this index by a descent and the team's own touches, where
-- (account_id, occurred_at) reads every other team's touches on the way. It covers
-- what activities_onboarding did, for every team. IF NOT EXISTS: it may
-- have been built by hand on a large database before this migration ran.
CREATE INDEX IF NOT EXISTS activities_account_team_time ON activities (account_id, team, occurred_at DESC)
    WHERE deleted_at IS NULL;
DROP INDEX IF EXISTS activities_onboarding;
