-- The salesforce connector keyed an account's sales membership by account,
-- owner and role ("001…|005…|sales"), and the demo connector every
-- membership, so a new holder of a role added a membership and the old
-- holder kept the account. Both now key a role's membership by account and
-- role ("001…|sales"), since each of those roles has one holder. Stored
-- memberships take the new key, so that the next read updates them instead
-- of adding one beside them: per account and role, the live membership
-- synced last is the current holder's and keeps it; the others, left
-- behind by earlier holders, end now.
CREATE TEMPORARY TABLE rekeyed_memberships ON COMMIT DROP AS
SELECT t.id, split_part(t.external_id, '|', 1) || '|' || split_part(t.external_id, '|', 3) AS external_id,
       row_number() OVER (
           PARTITION BY t.source_id, split_part(t.external_id, '|', 1), split_part(t.external_id, '|', 3)
           ORDER BY (t.deleted_at IS NULL) DESC, t.synced_at DESC NULLS LAST, t.updated_at DESC, t.id) AS n
  FROM account_team t JOIN sources s ON s.id = t.source_id
 WHERE (s.kind = 'salesforce' AND t.external_id ~ '^[^|]+\|[^|]+\|sales$')
    OR (s.kind = 'demo' AND t.external_id ~ '^[^|]+\|[^|]+\|[^|]+$');

UPDATE account_team t SET deleted_at = now(), updated_at = now()
  FROM rekeyed_memberships r
 WHERE r.id = t.id AND r.n > 1 AND t.deleted_at IS NULL;

UPDATE account_team t SET external_id = r.external_id, updated_at = now()
  FROM rekeyed_memberships r
 WHERE r.id = t.id AND r.n = 1;
