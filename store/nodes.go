package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/domain/identity"
)

// nodeTables says where each kind of record is kept, and which of its
// rows the API shows: soft-deleted rows are gone, except teammates, whom
// the rows naming them still show.
var nodeTables = []struct {
	kind  domain.NodeKind
	table string
	live  string
}{
	{domain.NodeAccount, "accounts", "deleted_at IS NULL"},
	{domain.NodePerson, "people", ""},
	{domain.NodeTeamMember, "account_team", "deleted_at IS NULL"},
	{domain.NodeContact, "contacts", "deleted_at IS NULL"},
	{domain.NodeActivity, "activities", "deleted_at IS NULL"},
	{domain.NodeTicket, "tickets", "deleted_at IS NULL"},
	{domain.NodeDeal, "deals", "deleted_at IS NULL"},
	{domain.NodeSubscriptionItem, "subscription_items", "deleted_at IS NULL"},
	{domain.NodeSurveyResponse, "survey_responses", "deleted_at IS NULL"},
	{domain.NodeSource, "sources", ""},
	{domain.NodeSyncRun, "sync_runs", ""},
	{domain.NodeIdentitySuggestion, "identity_suggestions", ""},
	{domain.NodeIdentityChange, "identity_changes", ""},
	{domain.NodeObjective, "success_plan_objectives", ""},
	{domain.NodeAPIKey, "api_keys", ""},
}

// NodeKinds says which kind of record each id names, by id, in one
// statement: a UNION ALL over the tables, each probed by its primary key.
// Ids naming nothing the API shows are left out.
func (s *Store) NodeKinds(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.NodeKind, error) {
	out := map[uuid.UUID]domain.NodeKind{}
	if len(ids) == 0 {
		return out, nil
	}
	branches := make([]string, len(nodeTables))
	for i, t := range nodeTables {
		where := ""
		if t.live != "" {
			where = " WHERE t." + t.live
		}
		branches[i] = fmt.Sprintf("SELECT t.id, '%s' AS kind FROM %s t JOIN ids USING (id)%s", t.kind, t.table, where)
	}
	var rows []struct {
		ID   uuid.UUID
		Kind domain.NodeKind
	}
	err := s.db.WithContext(ctx).Raw("WITH ids AS (SELECT DISTINCT unnest(string_to_array(?, ',')::uuid[]) AS id) "+
		strings.Join(branches, " UNION ALL "), idList(ids)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: node kinds: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Kind
	}
	return out, nil
}

// values turns loadByID's pointers into values.
func values[T any](m map[uuid.UUID]*T, err error) (map[uuid.UUID]T, error) {
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]T, len(m))
	for id, v := range m {
		out[id] = *v
	}
	return out, nil
}

// AccountsByID returns the live accounts with these ids, by id.
func (s *Store) AccountsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Account, error) {
	return values(loadByID(ctx, s, ids, func(a *domain.Account) uuid.UUID { return a.ID }))
}

// TeamMembersByID returns the live memberships with these ids, by id.
func (s *Store) TeamMembersByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.AccountTeamMember, error) {
	return values(loadByID(ctx, s, ids, func(m *domain.AccountTeamMember) uuid.UUID { return m.ID }))
}

// ContactsByID returns the live contacts with these ids, by id.
func (s *Store) ContactsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Contact, error) {
	return values(loadByID(ctx, s, ids, func(c *domain.Contact) uuid.UUID { return c.ID }))
}

// ActivitiesByID returns the live activities with these ids, by id.
func (s *Store) ActivitiesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Activity, error) {
	return values(loadByID(ctx, s, ids, func(a *domain.Activity) uuid.UUID { return a.ID }))
}

// TicketsByID returns the live tickets with these ids, by id.
func (s *Store) TicketsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Ticket, error) {
	return values(loadByID(ctx, s, ids, func(t *domain.Ticket) uuid.UUID { return t.ID }))
}

// DealsByID returns the live deals with these ids, by id.
func (s *Store) DealsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Deal, error) {
	return values(loadByID(ctx, s, ids, func(d *domain.Deal) uuid.UUID { return d.ID }))
}

// SubscriptionItemsByID returns the live subscription items with these
// ids, by id.
func (s *Store) SubscriptionItemsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SubscriptionItem, error) {
	return values(loadByID(ctx, s, ids, func(i *domain.SubscriptionItem) uuid.UUID { return i.ID }))
}

// SurveysByID returns the live survey responses with these ids, by id.
func (s *Store) SurveysByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SurveyResponse, error) {
	return values(loadByID(ctx, s, ids, func(r *domain.SurveyResponse) uuid.UUID { return r.ID }))
}

// SyncRunsByID returns the runs with these ids and their streams, by id,
// in two statements.
func (s *Store) SyncRunsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SyncRun, error) {
	var runs []domain.SyncRun
	if err := s.db.WithContext(ctx).Where(anyID, idList(ids)).Find(&runs).Error; err != nil {
		return nil, fmt.Errorf("store: sync runs by id: %w", err)
	}
	return s.keyedWithStreams(ctx, runs, func(r domain.SyncRun) uuid.UUID { return r.ID })
}

// IdentitySuggestionsByID returns the suggestions with these ids, decided
// or not, by id.
func (s *Store) IdentitySuggestionsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]identity.Suggestion, error) {
	var rows []suggestionRow
	err := s.db.WithContext(ctx).Raw(`SELECT s.id, s.account_a, s.candidate_b, s.matched_by, s.key, s.confidence, s.created_at
		FROM identity_suggestions s WHERE s.`+anyID, idList(ids)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: identity suggestions by id: %w", err)
	}
	list, err := s.suggestions(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]identity.Suggestion, len(list))
	for _, sg := range list {
		out[sg.ID] = sg
	}
	return out, nil
}

// IdentityChangesByID returns the merges and splits with these ids, by
// id.
func (s *Store) IdentityChangesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]identity.Change, error) {
	var rows []changeRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+changeColumns+` FROM identity_changes WHERE `+anyID, idList(ids)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: identity changes by id: %w", err)
	}
	out := make(map[uuid.UUID]identity.Change, len(rows))
	for _, r := range rows {
		c, err := r.change()
		if err != nil {
			return nil, fmt.Errorf("store: identity changes by id: %w", err)
		}
		out[c.ID] = *c
	}
	return out, nil
}

// ObjectivesByID returns the success-plan objectives with these ids, by
// id.
func (s *Store) ObjectivesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]health.Objective, error) {
	var rows []objectiveRow
	if err := s.db.WithContext(ctx).Where(anyID, idList(ids)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: objectives by id: %w", err)
	}
	out := make(map[uuid.UUID]health.Objective, len(rows))
	for _, r := range rows {
		out[r.ID] = r.objective()
	}
	return out, nil
}
