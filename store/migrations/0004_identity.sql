-- Identity: one customer seen in several tools is one account. Matching
-- keys, the links records carry, suggestions below the merge threshold,
-- per-field provenance and precedence, and the audit of manual merges and
-- splits.

-- The matching keys. They are computed here, once, so that the sync's
-- set-based lookups, the indexes and the backfill of existing rows agree.

-- identity_domain_key is a domain or URL reduced to its host: lowercase,
-- without scheme, user, www., port, path, query or trailing dot.
CREATE FUNCTION identity_domain_key(d text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
    SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        lower(btrim(d)),
        '^[a-z][a-z0-9+.-]*://', ''),   -- scheme
        '^[^/@]*@', ''),                -- user info
        '[/?#].*$', ''),                -- path, query, fragment
        ':[0-9]*$', ''),                -- port
        '^(www[0-9]*\.)+|\.+$', '', 'g') -- www. and a trailing dot
$$;

-- identity_name_key is a company name reduced for comparison: lowercase,
-- dots and apostrophes dropped (S.A. is sa), other punctuation a space, a
-- leading "the" gone, legal suffixes (inc, llc, ltd,
-- gmbh, ...) at the end dropped, spaces collapsed.
CREATE FUNCTION identity_name_key(n text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
    SELECT btrim(regexp_replace(regexp_replace(
        ' ' || btrim(regexp_replace(regexp_replace(lower(n), '[.''’]', '', 'g'), '[^[:alnum:]]+', ' ', 'g')) || ' ',
        '^ the ', ' '),
        '( (inc|incorporated|llc|llp|lp|ltd|limited|gmbh|mbh|corp|corporation|co|company|sa|sas|sarl|srl|spa|ag|kg|plc|bv|nv|oy|ab|as|aps|pty|pte|kk|se))+ $', ' '))
$$;

-- identity_email_key is an email address trimmed and lowercased.
CREATE FUNCTION identity_email_key(e text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$
    SELECT lower(btrim(e))
$$;

ALTER TABLE accounts
    ADD COLUMN domain_key text GENERATED ALWAYS AS (identity_domain_key(domain)) STORED,
    ADD COLUMN name_key text GENERATED ALWAYS AS (identity_name_key(name)) STORED,
    -- merged_into is the account a manual merge folded this one into.
    ADD COLUMN merged_into uuid REFERENCES accounts(id),
    -- field_sources says, per field, which source last set it and when:
    -- {"name": {"source_id": "...", "kind": "salesforce", "at": "..."}}.
    ADD COLUMN field_sources jsonb NOT NULL DEFAULT '{}';
CREATE INDEX accounts_domain_key ON accounts (domain_key) WHERE deleted_at IS NULL AND domain_key <> '';
CREATE INDEX accounts_name_key ON accounts (name_key) WHERE deleted_at IS NULL AND name_key <> '';

ALTER TABLE contacts ADD COLUMN email_key text GENERATED ALWAYS AS (identity_email_key(email)) STORED;
CREATE INDEX contacts_email_key ON contacts (email_key, account_id) WHERE deleted_at IS NULL AND email_key <> '';
ALTER TABLE people ADD COLUMN email_key text GENERATED ALWAYS AS (identity_email_key(email)) STORED;
CREATE INDEX people_email_key ON people (email_key) WHERE deleted_at IS NULL AND email_key <> '';

-- sent holds the field values a ref's record last carried, so that a
-- source re-sending a value it already sent does not take a field back
-- from a source that changed it since.
ALTER TABLE external_refs ADD COLUMN sent jsonb NOT NULL DEFAULT '{}';
CREATE INDEX external_refs_external ON external_refs (entity_type, external_id);

-- identity_links are the links records carry: the record
-- (source_id, entity_type, external_id) is the entity another tool, of
-- connector kind link_kind, knows as link_external_id.
CREATE TABLE identity_links (
    source_id        uuid NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    entity_type      text NOT NULL,
    external_id      text NOT NULL,
    link_kind        text NOT NULL,
    link_external_id text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, entity_type, external_id, link_kind, link_external_id)
);
CREATE INDEX identity_links_target ON identity_links (entity_type, link_kind, link_external_id);

-- identity_suggestions are matches below the merge threshold: account_a
-- (created by the record) may be candidate_b. A person accepts one with
-- mergeAccounts or dismisses it.
CREATE TABLE identity_suggestions (
    id           uuid PRIMARY KEY,
    account_a    uuid NOT NULL REFERENCES accounts(id),
    candidate_b  uuid NOT NULL REFERENCES accounts(id),
    matched_by   text NOT NULL,
    key          text NOT NULL,
    confidence   double precision NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    dismissed_at timestamptz,
    resolved_at  timestamptz,
    UNIQUE (account_a, candidate_b)
);
CREATE INDEX identity_suggestions_open ON identity_suggestions (created_at DESC, id DESC)
    WHERE dismissed_at IS NULL AND resolved_at IS NULL;

-- identity_rejections are pairs of accounts a person said are not one
-- customer (a split, a dismissed suggestion): never suggested again.
-- account_lo < account_hi.
CREATE TABLE identity_rejections (
    account_lo uuid NOT NULL REFERENCES accounts(id),
    account_hi uuid NOT NULL REFERENCES accounts(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_lo, account_hi),
    CHECK (account_lo < account_hi)
);

-- identity_changes audit manual merges and splits: who, when, why, and
-- exactly which rows moved, so that an undo puts back those rows.
CREATE TABLE identity_changes (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('merge', 'split')),
    -- account_ref is the survivor of a merge, the account a split took refs from.
    account_ref uuid NOT NULL REFERENCES accounts(id),
    -- involved lists every account the change touched.
    involved    uuid[] NOT NULL,
    actor       text NOT NULL,
    reason      text NOT NULL,
    -- moved is {table: {from_account: [row ids]}} plus the change's own
    -- bookkeeping (merged accounts, the split's new account, resolved
    -- suggestions).
    moved       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    undone_at   timestamptz,
    undone_by   text
);
CREATE INDEX identity_changes_involved ON identity_changes USING gin (involved);

-- identity_settings is one row: the confidence at or above which a match
-- merges rather than suggests.
CREATE TABLE identity_settings (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    merge_threshold double precision NOT NULL DEFAULT 0.8 CHECK (merge_threshold > 0 AND merge_threshold <= 1),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO identity_settings DEFAULT VALUES;

-- identity_field_precedence ranks connector kinds per account field: a
-- field set by one kind is overwritten only by a kind of equal or higher
-- rank; kinds not listed rank 0. A field with no rows: last writer wins.
CREATE TABLE identity_field_precedence (
    field text NOT NULL,
    kind  text NOT NULL,
    rank  int NOT NULL CHECK (rank > 0),
    PRIMARY KEY (field, kind)
);

-- Contacts and people keep which source set each field too, so that two
-- sources disagreeing about one do not overwrite each other on every sync.
ALTER TABLE contacts ADD COLUMN field_sources jsonb NOT NULL DEFAULT '{}';
ALTER TABLE people ADD COLUMN field_sources jsonb NOT NULL DEFAULT '{}';
