package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/identity"
	"github.com/pulseproject/pulse/store"
)

// table says how one entity type is stored.
type table struct {
	name string
	// identity entities (accounts, contacts, people) are keyed through
	// external_refs, so several sources can share one entity; the others
	// are keyed on (source_id, external_id) in their own table.
	identity bool
	// data columns: an upsert rewrites a row only when one of them changed,
	// so a repeated sync writes nothing.
	data []string
}

var tables = map[string]table{
	"account":           {"accounts", true, []string{"name", "domain", "tier", "segment", "industry", "lifecycle", "renewal_date", "custom"}},
	"person":            {"people", true, []string{"name", "email", "team", "custom"}},
	"contact":           {"contacts", true, []string{"account_id", "name", "email", "title", "custom"}},
	"account_team":      {"account_team", false, []string{"account_id", "person_id", "role"}},
	"activity":          {"activities", false, []string{"account_id", "contact_id", "person_id", "team", "kind", "direction", "occurred_at", "duration_seconds", "subject", "custom"}},
	"deal":              {"deals", false, []string{"account_id", "name", "stage", "status", "kind", "amount", "currency", "closed_at", "lost_reason", "custom"}},
	"subscription_item": {"subscription_items", false, []string{"account_id", "plan", "amount", "currency", "interval", "starts_at", "ends_at", "churn_reason", "custom"}},
	"ticket":            {"tickets", false, []string{"account_id", "contact_id", "assignee_id", "subject", "priority", "status", "opened_at", "first_response_at", "resolved_at", "csat", "custom"}},
	"survey_response":   {"survey_responses", false, []string{"account_id", "contact_id", "kind", "score", "touchpoint", "comment", "responded_at", "custom"}},
	"fx_rate":           {"fx_rates", false, []string{"date", "currency", "rate"}},
}

// issue is a record-level problem to list on the run.
type issue struct {
	stream, kind, externalID, origin, field, message string
}

// deferral is a record kept aside until its references resolve.
type deferral struct {
	rec    *connectorpb.Record
	stream string
	reason string
}

// outcome is what applying records did.
type outcome struct {
	written, deleted int64
	rejected         []issue
	deferred         []deferral
	// warned are records stored as they are, with what is wrong in them.
	warned []issue
	// applied lists the (entity type, external id) pairs stored, so that a
	// deferred copy of them can be dropped.
	applied map[string][]string
}

func (o *outcome) add(other outcome) {
	o.written += other.written
	o.deleted += other.deleted
	o.rejected = append(o.rejected, other.rejected...)
	o.warned = append(o.warned, other.warned...)
	o.deferred = append(o.deferred, other.deferred...)
	for k, v := range other.applied {
		if o.applied == nil {
			o.applied = map[string][]string{}
		}
		o.applied[k] = append(o.applied[k], v...)
	}
}

// applier writes records of one source inside a transaction.
type applier struct {
	tx       *gorm.DB
	sourceID uuid.UUID
	now      time.Time
	// idCfg is read on the first identity record of the batch.
	idCfg *identityConfig
}

