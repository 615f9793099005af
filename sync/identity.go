package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/identity"
	"github.com/pulseproject/pulse/store"
)

// identityConfig is what matching and precedence need to know about the
// source and the workspace, read once per batch.
type identityConfig struct {
	kind      string
	threshold float64
	// rank is this source's kind's precedence per field; ranked lists the
	// fields that have a precedence at all (the others: last writer wins).
	rank   map[string]int
	ranked map[string]bool
}

func (a *applier) idConfig(ctx context.Context) (*identityConfig, error) {
	if a.idCfg != nil {
		return a.idCfg, nil
	}
	cfg := &identityConfig{rank: map[string]int{}, ranked: map[string]bool{}}
	row := a.tx.WithContext(ctx).Raw(`SELECT s.kind, (SELECT merge_threshold FROM identity_settings) FROM sources s WHERE s.id = ?`, a.sourceID).Row()
	if err := row.Scan(&cfg.kind, &cfg.threshold); err != nil {
		return nil, fmt.Errorf("sync: read identity settings: %w", err)
	}
	var prec []struct {
		Field string
		Rank  int
	}
	err := a.tx.WithContext(ctx).Raw(`SELECT field, COALESCE(max(rank) FILTER (WHERE kind = ?), 0) AS rank
		FROM identity_field_precedence GROUP BY field`, cfg.kind).Scan(&prec).Error
	if err != nil {
		return nil, fmt.Errorf("sync: read field precedence: %w", err)
	}
	for _, p := range prec {
		cfg.ranked[p.Field] = true
		cfg.rank[p.Field] = p.Rank
	}
	a.idCfg = cfg
	return cfg, nil
}

// match is how an unknown record was tied to an existing entity.
type match struct {
	entityID   uuid.UUID
	rule       string
	confidence float64
	key        string
}

// candidate is an existing entity a rule found for a record.
type candidate struct {
	Ext      string
	EntityID uuid.UUID
	Key      string
}

// rule is one way of matching, in the order tried.
type rule struct {
	name       string
	confidence float64
	find       func() ([]candidate, error)
}

// matched is the match rule r makes of candidate f. A link's candidate
// carries its rule, link:<kind>; the others carry the key they matched on.
func (r rule) matched(f candidate) match {
	if r.name == identity.RuleLink {
		return match{entityID: f.EntityID, rule: f.Key, confidence: r.confidence}
	}
	return match{entityID: f.EntityID, rule: r.name, confidence: r.confidence, key: f.Key}
}

// matchOutcome is what matching decided for a batch's unknown records:
// the records tied to an existing entity, and, for accounts, the pairs
// found below the threshold.
type matchOutcome struct {
	merged      map[string]match
	suggestions map[string][]match
}

// jsonParam encodes v for jsonb_to_recordset, which takes a whole batch
// in one parameter.
func jsonParam(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sync: encode batch: %w", err)
	}
	return string(b), nil
}

// liveCandidate is the SQL condition an entity x of table tbl must meet
// to be matched: alive, and known to no record of this source, so that
// one source's two records stay two entities.
func liveCandidate(tbl string) string {
	return `x.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM external_refs m
		WHERE m.entity_type = @entity AND m.entity_id = x.id AND m.source_id = @me)` + map[string]string{
		"accounts": " AND x.merged_into IS NULL",
	}[tbl]
}

