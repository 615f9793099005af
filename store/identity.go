package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/identity"
)

// childTable is a table whose rows belong to an account through account_id.
type childTable struct {
	Name string
	// IDType is the SQL type of its id column, to compare row ids without
	// casting the column (which would lose its index).
	IDType string
	// FromSource is true when rows carry the source_id they came from.
	FromSource bool
}

// childTables lists every table with an account_id and an id column,
// whoever added it: a merge or split moves their rows. Partitions are
// left to their parent.
func childTables(ctx context.Context, tx *gorm.DB) ([]childTable, error) {
	var out []childTable
	err := tx.WithContext(ctx).Raw(`
		SELECT c.relname AS name, format_type(i.atttypid, i.atttypmod) AS id_type,
		       EXISTS (SELECT 1 FROM pg_attribute s WHERE s.attrelid = c.oid AND s.attname = 'source_id' AND NOT s.attisdropped) AS from_source
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'account_id' AND NOT a.attisdropped
		JOIN pg_attribute i ON i.attrelid = c.oid AND i.attname = 'id' AND NOT i.attisdropped
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY c.relname`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list tables of accounts: %w", err)
	}
	return out, nil
}

// refsTable is how moves record the account refs they re-point.
const refsTable = "external_refs"

// movedRows are the rows a change moved: table → account they came from
// → row ids.
type movedRows map[string]map[string][]string

// changeRecord is identity_changes.moved.
type changeRecord struct {
	Rows movedRows `json:"rows"`
	// Merged are the accounts a merge folded in; NewAccount the account a
	// split made; Suggestions those a merge resolved.
	Merged      []uuid.UUID `json:"merged,omitempty"`
	NewAccount  *uuid.UUID  `json:"new_account,omitempty"`
	Suggestions []uuid.UUID `json:"suggestions,omitempty"`
	// Matched keeps how each moved ref was matched before the change made
	// it manual.
	Matched map[string]refMatch `json:"matched,omitempty"`
}

// refMatch is how a ref was matched.
type refMatch struct {
	MatchedBy  string  `json:"matched_by"`
	Confidence float64 `json:"confidence"`
}

// markManual records how the refs moved were matched, then says a person
// placed them.
func markManual(ctx context.Context, tx *gorm.DB, rec *changeRecord) error {
	var ids []string
	for _, byAccount := range rec.Rows[refsTable] {
		ids = append(ids, byAccount...)
	}
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		ID         string
		MatchedBy  string
		Confidence float64
	}
	if err := tx.WithContext(ctx).Raw(`SELECT id::text AS id, matched_by, confidence FROM external_refs WHERE id = ANY(CAST(? AS uuid[]))`, "{"+strings.Join(ids, ",")+"}").Scan(&rows).Error; err != nil {
		return fmt.Errorf("read how refs matched: %w", err)
	}
	rec.Matched = map[string]refMatch{}
	for _, r := range rows {
		rec.Matched[r.ID] = refMatch{r.MatchedBy, r.Confidence}
	}
	if err := tx.WithContext(ctx).Exec(`UPDATE external_refs SET matched_by = ?, confidence = 1 WHERE id = ANY(CAST(? AS uuid[]))`, identity.RuleManual, "{"+strings.Join(ids, ",")+"}").Error; err != nil {
		return fmt.Errorf("mark refs placed by hand: %w", err)
	}
	return nil
}

// moveRows re-points the rows of table whose account_id (entity_id for
// refs) is one of from, or matches extra, to the account to, and adds
// their ids to moved.
func moveRows(ctx context.Context, tx *gorm.DB, moved movedRows, t childTable, to uuid.UUID, where string, args ...any) error {
	col := "account_id"
	if t.Name == refsTable {
		col = "entity_id"
	}
	var rows []struct {
		ID          string
		FromAccount string
	}
	q := `UPDATE ` + t.Name + ` t SET ` + col + ` = ? FROM (
			SELECT id, ` + col + ` AS old FROM ` + t.Name + ` WHERE ` + where + ` FOR UPDATE) o
		WHERE t.id = o.id RETURNING t.id::text AS id, o.old::text AS from_account`
	if err := tx.WithContext(ctx).Raw(q, append([]any{to}, args...)...).Scan(&rows).Error; err != nil {
		return fmt.Errorf("move %s: %w", t.Name, err)
	}
	for _, r := range rows {
		if moved[t.Name] == nil {
			moved[t.Name] = map[string][]string{}
		}
		moved[t.Name][r.FromAccount] = append(moved[t.Name][r.FromAccount], r.ID)
	}
	return nil
}

