-- Engagement reports and health measures read every account's activities
-- from an in-memory log (store/touchlog.go) rather than probing the table
-- once an account. The log is patched, account by account, from
-- activity_changes: statement triggers add a row for each account whose
-- activities a transaction wrote, under that transaction's id. A reader
-- that last read in a snapshot whose xmin was X re-reads the accounts of
-- the changes with txid >= X: every transaction below X had ended before
-- that snapshot, and it saw them.
CREATE TABLE activity_changes (
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  account_id uuid NOT NULL,
  PRIMARY KEY (txid, account_id)
);

-- generation grows whenever activities is truncated, and pruned_below
-- rises when old changes are deleted: a log of an older generation, or
-- read before pruned_below, is built anew.
CREATE TABLE activity_generation (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  generation bigint NOT NULL,
  pruned_below xid8 NOT NULL
);
INSERT INTO activity_generation (one, generation, pruned_below) VALUES (true, 0, '0');

CREATE FUNCTION note_activity_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity_changes (account_id) SELECT DISTINCT account_id FROM new_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION note_activity_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity_changes (account_id)
    SELECT account_id FROM new_rows UNION SELECT account_id FROM old_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION note_activity_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity_changes (account_id) SELECT DISTINCT account_id FROM old_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION note_activity_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE activity_generation SET generation = generation + 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER activities_insert_change AFTER INSERT ON activities
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_activity_insert();
CREATE TRIGGER activities_update_change AFTER UPDATE ON activities
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_activity_update();
CREATE TRIGGER activities_delete_change AFTER DELETE ON activities
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION note_activity_delete();
CREATE TRIGGER activities_truncate_change AFTER TRUNCATE ON activities
  FOR EACH STATEMENT EXECUTE FUNCTION note_activity_truncate();
