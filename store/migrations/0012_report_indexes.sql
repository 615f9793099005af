-- The hand-off report probes each customer's onboarding touches, the
-- latest since its deal was won, and each won deal's first onboarding
-- touch after its close: onboarding is a small share of the activities,
-- so its own index answers each probe without reading the account's other
-- touches. IF NOT EXISTS: it may have been built by hand on a large
-- database before this migration ran.
CREATE INDEX IF NOT EXISTS activities_onboarding ON activities (account_id, occurred_at DESC)
    WHERE team = 'onboarding' AND deleted_at IS NULL;