// liveAccounts locks the accounts ids and refuses those that do not exist
// (NOT_FOUND) or were merged or deleted (BAD_USER_INPUT), naming arg.
func liveAccounts(ctx context.Context, tx *gorm.DB, arg string, ids []uuid.UUID) error {
	var rows []struct {
		ID         uuid.UUID
		Deleted    bool
		MergedInto *uuid.UUID
	}
	err := tx.WithContext(ctx).Raw(`SELECT id, deleted_at IS NOT NULL AS deleted, merged_into FROM accounts WHERE id IN ? ORDER BY id FOR UPDATE`, ids).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("lock accounts: %w", err)
	}
	found := map[uuid.UUID]int{}
	for i, r := range rows {
		found[r.ID] = i
	}
	var probs domain.Problems
	for i, id := range ids {
		field := arg
		if len(ids) > 1 || arg == "ids" {
			field = fmt.Sprintf("%s[%d]", arg, i)
		}
		j, ok := found[id]
		switch {
		case !ok:
			return fmt.Errorf("%s: %w", field, domain.NotFound("account", id))
		case rows[j].MergedInto != nil:
			probs = append(probs, domain.FieldError{Field: field, Message: fmt.Sprintf("account %s was merged into %s", id, *rows[j].MergedInto)})
		case rows[j].Deleted:
			probs = append(probs, domain.FieldError{Field: field, Message: fmt.Sprintf("account %s is deleted", id)})
		}
	}
	if len(probs) > 0 {
		return &domain.InputError{Problems: probs}
	}
	return nil
}