// apply stores records read from stream; columns are the batch's, if its
// records come from a file of columns (see RecordBatch.columns).
func (a *applier) apply(ctx context.Context, stream string, recs []*connectorpb.Record, columns map[string]uint32) (outcome, error) {
	// Per entity type: the last live version of each record, and the ids
	// whose last word in the batch was a tombstone. A record created and
	// deleted in one batch is stored, then deleted, so its history stays.
	live := map[connectorpb.EntityType][]*connectorpb.Record{}
	at := map[connectorpb.EntityType]map[string]int{}
	deleted := map[connectorpb.EntityType]map[string]bool{}
	var order [][2]any
	var out outcome
	for _, r := range recs {
		// A tombstone's id goes into statements too; a live record's text
		// is checked with the rest of its rules (checked).
		if r.GetDeleted() {
			if p := validate.TextProblems(r); len(p) > 0 {
				out.rejected = append(out.rejected, rejections(stream, r, p, columns)...)
				continue
			}
		}
		t := r.GetEntityType()
		if _, ok := entityNames[t]; !ok {
			out.rejected = append(out.rejected, issue{stream, domain.IssueRejected, r.GetExternalId(), r.GetOrigin(), "entity_type", fmt.Sprintf("unknown entity type %s", t)})
			continue
		}
		if at[t] == nil {
			at[t], deleted[t] = map[string]int{}, map[string]bool{}
		}
		id := r.GetExternalId()
		if r.GetDeleted() {
			if !deleted[t][id] {
				order = append(order, [2]any{t, id})
			}
			deleted[t][id] = true
			continue
		}
		delete(deleted[t], id)
		// The same id twice: the later version wins, as it would across
		// batches (and one upsert cannot touch a row twice).
		if i, dup := at[t][id]; dup {
			live[t][i] = r
			continue
		}
		at[t][id] = len(live[t])
		live[t] = append(live[t], r)
	}
	tombstones := map[connectorpb.EntityType][]string{}
	for _, o := range order {
		t, id := o[0].(connectorpb.EntityType), o[1].(string)
		if deleted[t][id] {
			tombstones[t] = append(tombstones[t], id)
			delete(deleted[t], id)
		}
	}
	for _, t := range applyOrder {
		if len(live[t]) == 0 && len(tombstones[t]) == 0 {
			continue
		}
		o, err := a.applyType(ctx, stream, entityNames[t], live[t], tombstones[t], columns)
		if err != nil {
			return outcome{}, err
		}
		out.add(o)
	}
	return out, nil
}

func (a *applier) applyType(ctx context.Context, stream, entity string, recs []*connectorpb.Record, tombstones []string, columns map[string]uint32) (outcome, error) {
	tbl := tables[entity]
	var out outcome
	var live []converted
	for _, r := range recs {
		c := checked(r)
		if len(c.problems) > 0 {
			out.rejected = append(out.rejected, rejections(stream, r, c.problems, columns)...)
			continue
		}
		live = append(live, c)
	}
	resolved, err := a.resolve(ctx, stream, live, &out)
	if err != nil {
		return outcome{}, err
	}
	if len(resolved) > 0 {
		var n int64
		if tbl.identity {
			n, err = a.upsertIdentity(ctx, entity, tbl, resolved)
		} else {
			n, err = a.upsertOwned(ctx, tbl, resolved)
		}
		if err != nil {
			return outcome{}, err
		}
		out.written += n
		out.applied = map[string][]string{entity: make([]string, 0, len(resolved))}
		for _, c := range resolved {
			out.applied[entity] = append(out.applied[entity], c.rec.GetExternalId())
			if t, ok := c.row.(*domain.Ticket); ok {
				for _, w := range t.DateWarnings() {
					out.warned = append(out.warned, issue{stream, domain.IssueWarning, c.rec.GetExternalId(), c.rec.GetOrigin(), w.Field, w.Message})
				}
			}
		}
	}
	if len(tombstones) > 0 {
		n, err := a.tombstone(ctx, entity, tbl, tombstones)
		if err != nil {
			return outcome{}, err
		}
		out.deleted += n
	}
	return out, nil
}

// rejections are the issues of record r, rejected for problems p. Where
// the batch knows the column of a problem's field, its origin points at the
// cell.
func rejections(stream string, r *connectorpb.Record, p validate.Problems, columns map[string]uint32) []issue {
	out := make([]issue, len(p))
	for i, e := range p {
		origin := r.GetOrigin()
		if col, ok := columns[e.Field]; ok && origin != "" {
			origin = fmt.Sprintf("%s:%d", origin, col)
		}
		out[i] = issue{stream, domain.IssueRejected, r.GetExternalId(), origin, e.Field, e.Message}
	}
	return out
}

// resolve fills in the Pulse ids of every record's references, with one
// query per referenced entity type, and defers the records it cannot place.
func (a *applier) resolve(ctx context.Context, stream string, live []converted, out *outcome) ([]converted, error) {
	wanted := map[string]map[string]bool{}
	for _, c := range live {
		for _, rf := range c.refs {
			if wanted[rf.entityType] == nil {
				wanted[rf.entityType] = map[string]bool{}
			}
			wanted[rf.entityType][rf.externalID] = true
		}
	}
	ids := map[string]map[string]uuid.UUID{}
	for entity, set := range wanted {
		found, err := a.lookup(ctx, entity, keys(set), false)
		if err != nil {
			return nil, err
		}
		ids[entity] = found
	}
	resolved := live[:0]
	for _, c := range live {
		var missing []string
		for _, rf := range c.refs {
			id, ok := ids[rf.entityType][rf.externalID]
			if !ok {
				missing = append(missing, fmt.Sprintf("%s: no %s %q from this source", rf.field, rf.entityType, rf.externalID))
				continue
			}
			v := id
			*rf.target = &v
		}
		if len(missing) > 0 {
			out.deferred = append(out.deferred, deferral{rec: c.rec, stream: stream, reason: strings.Join(missing, "; ")})
			continue
		}
		if p, ok := c.row.(*pending); ok {
			p.resolve()
			c.row = p.row
		}
		resolved = append(resolved, c)
	}
	return resolved, nil
}