// match ties the records of unknown external ids to existing entities of
// other sources, rule by rule, each rule one statement for the batch:
// explicit links (both ways), then for accounts normalised domain and
// normalised name, for contacts and people normalised email. A match at
// or above the threshold merges; below it an account is created and the
// pair suggested.
func (a *applier) match(ctx context.Context, entity string, tbl table, unknown []converted) (matchOutcome, error) {
	out := matchOutcome{merged: map[string]match{}, suggestions: map[string][]match{}}
	if len(unknown) == 0 {
		return out, nil
	}
	cfg, err := a.idConfig(ctx)
	if err != nil {
		return out, err
	}
	rules := []rule{{identity.RuleLink, identity.LinkConfidence, func() ([]candidate, error) { return a.linkCandidates(ctx, entity, tbl, cfg, unknown) }}}
	switch entity {
	case "account":
		rules = append(rules,
			rule{identity.RuleDomain, identity.DomainConfidence, func() ([]candidate, error) {
				return a.keyCandidates(ctx, entity, tbl, "domain_key", "identity_domain_key", "", unknown, func(c converted) string { return c.row.(*domain.Account).Domain })
			}},
			rule{identity.RuleName, identity.NameConfidence, func() ([]candidate, error) {
				return a.keyCandidates(ctx, entity, tbl, "name_key", "identity_name_key", "", unknown, func(c converted) string { return c.row.(*domain.Account).Name })
			}})
	case "contact":
		// A contact matches by email within its own account only: the same
		// address under another account means the accounts disagree, and
		// moving the contact would hide that.
		rules = append(rules, rule{identity.RuleEmail, identity.EmailConfidence, func() ([]candidate, error) {
			return a.keyCandidates(ctx, entity, tbl, "email_key", "identity_email_key", "account", unknown, func(c converted) string { return c.row.(*domain.Contact).Email })
		}})
	case "person":
		rules = append(rules, rule{identity.RuleEmail, identity.EmailConfidence, func() ([]candidate, error) {
			return a.keyCandidates(ctx, entity, tbl, "email_key", "identity_email_key", "", unknown, func(c converted) string { return c.row.(*domain.Person).Email })
		}})
	}
	// An entity is claimed by at most one record of the batch: the batch
	// is one source's, and one source's two records stay two.
	claimed := map[uuid.UUID]bool{}
	decided := map[string]bool{}
	for _, r := range rules {
		pending := 0
		for _, c := range unknown {
			if !decided[c.rec.GetExternalId()] {
				pending++
			}
		}
		if pending == 0 {
			break
		}
		found, err := r.find()
		if err != nil {
			return out, err
		}
		byExt := map[string][]candidate{}
		for _, f := range found {
			byExt[f.Ext] = append(byExt[f.Ext], f)
		}
		for _, c := range unknown {
			ext := c.rec.GetExternalId()
			if decided[ext] {
				continue
			}
			var cands []candidate
			for _, f := range byExt[ext] {
				if !claimed[f.EntityID] {
					cands = append(cands, f)
				}
			}
			if len(cands) == 0 {
				continue
			}
			decided[ext] = true
			if r.confidence >= cfg.threshold {
				claimed[cands[0].EntityID] = true
				out.merged[ext] = r.matched(cands[0])
				continue
			}
			if entity != "account" {
				continue
			}
			for _, f := range cands[:min(len(cands), identity.MaxSuggestionsPerRecord)] {
				out.suggestions[ext] = append(out.suggestions[ext], r.matched(f))
			}
		}
	}
	return out, nil
}