// MergeAccounts folds the accounts r.IDs[1:] into r.IDs[0]: their refs and
// every row belonging to them move to it, and they are soft-deleted with
// merged_into set. The change is audited with the exact rows moved, so
// UndoIdentityChange puts them back; the next sync keeps the merge, since
// the refs now name the survivor.
func (s *Store) MergeAccounts(ctx context.Context, r identity.MergeRequest) (*identity.Change, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var change *identity.Change
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := liveAccounts(ctx, tx, "ids", r.IDs); err != nil {
			return err
		}
		survivor, merged := r.IDs[0], r.IDs[1:]
		now := time.Now().UTC()
		rec := changeRecord{Rows: movedRows{}, Merged: merged}
		tables, err := childTables(ctx, tx)
		if err != nil {
			return err
		}
		tables = append([]childTable{{Name: refsTable, IDType: "uuid"}}, tables...)
		for _, t := range tables {
			where := "account_id IN ?"
			if t.Name == refsTable {
				where = "entity_type = 'account' AND entity_id IN ?"
			}
			if err := moveRows(ctx, tx, rec.Rows, t, survivor, where, merged); err != nil {
				return err
			}
		}
		if err := markManual(ctx, tx, &rec); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE accounts SET merged_into = ?, deleted_at = ?, updated_at = ? WHERE id IN ?`, survivor, now, now, merged).Error; err != nil {
			return fmt.Errorf("retire merged accounts: %w", err)
		}
		if err := tx.Raw(`UPDATE identity_suggestions SET resolved_at = ?
			WHERE resolved_at IS NULL AND account_a IN ? AND candidate_b IN ? RETURNING id`, now, r.IDs, r.IDs).Scan(&rec.Suggestions).Error; err != nil {
			return fmt.Errorf("resolve suggestions: %w", err)
		}
		change, err = s.recordChange(ctx, tx, identity.ChangeMerge, survivor, r.IDs, r.Actor, r.Reason, rec, now)
		return err
	})
	if err != nil {
		return nil, wrapIdentity("merge accounts", err)
	}
	return change, nil
}

// wrapIdentity adds context to an error, leaving the domain's errors as
// they are so that each still names its argument and reads well to a
// client.
func wrapIdentity(what string, err error) error {
	var inputErr *domain.InputError
	if errors.As(err, &inputErr) || errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrConflict) {
		return err
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// refRow is an account's ref as a split reads it.
type refRow struct {
	ID         uuid.UUID
	SourceID   uuid.UUID
	ExternalID string
	Kind       string
	Sent       []byte
}

// SplitAccount moves refs r.Refs of account r.AccountID to a new account,
// made from the values those refs last sent, with the rows that came from
// sources all of whose refs move. The pair is recorded as not one
// customer, so it is never suggested again; the next sync keeps the split,
// since the refs now name the new account.
func (s *Store) SplitAccount(ctx context.Context, r identity.SplitRequest) (*identity.Change, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var change *identity.Change
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := liveAccounts(ctx, tx, "id", []uuid.UUID{r.AccountID}); err != nil {
			return err
		}
		var refs []refRow
		err := tx.Raw(`SELECT r.id, r.source_id, r.external_id, s.kind, r.sent FROM external_refs r JOIN sources s ON s.id = r.source_id
			WHERE r.entity_type = 'account' AND r.entity_id = ? ORDER BY r.created_at, r.id`, r.AccountID).Scan(&refs).Error
		if err != nil {
			return fmt.Errorf("read refs: %w", err)
		}
		var probs domain.Problems
		moving := map[uuid.UUID]bool{}
		for i, want := range r.Refs {
			at := slices.IndexFunc(refs, func(x refRow) bool {
				return x.SourceID == want.SourceID && x.ExternalID == want.ExternalID
			})
			if at < 0 {
				probs = append(probs, domain.FieldError{Field: fmt.Sprintf("refs[%d]", i),
					Message: fmt.Sprintf("account %s has no ref %q from source %s", r.AccountID, want.ExternalID, want.SourceID)})
				continue
			}
			moving[refs[at].ID] = true
		}
		if len(probs) == 0 && len(moving) == len(refs) {
			probs = append(probs, domain.FieldError{Field: "refs", Message: "would move every ref of the account: at least one must stay"})
		}
		if len(probs) > 0 {
			return &domain.InputError{Problems: probs}
		}
		var refIDs []uuid.UUID
		movedSources, staying := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
		first := -1
		for i, ref := range refs {
			if moving[ref.ID] {
				refIDs = append(refIDs, ref.ID)
				movedSources[ref.SourceID] = true
				if first < 0 {
					first = i
				}
			} else {
				staying[ref.SourceID] = true
			}
		}
		now := time.Now().UTC()
		newID := uuid.Must(uuid.NewV7())
		from := refs[first]
		sent := map[string]json.RawMessage{}
		if len(from.Sent) > 0 {
			if err := json.Unmarshal(from.Sent, &sent); err != nil {
				return fmt.Errorf("read sent values: %w", err)
			}
		}
		sources := map[string]any{}
		for f := range sent {
			sources[f] = map[string]any{"source_id": from.SourceID, "kind": from.Kind, "at": now}
		}
		sentJSON, err := json.Marshal(sent)
		if err != nil {
			return fmt.Errorf("encode sent values: %w", err)
		}
		sourcesJSON, err := json.Marshal(sources)
		if err != nil {
			return fmt.Errorf("encode field sources: %w", err)
		}
		// Fields the ref never sent (it predates sent values) are copied
		// from the account.
		err = tx.Exec(`INSERT INTO accounts (id, name, domain, tier, segment, industry, lifecycle, renewal_date, custom,
				source_id, external_id, synced_at, created_at, updated_at, field_sources)
			SELECT @id, COALESCE(NULLIF(v->>'name', ''), a.name), COALESCE(v->>'domain', a.domain), COALESCE(v->>'tier', a.tier),
				COALESCE(v->>'segment', a.segment), COALESCE(v->>'industry', a.industry), COALESCE(v->>'lifecycle', a.lifecycle),
				CASE WHEN (v->'renewal_date') IS NOT NULL THEN (v->>'renewal_date')::date ELSE a.renewal_date END, COALESCE(v->'custom', a.custom),
				@source, @ext, a.synced_at, @now, @now, CAST(@sources AS jsonb)
			FROM accounts a, (SELECT CAST(@sent AS jsonb) AS v) x WHERE a.id = @old`,
			map[string]any{"id": newID, "source": from.SourceID, "ext": from.ExternalID, "now": now, "sources": string(sourcesJSON),
				"sent": string(sentJSON), "old": r.AccountID}).Error
		if err != nil {
			return fmt.Errorf("create the new account: %w", err)
		}
		rec := changeRecord{Rows: movedRows{}, NewAccount: &newID}
		if err := moveRows(ctx, tx, rec.Rows, childTable{Name: refsTable, IDType: "uuid"}, newID, "id IN ?", refIDs); err != nil {
			return err
		}
		if err := markManual(ctx, tx, &rec); err != nil {
			return err
		}
		var srcs []uuid.UUID
		for id := range movedSources {
			if !staying[id] {
				srcs = append(srcs, id)
			}
		}
		if len(srcs) > 0 {
			tables, err := childTables(ctx, tx)
			if err != nil {
				return err
			}
			for _, t := range tables {
				if !t.FromSource {
					continue
				}
				if err := moveRows(ctx, tx, rec.Rows, t, newID, "account_id = ? AND source_id IN ?", r.AccountID, srcs); err != nil {
					return err
				}
			}
		}
		lo, hi := orderedPair(r.AccountID, newID)
		if err := tx.Exec(`INSERT INTO identity_rejections (account_lo, account_hi, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, lo, hi, now).Error; err != nil {
			return fmt.Errorf("record the pair as not one customer: %w", err)
		}
		change, err = s.recordChange(ctx, tx, identity.ChangeSplit, r.AccountID, []uuid.UUID{r.AccountID, newID}, r.Actor, r.Reason, rec, now)
		return err
	})
	if err != nil {
		return nil, wrapIdentity("split account", err)
	}
	return change, nil
}

func ptrOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orderedPair(a, b uuid.UUID) (uuid.UUID, uuid.UUID) {
	if strings.Compare(a.String(), b.String()) > 0 {
		return b, a
	}
	return a, b
}

// changeRow is a row of identity_changes.
type changeRow struct {
	ID         uuid.UUID
	Kind       string
	AccountRef uuid.UUID
	Involved   string
	Actor      string
	Reason     string
	Moved      []byte
	CreatedAt  time.Time
	UndoneAt   *time.Time
	UndoneBy   *string
}

const changeColumns = `id, kind, account_ref, involved::text AS involved, actor, reason, moved, created_at, undone_at, undone_by`

func (s *Store) recordChange(ctx context.Context, tx *gorm.DB, kind string, account uuid.UUID, involved []uuid.UUID, actor, reason string, rec changeRecord, now time.Time) (*identity.Change, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode the change: %w", err)
	}
	ids := make([]string, len(involved))
	for i, id := range involved {
		ids[i] = id.String()
	}
	id := uuid.Must(uuid.NewV7())
	err = tx.WithContext(ctx).Exec(`INSERT INTO identity_changes (id, kind, account_ref, involved, actor, reason, moved, created_at)
		VALUES (?, ?, ?, CAST(? AS uuid[]), ?, ?, CAST(? AS jsonb), ?)`,
		id, kind, account, "{"+strings.Join(ids, ",")+"}", actor, reason, string(b), now).Error
	if err != nil {
		return nil, fmt.Errorf("audit the change: %w", err)
	}
	return s.change(ctx, tx, id)
}

func (s *Store) change(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*identity.Change, error) {
	var rows []changeRow
	if err := tx.WithContext(ctx).Raw(`SELECT `+changeColumns+` FROM identity_changes WHERE id = ?`, id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read change: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("id: %w", domain.NotFound("identity change", id))
	}
	return rows[0].change()
}

