-- Engagement reports and health measures read every account's activities,
-- tickets and survey responses from a log kept in memory (store/accountlog.go)
-- rather than probing the tables once an account. The log is patched,
-- account by account, from account_log_changes: statement triggers add a
-- row for each account whose rows a transaction wrote, under that
-- transaction's id. A reader that last read in a snapshot whose xmin was
-- X re-reads the accounts of the changes with txid >= X: every
-- transaction below X had ended before that snapshot, and it saw them.
CREATE TABLE account_log_changes (
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  account_id uuid NOT NULL,
  PRIMARY KEY (txid, account_id)
);

-- generation grows whenever one of the tables is truncated, and
-- pruned_below rises when old changes are deleted: a log of an older
-- generation, or read before pruned_below, is built anew.
CREATE TABLE account_log_generation (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  generation bigint NOT NULL,
  pruned_below xid8 NOT NULL
);
INSERT INTO account_log_generation (one, generation, pruned_below) VALUES (true, 0, '0');

CREATE FUNCTION note_account_log_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_log_changes (account_id) SELECT DISTINCT account_id FROM new_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION note_account_log_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_log_changes (account_id)
    SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION note_account_log_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO account_log_changes (account_id) SELECT DISTINCT account_id FROM old_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION note_account_log_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE account_log_generation SET generation = generation + 1;
  RETURN NULL;
END
$$;

-- The same four triggers on each table the log reads.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['activities', 'tickets', 'survey_responses'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_log_insert AFTER INSERT ON %1$I
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_account_log_insert()', t);
    EXECUTE format('CREATE TRIGGER %1$s_log_update AFTER UPDATE ON %1$I
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_account_log_update()', t);
    EXECUTE format('CREATE TRIGGER %1$s_log_delete AFTER DELETE ON %1$I
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION note_account_log_delete()', t);
    EXECUTE format('CREATE TRIGGER %1$s_log_truncate AFTER TRUNCATE ON %1$I
      FOR EACH STATEMENT EXECUTE FUNCTION note_account_log_truncate()', t);
  END LOOP;
END
$$;
