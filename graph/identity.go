package graph

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/identity"
	"github.com/pulseproject/pulse/graph/model"
)

// IdentityService keeps one account per customer across sources: the
// suggestions the sync's matching left to people, their manual merges and
// splits, and the matching settings. *store.Store implements it.
//
// Bad input is refused with a *domain.InputError naming each argument at
// fault; an unknown account, change or suggestion with an error wrapping
// domain.ErrNotFound; an undo that cannot be made with one wrapping
// domain.ErrConflict.
type IdentityService interface {
	// IdentitySuggestions returns a page of the suggestions still to decide.
	IdentitySuggestions(ctx context.Context, q identity.SuggestionQuery) (identity.SuggestionPage, error)
	// CountIdentitySuggestions counts the suggestions still to decide
	// that f keeps.
	CountIdentitySuggestions(ctx context.Context, f identity.SuggestionFilter) (int, error)
	// IdentitySuggestionsByID returns the suggestions with these ids,
	// decided or not, by id.
	IdentitySuggestionsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]identity.Suggestion, error)
	// IdentityChangesByID returns the changes with these ids, by id.
	IdentityChangesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]identity.Change, error)
	// IdentityChanges returns the changes involving an account, newest first.
	IdentityChanges(ctx context.Context, accountID uuid.UUID) ([]identity.Change, error)
	// MergeAccounts folds r.IDs[1:] into r.IDs[0].
	MergeAccounts(ctx context.Context, r identity.MergeRequest) (*identity.Change, error)
	// SplitAccount moves refs of an account to a new account.
	SplitAccount(ctx context.Context, r identity.SplitRequest) (*identity.Change, error)
	// UndoIdentityChange reverses a change, recording who undid it.
	UndoIdentityChange(ctx context.Context, id uuid.UUID, actor string) (*identity.Change, error)
	// DismissIdentitySuggestion closes a suggestion for good.
	DismissIdentitySuggestion(ctx context.Context, id uuid.UUID) (*identity.Suggestion, error)
	// IdentitySettings returns the matching settings.
	IdentitySettings(ctx context.Context) (identity.Settings, error)
	// UpdateIdentitySettings applies p and returns the settings as they are.
	UpdateIdentitySettings(ctx context.Context, p identity.SettingsPatch) (identity.Settings, error)
}

// errNoIdentity answers identity fields when the handler was built without
// an IdentityService: a server set up wrong, not the client's fault.
var errNoIdentity = errors.New("graph: no identity service configured")

// apiActor is who acts when the request names nobody.
const apiActor = "api"

func suggestionModel(s identity.Suggestion) *model.IdentitySuggestion {
	return &model.IdentitySuggestion{ID: s.ID, Account: s.Account, Candidate: s.Candidate, MatchedBy: s.MatchedBy,
		Key: s.Key, Confidence: s.Confidence, CreatedAt: s.CreatedAt}
}

var changeKinds = map[string]model.IdentityChangeKind{
	identity.ChangeMerge: model.IdentityChangeKindMerge,
	identity.ChangeSplit: model.IdentityChangeKindSplit,
}

// changeModel is c as the API shows it, with its accounts; an account
// since retired reads as null.
func (r *Resolver) changeModel(ctx context.Context, c *identity.Change) (*model.IdentityChange, error) {
	out := &model.IdentityChange{ID: c.ID, Kind: changeKinds[c.Kind], AccountIds: c.Involved, Actor: c.Actor, Reason: c.Reason,
		Moved: make([]model.MovedRows, len(c.Moved)), CreatedAt: c.CreatedAt, UndoneAt: c.UndoneAt}
	if c.UndoneBy != "" {
		out.UndoneBy = &c.UndoneBy
	}
	for i, m := range c.Moved {
		out.Moved[i] = model.MovedRows{Table: m.Table, Rows: m.Rows}
	}
	var err error
	if out.Account, err = r.liveAccount(ctx, c.AccountID); err != nil {
		return nil, err
	}
	if c.NewAccountID != nil {
		if out.NewAccount, err = r.liveAccount(ctx, *c.NewAccountID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// liveAccount returns the account id, or nil when it is gone.
func (r *Resolver) liveAccount(ctx context.Context, id uuid.UUID) (*domain.Account, error) {
	a, err := r.backend.Account(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	return a, err
}

func identitySettingsModel(s identity.Settings) *model.IdentitySettings {
	out := &model.IdentitySettings{MergeThreshold: s.MergeThreshold, UpdatedAt: s.UpdatedAt, Precedence: make([]model.FieldPrecedence, len(s.Precedence))}
	for i, p := range s.Precedence {
		out.Precedence[i] = model.FieldPrecedence{Field: p.Field, Kinds: p.Kinds}
	}
	return out
}

// actorOf names who makes a change: the request's API key, or "api" for
// a handler that authenticates no one.
func actorOf(ctx context.Context) string {
	if k := keyOf(ctx); k != nil && k.ID != uuid.Nil {
		return "key:" + k.Name
	}
	return apiActor
}