func (r changeRow) change() (*identity.Change, error) {
	var rec changeRecord
	if err := json.Unmarshal(r.Moved, &rec); err != nil {
		return nil, fmt.Errorf("read change %s: %w", r.ID, err)
	}
	c := &identity.Change{ID: r.ID, Kind: r.Kind, AccountID: r.AccountRef, NewAccountID: rec.NewAccount, Actor: r.Actor,
		Reason: r.Reason, CreatedAt: r.CreatedAt.UTC(), UndoneAt: r.UndoneAt}
	if r.UndoneAt != nil {
		t := r.UndoneAt.UTC()
		c.UndoneAt = &t
	}
	if r.UndoneBy != nil {
		c.UndoneBy = *r.UndoneBy
	}
	for _, s := range strings.Split(strings.Trim(r.Involved, "{}"), ",") {
		if id, err := uuid.Parse(s); err == nil {
			c.Involved = append(c.Involved, id)
		}
	}
	for table, byAccount := range rec.Rows {
		n := 0
		for _, ids := range byAccount {
			n += len(ids)
		}
		c.Moved = append(c.Moved, identity.Moved{Table: table, Rows: n})
	}
	sort.Slice(c.Moved, func(i, j int) bool { return c.Moved[i].Table < c.Moved[j].Table })
	return c, nil
}

// IdentityChanges returns the merges and splits that involved the account,
// newest first.
func (s *Store) IdentityChanges(ctx context.Context, accountID uuid.UUID) ([]identity.Change, error) {
	var n int64
	if err := s.db.WithContext(ctx).Table("accounts").Where("id = ?", accountID).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("store: identity changes: %w", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("accountId: %w", domain.NotFound("account", accountID))
	}
	var rows []changeRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+changeColumns+` FROM identity_changes
		WHERE involved @> ARRAY[CAST(? AS uuid)] ORDER BY created_at DESC, id DESC`, accountID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: identity changes: %w", err)
	}
	out := make([]identity.Change, 0, len(rows))
	for _, r := range rows {
		c, err := r.change()
		if err != nil {
			return nil, fmt.Errorf("store: identity changes: %w", err)
		}
		out = append(out, *c)
	}
	return out, nil
}

