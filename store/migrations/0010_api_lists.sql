-- The API's lists: indexes for the keys every connection now sorts and
-- filters by, read in keyset order (key, id) a page at a time; and the
-- author of the notes written through the API.

-- Notes written through the API name the API key that wrote them.
ALTER TABLE activities ADD COLUMN author text NOT NULL DEFAULT '';

-- accounts(orderBy: CREATED_AT | TIER | SEGMENT): blank tiers and segments
-- sort last, hence the leading (x = '').
CREATE INDEX accounts_created ON accounts (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_tier_order ON accounts ((tier = ''), tier, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_segment_order ON accounts ((segment = ''), segment, id) WHERE deleted_at IS NULL;

-- healthSummary(byOwner) and the accounts of an owner in a role.
CREATE INDEX account_team_role ON account_team (role, account_id, person_id) WHERE deleted_at IS NULL;

-- An account's tickets, deals and surveys, newest first, ties on the id;
-- deals by the instant the timeline shows them at.
CREATE INDEX tickets_account_opened ON tickets (account_id, opened_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_account_status ON tickets (account_id, status) WHERE deleted_at IS NULL;
CREATE INDEX deals_account_time ON deals (account_id,
    (CASE WHEN status IN ('won', 'lost') AND closed_at IS NOT NULL THEN closed_at ELSE created_at END) DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX survey_responses_account_time ON survey_responses (account_id, responded_at DESC, id DESC) WHERE deleted_at IS NULL;

-- A source's runs by status, newest first.
CREATE INDEX sync_runs_source_status ON sync_runs (source_id, status, started_at DESC, id DESC);

-- Open identity suggestions by confidence.
CREATE INDEX identity_suggestions_open_confidence ON identity_suggestions (confidence DESC, id DESC)
    WHERE dismissed_at IS NULL AND resolved_at IS NULL;