// linkCandidates finds, for each unknown record, the entities its links
// name through a source of the link's kind, and those whose stored links
// name this source's kind and the record's external id. The candidate's
// Key is the rule, "link:<kind>" with the kind of the other side.
func (a *applier) linkCandidates(ctx context.Context, entity string, tbl table, cfg *identityConfig, unknown []converted) ([]candidate, error) {
	type link struct {
		Ext     string `json:"ext"`
		Kind    string `json:"kind"`
		LinkExt string `json:"link_ext"`
	}
	links := []link{}
	exts := make([]string, 0, len(unknown))
	for _, c := range unknown {
		exts = append(exts, c.rec.GetExternalId())
		for _, l := range c.rec.GetLinks() {
			if l.GetKind() != "" && l.GetExternalId() != "" {
				links = append(links, link{c.rec.GetExternalId(), l.GetKind(), l.GetExternalId()})
			}
		}
	}
	param, err := jsonParam(links)
	if err != nil {
		return nil, err
	}
	var out []candidate
	err = a.tx.WithContext(ctx).Raw(`
		SELECT ext, entity_id, key FROM (
			SELECT v.ext, x.id AS entity_id, 'link:' || s.kind AS key, 0 AS way, r.created_at, x.id
			FROM jsonb_to_recordset(CAST(@links AS jsonb)) AS v(ext text, kind text, link_ext text)
			JOIN sources s ON s.kind = v.kind AND s.id <> @me
			JOIN external_refs r ON r.source_id = s.id AND r.entity_type = @entity AND r.external_id = v.link_ext AND r.deleted_at IS NULL
			JOIN `+tbl.name+` x ON x.id = r.entity_id
			WHERE `+liveCandidate(tbl.name)+`
			UNION ALL
			SELECT l.link_external_id, x.id, 'link:' || s.kind, 1, r.created_at, x.id
			FROM identity_links l
			JOIN sources s ON s.id = l.source_id
			JOIN external_refs r ON r.source_id = l.source_id AND r.entity_type = l.entity_type AND r.external_id = l.external_id AND r.deleted_at IS NULL
			JOIN `+tbl.name+` x ON x.id = r.entity_id
			WHERE l.entity_type = @entity AND l.link_kind = @kind AND l.link_external_id IN @exts AND l.source_id <> @me
			  AND `+liveCandidate(tbl.name)+`
		) c ORDER BY ext, way, created_at, id`,
		map[string]any{"links": param, "me": a.sourceID, "entity": entity, "kind": cfg.kind, "exts": exts}).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("sync: match %s links: %w", entity, err)
	}
	return out, nil
}

// maxCandidates bounds the entities a key finds for one record: enough
// for the suggestions and for the records of one batch sharing a key.
const maxCandidates = 20

// keyCandidates finds the entities whose stored key column equals the
// record's value normalised by the SQL function norm, oldest first. With
// scope "account" a candidate must belong to the record's account.
func (a *applier) keyCandidates(ctx context.Context, entity string, tbl table, column, norm, scope string, unknown []converted, value func(converted) string) ([]candidate, error) {
	type probe struct {
		Ext     string     `json:"ext"`
		Value   string     `json:"value"`
		Account *uuid.UUID `json:"account,omitempty"`
	}
	probes := make([]probe, 0, len(unknown))
	for _, c := range unknown {
		v := value(c)
		if strings.TrimSpace(v) == "" {
			continue
		}
		p := probe{Ext: c.rec.GetExternalId(), Value: v}
		if ct, ok := c.row.(*domain.Contact); ok {
			p.Account = &ct.AccountID
		}
		probes = append(probes, p)
	}
	if len(probes) == 0 {
		return nil, nil
	}
	param, err := jsonParam(probes)
	if err != nil {
		return nil, err
	}
	where := ""
	if scope == "account" {
		where = " AND x.account_id = v.account"
	}
	var out []candidate
	// The keys are normalised once per probe, and each probe looks its
	// key up in the index: a join the planner costs on stale statistics
	// could otherwise compare every probe with every row.
	err = a.tx.WithContext(ctx).Raw(`
		WITH v AS MATERIALIZED (
			SELECT p.ext, `+norm+`(p.value) AS key, p.account
			FROM jsonb_to_recordset(CAST(@probes AS jsonb)) AS p(ext text, value text, account uuid))
		SELECT v.ext, c.entity_id, v.key
		FROM v CROSS JOIN LATERAL (
			SELECT x.id AS entity_id, x.created_at FROM `+tbl.name+` x
			WHERE x.`+column+` = v.key AND x.`+column+` <> ''`+where+` AND `+liveCandidate(tbl.name)+`
			ORDER BY x.created_at, x.id LIMIT @most) c
		WHERE v.key <> ''
		ORDER BY v.ext, c.created_at, c.entity_id`,
		map[string]any{"probes": param, "me": a.sourceID, "entity": entity, "most": maxCandidates}).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("sync: match %s by %s: %w", entity, column, err)
	}
	return out, nil
}

