-- Revenue reports read each account's MRR history from the database
-- instead of a book of every account built and kept in each process
-- (migration 0009's revenue_changes told when to build it again). The
-- history is priced by Pulse (domain/retention, one rule in one place) and
-- written here by the store; writes to what it is priced from mark the
-- accounts they touch, in the writer's own transaction, and the store
-- prices the marked accounts again before it answers a report.
DROP TRIGGER accounts_revenue_change ON accounts;
DROP TRIGGER account_team_revenue_change ON account_team;
DROP TRIGGER subscription_items_revenue_change ON subscription_items;
DROP TRIGGER fx_rates_revenue_change ON fx_rates;
DROP FUNCTION note_revenue_change();
DROP TABLE revenue_changes;
DROP TABLE revenue_generation;

-- account_mrr is an account's MRR history in the base currency: from
-- step_at[i] on (until step_at[i+1]) it is step_cents[i] cents, and zero
-- before step_at[1]. plans holds the same per plan, as
-- {"plan": [[unix microseconds, cents], ...]}. mrr_now is the MRR (in the
-- base currency, not cents) on [now_from, now_until), NULL bounds being
-- open: the step that held when it was last brought up to date, which
-- orders accounts by MRR with an index. segment, tier and live (not
-- soft-deleted) copy the account's, kept by a trigger, so that a report
-- reads this narrow table alone.
CREATE TABLE account_mrr (
    account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    segment    text NOT NULL,
    tier       text NOT NULL,
    live       boolean NOT NULL,
    step_at    timestamptz[] NOT NULL,
    step_cents bigint[] NOT NULL,
    plans      jsonb NOT NULL,
    mrr_now    numeric NOT NULL,
    now_from   timestamptz,
    now_until  timestamptz
);
CREATE INDEX account_mrr_by_now ON account_mrr (mrr_now, account_id);
CREATE INDEX account_mrr_now_until ON account_mrr (now_until);
CREATE INDEX account_mrr_now_from ON account_mrr (now_from);

-- mrr_unpriced lists the items of each account left out of its MRR for
-- want of an exchange rate, as the reports list them.
CREATE TABLE mrr_unpriced (
    account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    item_id    uuid NOT NULL,
    plan       text NOT NULL,
    currency   text NOT NULL,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz,
    PRIMARY KEY (account_id, item_id)
);

-- mrr_dirty holds the accounts whose history must be priced again. A
-- writer adds its marks in its own transaction, each under its own
-- transaction id, so that writers never wait on each other and a mark is
-- never seen without the change it stands for. The store claims an
-- account by locking its account_mrr row (FOR UPDATE SKIP LOCKED, so that
-- processes share the work), removes the marks it sees and prices the
-- account from what it reads after: a change committed later leaves its
-- mark.
CREATE TABLE mrr_dirty (
    account_id uuid NOT NULL,
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (account_id, txid)
);

-- Every account has its row, priced or not yet.
INSERT INTO account_mrr (account_id, segment, tier, live, step_at, step_cents, plans, mrr_now)
SELECT id, segment, tier, deleted_at IS NULL, '{}', '{}', '{}', 0 FROM accounts;
INSERT INTO mrr_dirty (account_id) SELECT id FROM accounts;

-- A change of rate of a currency on a day reprices the items of that
-- currency that started on or after it.
CREATE INDEX subscription_items_currency_start ON subscription_items (currency, starts_at);

CREATE FUNCTION mrr_mark_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO account_mrr (account_id, segment, tier, live, step_at, step_cents, plans, mrr_now)
    SELECT id, segment, tier, deleted_at IS NULL, '{}', '{}', '{}', 0 FROM new_rows ON CONFLICT DO NOTHING;
    INSERT INTO mrr_dirty (account_id) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
  ELSE
    UPDATE account_mrr m SET segment = n.segment, tier = n.tier, live = n.deleted_at IS NULL
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE m.account_id = n.id
       AND (o.segment, o.tier, o.deleted_at IS NULL) IS DISTINCT FROM (n.segment, n.tier, n.deleted_at IS NULL);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER accounts_mrr_insert AFTER INSERT ON accounts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_accounts();
CREATE TRIGGER accounts_mrr_update AFTER UPDATE ON accounts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_accounts();

-- Items mark their account, before and after, when what MRR is priced
-- from changed: a sync writing an item again unchanged marks nothing.
CREATE FUNCTION mrr_mark_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO mrr_dirty (account_id) SELECT DISTINCT account_id FROM new_rows ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO mrr_dirty (account_id) SELECT DISTINCT account_id FROM old_rows ON CONFLICT DO NOTHING;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO mrr_dirty (account_id)
    SELECT DISTINCT x.account_id
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      CROSS JOIN LATERAL (VALUES (o.account_id), (n.account_id)) x (account_id)
     WHERE (o.account_id, o.plan, o.amount, o.currency, o.interval, o.starts_at, o.ends_at, o.deleted_at)
           IS DISTINCT FROM (n.account_id, n.plan, n.amount, n.currency, n.interval, n.starts_at, n.ends_at, n.deleted_at)
    ON CONFLICT DO NOTHING;
  ELSE -- TRUNCATE
    INSERT INTO mrr_dirty (account_id) SELECT id FROM accounts ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER subscription_items_mrr_insert AFTER INSERT ON subscription_items
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_items();
CREATE TRIGGER subscription_items_mrr_update AFTER UPDATE ON subscription_items
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_items();
CREATE TRIGGER subscription_items_mrr_delete AFTER DELETE ON subscription_items
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_items();
CREATE TRIGGER subscription_items_mrr_truncate AFTER TRUNCATE ON subscription_items
  FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_items();

-- A rate dated d of currency c is the rate of the items of c that started
-- on or after d (UTC) until a later one: those are marked when it comes,
-- changes or goes. An UPDATE that changes nothing marks nothing.
CREATE FUNCTION mrr_mark_currencies(currencies text[], since date[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO mrr_dirty (account_id)
  SELECT DISTINCT i.account_id
    FROM (SELECT c, min(d) AS d FROM unnest(currencies, since) x (c, d) GROUP BY c) r
    JOIN subscription_items i ON i.currency = r.c AND i.starts_at >= r.d::timestamp AT TIME ZONE 'UTC'
  ON CONFLICT DO NOTHING
$$;

CREATE FUNCTION mrr_mark_rates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM mrr_mark_currencies(array_agg(currency), array_agg(date)) FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM mrr_mark_currencies(array_agg(currency), array_agg(date)) FROM old_rows;
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM mrr_mark_currencies(array_agg(x.currency), array_agg(x.date))
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      CROSS JOIN LATERAL (VALUES (o.currency, o.date), (n.currency, n.date)) x (currency, date)
     WHERE (o.currency, o.date, o.rate, o.deleted_at) IS DISTINCT FROM (n.currency, n.date, n.rate, n.deleted_at);
  ELSE -- TRUNCATE
    INSERT INTO mrr_dirty (account_id) SELECT DISTINCT account_id FROM subscription_items ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER fx_rates_mrr_insert AFTER INSERT ON fx_rates
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_rates();
CREATE TRIGGER fx_rates_mrr_update AFTER UPDATE ON fx_rates
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_rates();
CREATE TRIGGER fx_rates_mrr_delete AFTER DELETE ON fx_rates
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_rates();
CREATE TRIGGER fx_rates_mrr_truncate AFTER TRUNCATE ON fx_rates
  FOR EACH STATEMENT EXECUTE FUNCTION mrr_mark_rates();

-- Every item is priced in the base currency: changing it reprices all.
CREATE FUNCTION mrr_mark_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO mrr_dirty (account_id) SELECT id FROM accounts ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER workspace_settings_mrr_base AFTER UPDATE OF base_currency ON workspace_settings
  FOR EACH ROW WHEN (OLD.base_currency IS DISTINCT FROM NEW.base_currency) EXECUTE FUNCTION mrr_mark_all();
