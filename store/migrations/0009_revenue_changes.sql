-- Revenue reports build an in-memory book of every account's MRR history
-- from accounts, their teams, subscription items and exchange rates, and
-- keep it while those tables are unchanged. revenue_changes holds a row for
-- each transaction that wrote to any of them, added by statement triggers,
-- so that a reader can tell, in its own snapshot, whether anything was
-- committed since the book was built: a new row, even one of a transaction
-- that began long before and committed late, changes (count, max id).
-- Transactions insert distinct rows, so writers never wait on each other.
CREATE TABLE revenue_changes (
  id bigserial PRIMARY KEY,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id() UNIQUE
);

-- generation grows whenever revenue_changes is emptied, which would
-- otherwise let deletions and late commits add up to the same count.
CREATE TABLE revenue_generation (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  generation bigint NOT NULL
);
INSERT INTO revenue_generation (one, generation) VALUES (true, 0);

CREATE FUNCTION note_revenue_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO revenue_changes (txid) VALUES (pg_current_xact_id()) ON CONFLICT (txid) DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_revenue_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION note_revenue_change();
CREATE TRIGGER account_team_revenue_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON account_team
  FOR EACH STATEMENT EXECUTE FUNCTION note_revenue_change();
CREATE TRIGGER subscription_items_revenue_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON subscription_items
  FOR EACH STATEMENT EXECUTE FUNCTION note_revenue_change();
CREATE TRIGGER fx_rates_revenue_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fx_rates
  FOR EACH STATEMENT EXECUTE FUNCTION note_revenue_change();