// storeLinks keeps the links of the batch's records, so that records of
// other sources arriving later find them; a record's links are replaced by
// those it now carries. Only the records of known external ids can have
// links stored: links go with their ref, which this batch made for the
// others.
func (a *applier) storeLinks(ctx context.Context, entity string, recs []converted, known []string) error {
	type link struct {
		Ext     string `json:"ext"`
		Kind    string `json:"kind"`
		LinkExt string `json:"link_ext"`
	}
	links := []link{}
	for _, c := range recs {
		for _, l := range c.rec.GetLinks() {
			if l.GetKind() != "" && l.GetExternalId() != "" {
				links = append(links, link{c.rec.GetExternalId(), l.GetKind(), l.GetExternalId()})
			}
		}
	}
	if len(links) == 0 && len(known) == 0 {
		return nil
	}
	param, err := jsonParam(links)
	if err != nil {
		return err
	}
	args := map[string]any{"links": param, "me": a.sourceID, "entity": entity, "exts": known, "now": a.now}
	if len(known) > 0 {
		err = a.tx.WithContext(ctx).Exec(`DELETE FROM identity_links l
		WHERE l.source_id = @me AND l.entity_type = @entity AND l.external_id IN @exts
		  AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(CAST(@links AS jsonb)) AS v(ext text, kind text, link_ext text)
		                  WHERE v.ext = l.external_id AND v.kind = l.link_kind AND v.link_ext = l.link_external_id)`, args).Error
		if err != nil {
			return fmt.Errorf("sync: drop old %s links: %w", entity, err)
		}
	}
	if len(links) == 0 {
		return nil
	}
	err = a.tx.WithContext(ctx).Exec(`INSERT INTO identity_links (source_id, entity_type, external_id, link_kind, link_external_id, created_at)
		SELECT DISTINCT CAST(@me AS uuid), CAST(@entity AS text), v.ext, v.kind, v.link_ext, CAST(@now AS timestamptz)
		FROM jsonb_to_recordset(CAST(@links AS jsonb)) AS v(ext text, kind text, link_ext text)
		ON CONFLICT DO NOTHING`, args).Error
	if err != nil {
		return fmt.Errorf("sync: store %s links: %w", entity, err)
	}
	return nil
}

// field is a column of an identity entity that a source sets, with how
// an empty value reads in SQL.
type field struct {
	name, sqlType, empty string
}

// identityFields are the columns each identity entity's sources set, in
// the order the upsert lists them.
var identityFields = map[string][]field{
	"account": {
		{"name", "text", "= ''"},
		{"domain", "text", "= ''"},
		{"tier", "text", "= ''"},
		{"segment", "text", "= ''"},
		{"industry", "text", "= ''"},
		{"lifecycle", "text", "= ''"},
		{"renewal_date", "date", "IS NULL"},
		{"custom", "jsonb", "= '{}'::jsonb"},
	},
	"contact": {
		{"account_id", "uuid", "IS NULL"},
		{"name", "text", "= ''"},
		{"email", "text", "= ''"},
		{"title", "text", "= ''"},
		{"custom", "jsonb", "= '{}'::jsonb"},
	},
	"person": {
		{"name", "text", "= ''"},
		{"email", "text", "= ''"},
		{"team", "text", "= ''"},
		{"custom", "jsonb", "= '{}'::jsonb"},
	},
}

// fieldValues are a record's field values as JSON values, the form they
// are sent, compared and kept in external_refs.sent.
func fieldValues(row any) map[string]any {
	obj := func(c domain.Custom) map[string]any {
		if c == nil {
			return map[string]any{}
		}
		return c
	}
	switch x := row.(type) {
	case *domain.Account:
		var renewal any
		if x.RenewalDate != nil {
			renewal = x.RenewalDate.Format(time.DateOnly)
		}
		return map[string]any{"name": x.Name, "domain": x.Domain, "tier": x.Tier, "segment": x.Segment,
			"industry": x.Industry, "lifecycle": x.Lifecycle, "renewal_date": renewal, "custom": obj(x.Custom)}
	case *domain.Contact:
		return map[string]any{"account_id": x.AccountID, "name": x.Name, "email": x.Email, "title": x.Title, "custom": obj(x.Custom)}
	case *domain.Person:
		return map[string]any{"name": x.Name, "email": x.Email, "team": x.Team, "custom": obj(x.Custom)}
	}
	return nil
}

func emptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// sameJSON compares two values as JSON, the form sent values come back in.
func sameJSON(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}

// upsertClaimed writes records of an identity entity whose ids are known,
// in one statement, field by field: a record claims the fields its source
// changed since it last sent them (the non-empty ones for a new ref), and
// a claimed field is written when its setter is this source, or nobody,
// or, the value being non-empty, a source of no higher precedence for that
// field (precedence ranks account fields; elsewhere the last writer
// wins). Every written field records its source in field_sources. So two
// sources that disagree do not overwrite each other on every sync, and a
// repeated sync claims nothing and writes nothing.
func (a *applier) upsertClaimed(ctx context.Context, entity string, tbl table, recs []converted, ids map[string]uuid.UUID, sent map[string]map[string]any) (int64, error) {
	cfg, err := a.idConfig(ctx)
	if err != nil {
		return 0, err
	}
	fields := identityFields[entity]
	claim := map[string]any{"source_id": a.sourceID, "kind": cfg.kind, "at": a.now}
	rows := map[uuid.UUID]map[string]any{}
	var order []uuid.UUID
	var resent, resentValues []string
	for _, c := range recs {
		ext := c.rec.GetExternalId()
		id := ids[ext]
		values := fieldValues(c.row)
		before, known := sent[ext]
		if known && !sameJSON(before, values) {
			v, err := json.Marshal(values)
			if err != nil {
				return 0, fmt.Errorf("sync: encode sent %s values: %w", entity, err)
			}
			resent, resentValues = append(resent, ext), append(resentValues, string(v))
		}
		row, ok := rows[id]
		if !ok {
			row = map[string]any{"id": id, "claims": map[string]any{}}
			rows[id] = row
			order = append(order, id)
		}
		// Two records of the batch on one entity (a person merged them):
		// the later one's claims win, field by field.
		row["external_id"] = ext
		claims := row["claims"].(map[string]any)
		for f, v := range values {
			prev, wasSent := before[f]
			changed := !known || !wasSent || !sameJSON(prev, v)
			if !known && emptyValue(v) {
				changed = false
			}
			if changed || !ok {
				row[f] = v
			}
			if changed {
				claims[f] = claim
			}
		}
	}
	payload := make([]map[string]any, 0, len(order))
	for _, id := range order {
		payload = append(payload, rows[id])
	}
	param, err := jsonParam(payload)
	if err != nil {
		return 0, err
	}
	var cols, defs, sets, effective, olds, sources []string
	for _, f := range fields {
		cols = append(cols, f.name)
		defs = append(defs, f.name+" "+f.sqlType)
		ok := fmt.Sprintf(`(excluded.field_sources->'%[1]s') IS NOT NULL AND (t.field_sources->'%[1]s' IS NULL OR t.field_sources->'%[1]s'->>'source_id' = CAST(@me AS text)`, f.name)
		switch {
		case entity == "account" && cfg.ranked[f.name]:
			ok += fmt.Sprintf(` OR (NOT (excluded.%[1]s %[2]s) AND %[3]d >= COALESCE((SELECT p.rank FROM identity_field_precedence p
				WHERE p.field = '%[1]s' AND p.kind = t.field_sources->'%[1]s'->>'kind'), 0)))`, f.name, f.empty, cfg.rank[f.name])
		default:
			ok += fmt.Sprintf(` OR NOT (excluded.%s %s))`, f.name, f.empty)
		}
		eff := fmt.Sprintf("CASE WHEN %s THEN excluded.%s ELSE t.%s END", ok, f.name, f.name)
		sets = append(sets, f.name+" = "+eff)
		effective = append(effective, eff)
		olds = append(olds, "t."+f.name)
		sources = append(sources, fmt.Sprintf(`'%[1]s', CASE WHEN %[2]s AND t.%[1]s IS DISTINCT FROM excluded.%[1]s THEN excluded.field_sources->'%[1]s' END`, f.name, ok))
	}
	sql := `INSERT INTO ` + tbl.name + ` AS t (id, ` + strings.Join(cols, ", ") + `, source_id, external_id, synced_at, created_at, updated_at, field_sources)
		SELECT v.id, v.` + strings.Join(cols, ", v.") + `, CAST(@me AS uuid), v.external_id, CAST(@now AS timestamptz), CAST(@now AS timestamptz), CAST(@now AS timestamptz), v.claims
		FROM jsonb_to_recordset(CAST(@rows AS jsonb)) AS v(id uuid, external_id text, claims jsonb, ` + strings.Join(defs, ", ") + `)
		ON CONFLICT (id) DO UPDATE SET ` + strings.Join(sets, ", ") + `,
			field_sources = t.field_sources || jsonb_strip_nulls(jsonb_build_object(` + strings.Join(sources, ", ") + `)),
			source_id = excluded.source_id, external_id = excluded.external_id,
			synced_at = excluded.synced_at, updated_at = excluded.updated_at, deleted_at = NULL
		WHERE (` + strings.Join(olds, ", ") + `, t.deleted_at IS NULL) IS DISTINCT FROM (` + strings.Join(effective, ", ") + `, true)`
	res := a.tx.WithContext(ctx).Exec(sql, map[string]any{"rows": param, "me": a.sourceID, "now": a.now})
	if res.Error != nil {
		return 0, fmt.Errorf("sync: upsert %s: %w", tbl.name, res.Error)
	}
	// A new ref was written with what it sent; a known one is rewritten
	// only when that changed.
	if len(resent) > 0 {
		if err := store.SetSent(ctx, a.tx, a.sourceID, entity, resent, resentValues); err != nil {
			return 0, fmt.Errorf("sync: %w", err)
		}
	}
	return res.RowsAffected, nil
}

