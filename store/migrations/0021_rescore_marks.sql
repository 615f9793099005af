-- Health scores follow the data durably. Whatever writes an account's
-- rows (a sync batch, a merge, an API mutation, a CSV import) marks the
-- account dirty in rescore_marks, by statement triggers, in the writing
-- transaction itself: a batch that rolls back leaves no mark, one that
-- commits leaves a mark for each account whose rows it changed. A rescore
-- claims marks (FOR UPDATE SKIP LOCKED, so several share the work), scores
-- their accounts, and deletes the marks it claimed only once the new
-- scores are kept: a crash anywhere leaves marks, never stale scores.
--
-- A mark is keyed by its account and the writing transaction, so writers
-- never wait for each other or for a rescore: each inserts keys of its own
-- (two statements of one transaction share its mark), and a mark made
-- while a rescore runs is a new row the rescore did not claim, so it is
-- not lost. reason names the table (or 'scorecard') that first marked
-- the account in its transaction.
CREATE TABLE rescore_marks (
  account_id uuid NOT NULL,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  marked_at timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL,
  PRIMARY KEY (account_id, txid)
);

-- The tables whose rows name their account in account_id. An update marks
-- the accounts of the rows it really changed: the old account as well as
-- the new when a row moves, none for a row written again unchanged.
CREATE FUNCTION mark_rescore_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rescore_marks (account_id, reason)
    SELECT DISTINCT account_id, TG_TABLE_NAME FROM new_rows WHERE account_id IS NOT NULL
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION mark_rescore_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rescore_marks (account_id, reason)
    SELECT DISTINCT x.account_id, TG_TABLE_NAME
    FROM new_rows n JOIN old_rows o ON o.id = n.id,
      LATERAL (VALUES (n.account_id), (o.account_id)) x(account_id)
    WHERE n IS DISTINCT FROM o AND x.account_id IS NOT NULL
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION mark_rescore_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rescore_marks (account_id, reason)
    SELECT DISTINCT account_id, TG_TABLE_NAME FROM old_rows WHERE account_id IS NOT NULL
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

-- The same for accounts, whose own id is the account.
CREATE FUNCTION mark_rescore_account_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rescore_marks (account_id, reason) SELECT id, 'accounts' FROM new_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION mark_rescore_account_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rescore_marks (account_id, reason)
    SELECT n.id, 'accounts' FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE FUNCTION mark_rescore_account_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rescore_marks (account_id, reason) SELECT id, 'accounts' FROM old_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_rescore_insert AFTER INSERT ON accounts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_rescore_account_insert();
CREATE TRIGGER accounts_rescore_update AFTER UPDATE ON accounts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_rescore_account_update();
CREATE TRIGGER accounts_rescore_delete AFTER DELETE ON accounts
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_rescore_account_delete();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['contacts', 'account_team', 'activities', 'deals', 'subscription_items', 'tickets',
      'survey_responses', 'success_plan_objectives'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_rescore_insert AFTER INSERT ON %1$I
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_rescore_insert()', t);
    EXECUTE format('CREATE TRIGGER %1$s_rescore_update AFTER UPDATE ON %1$I
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_rescore_update()', t);
    EXECUTE format('CREATE TRIGGER %1$s_rescore_delete AFTER DELETE ON %1$I
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_rescore_delete()', t);
  END LOOP;
END
$$;