// UndoIdentityChange reverses the change id exactly: the rows it moved go
// back where they were; a merge's accounts come back, a split's new
// account is retired into the one it came from, with whatever a sync
// attached to it since. A change is undone once, and only while no later
// change involving its accounts stands.
func (s *Store) UndoIdentityChange(ctx context.Context, id uuid.UUID, actor string) (*identity.Change, error) {
	var change *identity.Change
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []changeRow
		if err := tx.Raw(`SELECT `+changeColumns+` FROM identity_changes WHERE id = ? FOR UPDATE`, id).Scan(&rows).Error; err != nil {
			return fmt.Errorf("read change: %w", err)
		}
		if len(rows) == 0 {
			return fmt.Errorf("id: %w", domain.NotFound("identity change", id))
		}
		row := rows[0]
		if row.UndoneAt != nil {
			return fmt.Errorf("id: change %s was already undone by %s: %w", id, ptrOr(row.UndoneBy), domain.ErrConflict)
		}
		var later []uuid.UUID
		if err := tx.Raw(`SELECT id FROM identity_changes
			WHERE undone_at IS NULL AND involved && CAST(? AS uuid[]) AND (created_at, id) > (?, ?)
			ORDER BY created_at DESC, id DESC LIMIT 1`, row.Involved, row.CreatedAt, row.ID).Scan(&later).Error; err != nil {
			return fmt.Errorf("find later changes: %w", err)
		}
		if len(later) > 0 {
			return fmt.Errorf("id: change %s came later and involves the same accounts: undo it first: %w", later[0], domain.ErrConflict)
		}
		var rec changeRecord
		if err := json.Unmarshal(row.Moved, &rec); err != nil {
			return fmt.Errorf("read change: %w", err)
		}
		tables, err := childTables(ctx, tx)
		if err != nil {
			return err
		}
		idTypes := map[string]string{refsTable: "uuid"}
		for _, t := range tables {
			idTypes[t.Name] = t.IDType
		}
		now := time.Now().UTC()
		if rec.NewAccount != nil {
			// What a sync attached to the new account since goes back too.
			for _, t := range append([]childTable{{Name: refsTable, IDType: "uuid"}}, tables...) {
				where := "account_id = ?"
				if t.Name == refsTable {
					where = "entity_type = 'account' AND entity_id = ?"
				}
				if err := moveRows(ctx, tx, movedRows{}, t, row.AccountRef, where, *rec.NewAccount); err != nil {
					return err
				}
			}
			if err := tx.Exec(`UPDATE accounts SET merged_into = ?, deleted_at = ?, updated_at = ? WHERE id = ?`, row.AccountRef, now, now, *rec.NewAccount).Error; err != nil {
				return fmt.Errorf("retire the split's account: %w", err)
			}
			lo, hi := orderedPair(row.AccountRef, *rec.NewAccount)
			if err := tx.Exec(`DELETE FROM identity_rejections WHERE account_lo = ? AND account_hi = ?`, lo, hi).Error; err != nil {
				return fmt.Errorf("forget the split's pair: %w", err)
			}
		}
		for table, byAccount := range rec.Rows {
			idType, ok := idTypes[table]
			if !ok {
				return fmt.Errorf("table %s is gone: %w", table, domain.ErrConflict)
			}
			col := "account_id"
			if table == refsTable {
				col = "entity_id"
			}
			for from, ids := range byAccount {
				if rec.NewAccount != nil {
					// A split's rows all came from the account it split.
					from = row.AccountRef.String()
				}
				err := tx.Exec(`UPDATE `+table+` SET `+col+` = ? WHERE id = ANY(CAST(CAST(? AS text[]) AS `+idType+`[]))`,
					from, "{"+strings.Join(ids, ",")+"}").Error
				if err != nil {
					return fmt.Errorf("move %s back: %w", table, err)
				}
			}
		}
		for ref, m := range rec.Matched {
			if err := tx.Exec(`UPDATE external_refs SET matched_by = ?, confidence = ? WHERE id = ?`, m.MatchedBy, m.Confidence, ref).Error; err != nil {
				return fmt.Errorf("restore how refs matched: %w", err)
			}
		}
		if len(rec.Merged) > 0 {
			if err := tx.Exec(`UPDATE accounts SET merged_into = NULL, deleted_at = NULL, updated_at = ? WHERE id IN ?`, now, rec.Merged).Error; err != nil {
				return fmt.Errorf("bring merged accounts back: %w", err)
			}
		}
		if len(rec.Suggestions) > 0 {
			if err := tx.Exec(`UPDATE identity_suggestions SET resolved_at = NULL WHERE id IN ?`, rec.Suggestions).Error; err != nil {
				return fmt.Errorf("reopen suggestions: %w", err)
			}
		}
		if err := tx.Exec(`UPDATE identity_changes SET undone_at = ?, undone_by = ? WHERE id = ?`, now, actor, id).Error; err != nil {
			return fmt.Errorf("audit the undo: %w", err)
		}
		change, err = s.change(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, wrapIdentity("undo identity change", err)
	}
	return change, nil
}

// suggestionRow is a row of identity_suggestions.
type suggestionRow struct {
	ID         uuid.UUID
	AccountA   uuid.UUID
	CandidateB uuid.UUID
	MatchedBy  string
	Key        string
	Confidence float64
	CreatedAt  time.Time
}

// openSuggestions is the condition of a suggestion still to decide: not
// dismissed or resolved, both accounts live, the pair not rejected.
const openSuggestions = `s.dismissed_at IS NULL AND s.resolved_at IS NULL
	AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.account_a AND a.deleted_at IS NULL)
	AND EXISTS (SELECT 1 FROM accounts b WHERE b.id = s.candidate_b AND b.deleted_at IS NULL)
	AND NOT EXISTS (SELECT 1 FROM identity_rejections j WHERE j.account_lo = LEAST(s.account_a, s.candidate_b) AND j.account_hi = GREATEST(s.account_a, s.candidate_b))`

