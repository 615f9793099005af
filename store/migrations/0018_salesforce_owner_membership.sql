-- The salesforce connector keyed an account's sales membership by account,
-- owner and role ("001…|005…|sales"), so a new owner added a membership and
-- the old owner kept the account. It now keys it by account and role
-- ("001…|sales"). Stored memberships take the new key, so that the next
-- read updates them instead of adding one beside them: per account, the
-- live membership synced last is the current owner and keeps the account;
-- the others, left behind by earlier owners, end now.
WITH ranked AS (
    SELECT t.id, row_number() OVER (
               PARTITION BY t.source_id, split_part(t.external_id, '|', 1)
               ORDER BY (t.deleted_at IS NULL) DESC, t.synced_at DESC NULLS LAST, t.updated_at DESC, t.id) AS n
      FROM account_team t JOIN sources s ON s.id = t.source_id
     WHERE s.kind = 'salesforce' AND t.external_id ~ '^[^|]+\|[^|]+\|sales$'
)
UPDATE account_team t SET deleted_at = now(), updated_at = now()
  FROM ranked r
 WHERE r.id = t.id AND r.n > 1 AND t.deleted_at IS NULL;

WITH ranked AS (
    SELECT t.id, row_number() OVER (
               PARTITION BY t.source_id, split_part(t.external_id, '|', 1)
               ORDER BY (t.deleted_at IS NULL) DESC, t.synced_at DESC NULLS LAST, t.updated_at DESC, t.id) AS n
      FROM account_team t JOIN sources s ON s.id = t.source_id
     WHERE s.kind = 'salesforce' AND t.external_id ~ '^[^|]+\|[^|]+\|sales$'
)
UPDATE account_team t SET external_id = split_part(t.external_id, '|', 1) || '|sales', updated_at = now()
  FROM ranked r
 WHERE r.id = t.id AND r.n = 1;