// lookup maps external ids of entity to Pulse ids through external_refs.
func (a *applier) lookup(ctx context.Context, entity string, externalIDs []string, withDeleted bool) (map[string]uuid.UUID, error) {
	refs, err := store.SourceRefs(ctx, a.tx, a.sourceID, entity, externalIDs, withDeleted, false)
	if err != nil {
		return nil, fmt.Errorf("sync: look up %s refs: %w", entity, err)
	}
	out := make(map[string]uuid.UUID, len(refs))
	for ext, r := range refs {
		out[ext] = r.EntityID
	}
	return out, nil
}

// upsertIdentity stores accounts, contacts or people. A record of an
// external id seen for the first time is matched to an existing entity of
// another source (see match), or makes a new entity; its ref records how,
// and what the record sent, in one write.
func (a *applier) upsertIdentity(ctx context.Context, entity string, tbl table, recs []converted) (int64, error) {
	extIDs := make([]string, len(recs))
	for i, c := range recs {
		extIDs[i] = c.rec.GetExternalId()
	}
	refs, err := store.SourceRefs(ctx, a.tx, a.sourceID, entity, extIDs, true, true)
	if err != nil {
		return 0, fmt.Errorf("sync: look up %s refs: %w", entity, err)
	}
	// What each known ref last sent; a new ref has sent nothing.
	sent := make(map[string]map[string]any, len(refs))
	var unknown []converted
	var known, revived []string
	for _, c := range recs {
		ext := c.rec.GetExternalId()
		r, ok := refs[ext]
		if !ok {
			unknown = append(unknown, c)
			continue
		}
		m := map[string]any{}
		if err := json.Unmarshal(r.Sent, &m); err != nil {
			return 0, fmt.Errorf("sync: read sent %s values: %w", entity, err)
		}
		sent[ext] = m
		known = append(known, ext)
		if r.Deleted {
			revived = append(revived, ext)
		}
	}
	matched, err := a.match(ctx, entity, tbl, unknown)
	if err != nil {
		return 0, err
	}
	var newRefs []any
	var newSent []*string
	ids := make(map[string]uuid.UUID, len(recs))
	for _, c := range recs {
		ext := c.rec.GetExternalId()
		if r, ok := refs[ext]; ok {
			ids[ext] = r.EntityID
			continue
		}
		m, merged := matched.merged[ext]
		if !merged {
			m = match{entityID: uuid.Must(uuid.NewV7()), rule: identity.RuleCreated, confidence: 1}
		}
		ids[ext] = m.entityID
		newRefs = append(newRefs, &domain.ExternalRef{
			ID: uuid.Must(uuid.NewV7()), SourceID: a.sourceID, EntityType: entity, ExternalID: ext,
			EntityID: m.entityID, MatchedBy: m.rule, Confidence: m.confidence, SyncedAt: &a.now,
			Timestamps: domain.Timestamps{CreatedAt: a.now, UpdatedAt: a.now},
		})
		v, err := json.Marshal(fieldValues(c.row))
		if err != nil {
			return 0, fmt.Errorf("sync: encode sent %s values: %w", entity, err)
		}
		newSent = append(newSent, store.Text(string(v)))
	}
	if len(newRefs) > 0 {
		b, err := store.RowsBatch(a.tx, "external_refs", newRefs)
		if err != nil {
			return 0, fmt.Errorf("sync: create %s refs: %w", entity, err)
		}
		b.Add("sent", newSent)
		if _, err := store.WriteBatch(ctx, a.tx, b, store.Upsert{}); err != nil {
			return 0, fmt.Errorf("sync: create %s refs: %w", entity, err)
		}
	}
	// Refs of records the source deleted and now sends again come back.
	if len(revived) > 0 {
		if err := store.ReviveRefs(ctx, a.tx, a.sourceID, entity, revived, a.now); err != nil {
			return 0, fmt.Errorf("sync: %w", err)
		}
	}
	if err := a.storeLinks(ctx, entity, recs, known); err != nil {
		return 0, err
	}
	n, err := a.upsertClaimed(ctx, entity, tbl, recs, ids, sent)
	if err != nil {
		return 0, err
	}
	return n, a.suggest(ctx, ids, matched.suggestions)
}