var suggestionKeys = simpleKey("identity suggestions", map[identity.SuggestionSort]orderKey{
	identity.SuggestionByCreatedAt:  {expr: "s.created_at", typ: "timestamptz"},
	identity.SuggestionByConfidence: {expr: "s.confidence", typ: "double precision"},
}, nil)

func suggestionList(f identity.SuggestionFilter, order []domain.Order[identity.SuggestionSort]) (listRead, error) {
	l := listRead{name: "identitySuggestions", table: "identity_suggestions", alias: "s"}
	l.where.add(openSuggestions)
	l.where.in("s.matched_by", f.MatchedBy)
	between(&l.where, "s.confidence", f.Confidence)
	l.where.during("s.created_at", f.CreatedAt)
	if f.AccountID != nil {
		l.where.add("? IN (s.account_a, s.candidate_b)", *f.AccountID)
	}
	var err error
	l.order, l.keys, err = sortKeys(order, domain.Order[identity.SuggestionSort]{By: identity.SuggestionByCreatedAt, Desc: true}, suggestionKeys)
	return l, err
}

// suggestionPageRow is a suggestion with its place in a page.
type suggestionPageRow struct {
	Row  suggestionRow `gorm:"embedded"`
	Page pageRow       `gorm:"embedded"`
}

// IdentitySuggestions returns a page of the suggestions still to decide,
// newest first unless q orders otherwise.
func (s *Store) IdentitySuggestions(ctx context.Context, q identity.SuggestionQuery) (identity.SuggestionPage, error) {
	l, err := suggestionList(q.Filter, q.Order)
	if err != nil {
		return identity.SuggestionPage{}, err
	}
	page, err := readPage(ctx, s, l, q.Window, func(r suggestionPageRow) (suggestionRow, uuid.UUID, pageRow) { return r.Row, r.Row.ID, r.Page })
	if err != nil {
		return identity.SuggestionPage{}, err
	}
	out := identity.SuggestionPage{Cursors: page.Cursors, HasNext: page.HasNext, HasPrevious: page.HasPrevious}
	if out.Items, err = s.suggestions(ctx, page.Items); err != nil {
		return identity.SuggestionPage{}, err
	}
	return out, nil
}

// CountIdentitySuggestions counts the suggestions still to decide that f
// keeps.
func (s *Store) CountIdentitySuggestions(ctx context.Context, f identity.SuggestionFilter) (int, error) {
	l, err := suggestionList(f, nil)
	if err != nil {
		return 0, err
	}
	var q sqlText
	q.add("SELECT count(*) FROM identity_suggestions s WHERE ")
	l.where.write(&q)
	var n int
	if err := s.raw(ctx, &q).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count identity suggestions: %w", err)
	}
	return n, nil
}

// suggestions loads the accounts of rows, in one statement.
func (s *Store) suggestions(ctx context.Context, rows []suggestionRow) ([]identity.Suggestion, error) {
	var ids []uuid.UUID
	for _, r := range rows {
		ids = append(ids, r.AccountA, r.CandidateB)
	}
	accounts := map[uuid.UUID]domain.Account{}
	if len(ids) > 0 {
		var list []domain.Account
		if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&list).Error; err != nil {
			return nil, fmt.Errorf("store: accounts of suggestions: %w", err)
		}
		for _, a := range list {
			accounts[a.ID] = a
		}
	}
	out := make([]identity.Suggestion, len(rows))
	for i, r := range rows {
		out[i] = identity.Suggestion{ID: r.ID, Account: accounts[r.AccountA], Candidate: accounts[r.CandidateB], MatchedBy: r.MatchedBy,
			Key: r.Key, Confidence: r.Confidence, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// DismissIdentitySuggestion says the suggestion's two accounts are not one
// customer: it is closed and the pair never suggested again.
func (s *Store) DismissIdentitySuggestion(ctx context.Context, id uuid.UUID) (*identity.Suggestion, error) {
	var out []identity.Suggestion
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []suggestionRow
		if err := tx.Raw(`UPDATE identity_suggestions SET dismissed_at = COALESCE(dismissed_at, ?) WHERE id = ?
			RETURNING id, account_a, candidate_b, matched_by, key, confidence, created_at`, time.Now().UTC(), id).Scan(&rows).Error; err != nil {
			return fmt.Errorf("dismiss: %w", err)
		}
		if len(rows) == 0 {
			return fmt.Errorf("id: %w", domain.NotFound("identity suggestion", id))
		}
		lo, hi := orderedPair(rows[0].AccountA, rows[0].CandidateB)
		if err := tx.Exec(`INSERT INTO identity_rejections (account_lo, account_hi) VALUES (?, ?) ON CONFLICT DO NOTHING`, lo, hi).Error; err != nil {
			return fmt.Errorf("record the pair as not one customer: %w", err)
		}
		var err error
		out, err = s.suggestions(ctx, rows)
		return err
	})
	if err != nil {
		return nil, wrapIdentity("dismiss identity suggestion", err)
	}
	return &out[0], nil
}