// suggest stores the pairs found below the threshold, unless a person
// already said the two are not one customer.
func (a *applier) suggest(ctx context.Context, ids map[string]uuid.UUID, suggestions map[string][]match) error {
	type sug struct {
		ID         uuid.UUID `json:"id"`
		A          uuid.UUID `json:"a"`
		B          uuid.UUID `json:"b"`
		Rule       string    `json:"rule"`
		Key        string    `json:"key"`
		Confidence float64   `json:"confidence"`
	}
	var rows []sug
	for ext, ms := range suggestions {
		for _, m := range ms {
			rows = append(rows, sug{uuid.Must(uuid.NewV7()), ids[ext], m.entityID, m.rule, m.key, m.confidence})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	param, err := jsonParam(rows)
	if err != nil {
		return err
	}
	err = a.tx.WithContext(ctx).Exec(`INSERT INTO identity_suggestions (id, account_a, candidate_b, matched_by, key, confidence, created_at)
		SELECT v.id, v.a, v.b, v.rule, v.key, v.confidence, CAST(@now AS timestamptz)
		FROM jsonb_to_recordset(CAST(@rows AS jsonb)) AS v(id uuid, a uuid, b uuid, rule text, key text, confidence double precision)
		WHERE NOT EXISTS (SELECT 1 FROM identity_rejections j WHERE j.account_lo = LEAST(v.a, v.b) AND j.account_hi = GREATEST(v.a, v.b))
		ON CONFLICT (account_a, candidate_b) DO NOTHING`, map[string]any{"rows": param, "now": a.now}).Error
	if err != nil {
		return fmt.Errorf("sync: store identity suggestions: %w", err)
	}
	return nil
}
