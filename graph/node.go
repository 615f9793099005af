package graph

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/domain/identity"
	"github.com/pulseproject/pulse/graph/model"
)

// maxNodes bounds the ids of nodes(ids).
const maxNodes = 100

// nodeTypes names the GraphQL type of each kind of record, for the access
// rules of the type.
var nodeTypes = map[domain.NodeKind]string{
	domain.NodeAccount:            "Account",
	domain.NodePerson:             "Person",
	domain.NodeTeamMember:         "AccountTeamMember",
	domain.NodeContact:            "Contact",
	domain.NodeActivity:           "Activity",
	domain.NodeTicket:             "Ticket",
	domain.NodeDeal:               "Deal",
	domain.NodeSubscriptionItem:   "SubscriptionItem",
	domain.NodeSurveyResponse:     "SurveyResponse",
	domain.NodeSource:             "Source",
	domain.NodeSyncRun:            "SyncRun",
	domain.NodeIdentitySuggestion: "IdentitySuggestion",
	domain.NodeIdentityChange:     "IdentityChange",
	domain.NodeObjective:          "SuccessPlanObjective",
	domain.NodeAPIKey:             "ApiKey",
}

// nodes resolves ids to the objects they name, in order, nil for an id
// naming nothing: one statement finds the kind of every id, then each
// kind's records load through the request's loader of that kind. An
// object whose type the key may not see is left out with a FORBIDDEN
// error of its own.
func (r *Resolver) nodes(ctx context.Context, ids []uuid.UUID) ([]model.Node, error) {
	req := requestOf(ctx)
	kinds, err := req.nodeKind.LoadAll(ctx, ids)
	if err != nil {
		return nil, err
	}
	byKind := map[domain.NodeKind][]int{}
	for i, k := range kinds {
		if k == "" {
			continue
		}
		if need, ok := typeAccess[nodeTypes[k]]; ok {
			if err := forbidden(ctx, fmt.Sprintf("node %s, an %s,", ids[i], nodeTypes[k]), need); err != nil {
				graphql.AddError(ctx, err)
				continue
			}
		}
		byKind[k] = append(byKind[k], i)
	}
	out := make([]model.Node, len(ids))
	for kind, at := range byKind {
		some := make([]uuid.UUID, len(at))
		for j, i := range at {
			some[j] = ids[i]
		}
		found, err := r.loadNodes(ctx, kind, some)
		if err != nil {
			return nil, err
		}
		for j, i := range at {
			out[i] = found[j]
		}
	}
	return out, nil
}

// loadNodes loads the records of one kind, in the order of ids, nil for
// those gone since their kind was found.
func (r *Resolver) loadNodes(ctx context.Context, kind domain.NodeKind, ids []uuid.UUID) ([]model.Node, error) {
	req := requestOf(ctx)
	switch kind {
	case domain.NodeAccount:
		return loadByID(ctx, kind, ids, r.backend.AccountsByID)
	case domain.NodePerson:
		return asNodes(req.person.LoadAll(ctx, ids))
	case domain.NodeTeamMember:
		return loadByID(ctx, kind, ids, r.backend.TeamMembersByID)
	case domain.NodeContact:
		return loadByID(ctx, kind, ids, r.backend.ContactsByID)
	case domain.NodeActivity:
		return loadByID(ctx, kind, ids, r.backend.ActivitiesByID)
	case domain.NodeTicket:
		return loadByID(ctx, kind, ids, r.backend.TicketsByID)
	case domain.NodeDeal:
		return loadByID(ctx, kind, ids, r.backend.DealsByID)
	case domain.NodeSubscriptionItem:
		return loadByID(ctx, kind, ids, r.backend.SubscriptionItemsByID)
	case domain.NodeSurveyResponse:
		return loadByID(ctx, kind, ids, r.backend.SurveysByID)
	case domain.NodeSource:
		return asNodes(req.source.LoadAll(ctx, ids))
	case domain.NodeSyncRun:
		return loadByID(ctx, kind, ids, r.backend.SyncRunsByID)
	case domain.NodeIdentitySuggestion, domain.NodeIdentityChange:
		if r.identity == nil {
			return nil, errNoIdentity
		}
		if kind == domain.NodeIdentitySuggestion {
			return mapNodes(loadByID(ctx, kind, ids, r.identity.IdentitySuggestionsByID))(func(n model.Node) (model.Node, error) {
				return suggestionModel(*n.(*identity.Suggestion)), nil
			})
		}
		return mapNodes(loadByID(ctx, kind, ids, r.identity.IdentityChangesByID))(func(n model.Node) (model.Node, error) {
			return r.changeModel(ctx, n.(*identity.Change))
		})
	case domain.NodeObjective:
		svc, err := r.healthService()
		if err != nil {
			return nil, err
		}
		return mapNodes(loadByID(ctx, kind, ids, svc.ObjectivesByID))(func(n model.Node) (model.Node, error) {
			list, err := objectiveModels(ctx, []health.Objective{*n.(*health.Objective)})
			if err != nil {
				return nil, err
			}
			return &list[0], nil
		})
	case domain.NodeAPIKey:
		return r.apiKeysByID(ctx, ids)
	}
	return nil, fmt.Errorf("graph: node of unknown kind %q", kind)
}

// loadByID loads records of kind through the request's loader of the
// kind, made the first time it is asked for, which fetch serves.
func loadByID[T any](ctx context.Context, kind domain.NodeKind, ids []uuid.UUID, fetch func(context.Context, []uuid.UUID) (map[uuid.UUID]T, error)) ([]model.Node, error) {
	l := listLoader(ctx, "node "+string(kind), byKey(fetch, pointerIfFound[T]))
	return asNodes(l.LoadAll(ctx, ids))
}

// asNodes turns loaded records into nodes, nil (not a nil pointer) for
// those not found.
func asNodes[T any](list []*T, err error) ([]model.Node, error) {
	if err != nil {
		return nil, err
	}
	out := make([]model.Node, len(list))
	for i, v := range list {
		if v != nil {
			out[i] = v
		}
	}
	return out, nil
}

// mapNodes turns each node found into the API's type of it.
func mapNodes(list []model.Node, err error) func(func(model.Node) (model.Node, error)) ([]model.Node, error) {
	return func(f func(model.Node) (model.Node, error)) ([]model.Node, error) {
		if err != nil {
			return nil, err
		}
		out := make([]model.Node, len(list))
		for i, n := range list {
			if n == nil {
				continue
			}
			var err error
			if out[i], err = f(n); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
}

// errNoAPIKeys answers the API key fields of a handler built without an
// APIKeyService.
var errNoAPIKeys = errors.New("graph: no API key service configured")

// apiKeysByID finds keys among them all: they are few.
func (r *Resolver) apiKeysByID(ctx context.Context, ids []uuid.UUID) ([]model.Node, error) {
	if r.apiKeys == nil {
		return nil, errNoAPIKeys
	}
	keys, err := r.apiKeys.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]model.Node, len(ids))
	for i, id := range ids {
		for _, k := range keys {
			if k.ID == id {
				out[i] = &k
			}
		}
	}
	return out, nil
}