// IdentitySettings returns the merge threshold and field precedence.
func (s *Store) IdentitySettings(ctx context.Context) (identity.Settings, error) {
	return identitySettings(ctx, s.db)
}

func identitySettings(ctx context.Context, db *gorm.DB) (identity.Settings, error) {
	var out identity.Settings
	row := db.WithContext(ctx).Raw(`SELECT merge_threshold, updated_at FROM identity_settings`).Row()
	if err := row.Scan(&out.MergeThreshold, &out.UpdatedAt); err != nil {
		return out, fmt.Errorf("store: identity settings: %w", err)
	}
	out.UpdatedAt = out.UpdatedAt.UTC()
	var prec []struct{ Field, Kind string }
	if err := db.WithContext(ctx).Raw(`SELECT field, kind FROM identity_field_precedence ORDER BY field, rank DESC, kind`).Scan(&prec).Error; err != nil {
		return out, fmt.Errorf("store: field precedence: %w", err)
	}
	out.Precedence = []identity.FieldPrecedence{}
	for _, p := range prec {
		if n := len(out.Precedence); n == 0 || out.Precedence[n-1].Field != p.Field {
			out.Precedence = append(out.Precedence, identity.FieldPrecedence{Field: p.Field})
		}
		last := &out.Precedence[len(out.Precedence)-1]
		last.Kinds = append(last.Kinds, p.Kind)
	}
	return out, nil
}

// UpdateIdentitySettings applies p, refusing it whole with a
// *domain.InputError naming every field at fault. A field's precedence is
// replaced by the one given; with no kinds, it is removed.
func (s *Store) UpdateIdentitySettings(ctx context.Context, p identity.SettingsPatch) (identity.Settings, error) {
	if err := p.Validate(); err != nil {
		return identity.Settings{}, err
	}
	var out identity.Settings
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		set := map[string]any{"updated_at": time.Now().UTC()}
		if p.MergeThreshold != nil {
			set["merge_threshold"] = *p.MergeThreshold
		}
		if err := tx.Table("identity_settings").Where("id").Updates(set).Error; err != nil {
			return fmt.Errorf("update: %w", err)
		}
		for _, fp := range p.Precedence {
			if err := tx.Exec(`DELETE FROM identity_field_precedence WHERE field = ?`, fp.Field).Error; err != nil {
				return fmt.Errorf("replace precedence of %s: %w", fp.Field, err)
			}
			for i, kind := range fp.Kinds {
				if err := tx.Exec(`INSERT INTO identity_field_precedence (field, kind, rank) VALUES (?, ?, ?)`, fp.Field, kind, len(fp.Kinds)-i).Error; err != nil {
					return fmt.Errorf("replace precedence of %s: %w", fp.Field, err)
				}
			}
		}
		var err error
		out, err = identitySettings(ctx, tx)
		return err
	})
	if err != nil {
		return identity.Settings{}, fmt.Errorf("store: update identity settings: %w", err)
	}
	return out, nil
}