// upsertOwned stores entities keyed on (source, external id).
func (a *applier) upsertOwned(ctx context.Context, tbl table, recs []converted) (int64, error) {
	for _, c := range recs {
		a.stamp(c, uuid.Must(uuid.NewV7()))
	}
	return a.upsert(ctx, tbl, recs, []string{"source_id", "external_id"}, nil)
}

// stamp sets a row's id, provenance and timestamps.
func (a *applier) stamp(c converted, id uuid.UUID) {
	v := reflect.ValueOf(c.row).Elem()
	v.FieldByName("ID").Set(reflect.ValueOf(id))
	src := a.sourceID
	v.FieldByName("Provenance").Set(reflect.ValueOf(domain.Provenance{SourceID: &src, ExternalID: c.rec.GetExternalId(), SyncedAt: &a.now}))
	v.FieldByName("Timestamps").Set(reflect.ValueOf(domain.Timestamps{CreatedAt: a.now, UpdatedAt: a.now}))
}

// upsert writes rows in one statement. A conflicting row is rewritten
// only when its data differs (or it was deleted), so a repeated sync
// changes nothing, updated_at included.
func (a *applier) upsert(ctx context.Context, tbl table, recs []converted, conflict, alsoUpdate []string) (int64, error) {
	rows := make([]any, len(recs))
	for i, c := range recs {
		rows[i] = c.row
	}
	b, err := store.RowsBatch(a.tx, tbl.name, rows)
	if err != nil {
		return 0, fmt.Errorf("sync: upsert %s: %w", tbl.name, err)
	}
	update := append(append(append([]string{}, tbl.data...), alsoUpdate...), "synced_at", "updated_at", "deleted_at")
	n, err := store.WriteBatch(ctx, a.tx, b, store.Upsert{Conflict: conflict, Update: update, Data: tbl.data})
	if err != nil {
		return 0, fmt.Errorf("sync: upsert %s: %w", tbl.name, err)
	}
	return n, nil
}

// tombstone soft-deletes what the source deleted. An identity entity stays
// while another source still knows it.
func (a *applier) tombstone(ctx context.Context, entity string, tbl table, extIDs []string) (int64, error) {
	db := a.tx.WithContext(ctx)
	if !tbl.identity {
		res := db.Exec("UPDATE "+tbl.name+" SET deleted_at = ?, updated_at = ? WHERE source_id = ? AND external_id IN ? AND deleted_at IS NULL",
			a.now, a.now, a.sourceID, extIDs)
		if res.Error != nil {
			return 0, fmt.Errorf("sync: delete %s: %w", tbl.name, res.Error)
		}
		return res.RowsAffected, nil
	}
	err := db.Exec(`UPDATE external_refs SET deleted_at = ?, updated_at = ?
		WHERE source_id = ? AND entity_type = ? AND external_id IN ? AND deleted_at IS NULL`, a.now, a.now, a.sourceID, entity, extIDs).Error
	if err != nil {
		return 0, fmt.Errorf("sync: delete %s refs: %w", entity, err)
	}
	res := db.Exec(`UPDATE `+tbl.name+` t SET deleted_at = ?, updated_at = ?
		WHERE t.deleted_at IS NULL
		  AND t.id IN (SELECT entity_id FROM external_refs WHERE source_id = ? AND entity_type = ? AND external_id IN ?)
		  AND NOT EXISTS (SELECT 1 FROM external_refs r WHERE r.entity_id = t.id AND r.entity_type = ? AND r.deleted_at IS NULL)`,
		a.now, a.now, a.sourceID, entity, extIDs, entity)
	if res.Error != nil {
		return 0, fmt.Errorf("sync: delete %s: %w", tbl.name, res.Error)
	}
	return res.RowsAffected, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
