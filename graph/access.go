package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pulseproject/pulse/domain"
)

// Authenticator tells whose API key a request carries. *store.Keys
// implements it; its errors wrap domain.ErrUnauthenticated for a key that
// is not valid.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (*domain.APIKey, error)
}

// fieldAccess is the one place that says which role may resolve what,
// keyed "Type.field". Fields not listed need Viewer, except the fields of
// Mutation, which need Admin unless listed: a new mutation is closed until
// someone opens it here.
var fieldAccess = map[string]domain.Access{
	// Sources hold credentials and drive the connectors.
	"Source.config":         domain.Admin,
	"Mutation.createSource": domain.Admin,
	"Mutation.updateSource": domain.Admin,
	"Mutation.deleteSource": domain.Admin,
	"Mutation.runSync":      domain.Admin,
	// The workspace's rules.
	"Mutation.updateSettings": domain.Admin,
	// API keys; the fields of ApiKey are closed by typeAccess.
	"Query.apiKeys":         domain.Admin,
	"Mutation.createApiKey": domain.Admin,
	"Mutation.revokeApiKey": domain.Admin,
	// Editors keep the account work: success plans, notes, manual merges
	// and scorecards.
	"Mutation.saveScorecard":              domain.Editor,
	"Mutation.rescoreHealth":              domain.Editor,
	"Mutation.createSuccessPlanObjective": domain.Editor,
	"Mutation.updateSuccessPlanObjective": domain.Editor,
	"Mutation.mergeAccounts":              domain.Editor,
	"Mutation.splitAccount":               domain.Editor,
	"Mutation.undoIdentityChange":         domain.Editor,
	"Mutation.dismissIdentitySuggestion":  domain.Editor,
	"Mutation.addNote":                    domain.Editor,
}

// typeAccess is the role every field of a type needs, unless fieldAccess
// says otherwise. node(id) refuses an object of such a type to a key
// without the role, so that not even its existence shows.
var typeAccess = map[string]domain.Access{
	"ApiKey": domain.Admin,
}

// required is the role a field needs.
func required(object, field string) domain.Access {
	if need, ok := fieldAccess[object+"."+field]; ok {
		return need
	}
	if need, ok := typeAccess[object]; ok {
		return need
	}
	if object == "Mutation" {
		return domain.Admin
	}
	return domain.Viewer
}

// forbidden says why the request's key may not have what, which needs need;
// nil when it may.
func forbidden(ctx context.Context, what string, need domain.Access) error {
	if need == domain.Viewer {
		return nil
	}
	key := keyOf(ctx)
	if key != nil && key.Role.Allows(need) {
		return nil
	}
	have := "no"
	if key != nil {
		have = "a " + string(key.Role)
	}
	return fmt.Errorf("%s needs an %s or higher key; this request has %s key: %w", what, need, have, domain.ErrForbidden)
}

type keyCtx struct{}

// keyOf is the API key a request was made with; nil when the handler
// authenticates no one.
func keyOf(ctx context.Context) *domain.APIKey {
	k, _ := ctx.Value(keyCtx{}).(*domain.APIKey)
	return k
}

// authenticate reads the request's bearer key. It answers 401 and reports
// false when there is none or it is not valid; with no Authenticator every
// request passes, as an admin.
func authenticate(auth Authenticator, w http.ResponseWriter, r *http.Request) (context.Context, bool) {
	ctx := r.Context()
	if auth == nil {
		return context.WithValue(ctx, keyCtx{}, &domain.APIKey{Name: "unauthenticated handler", Role: domain.Admin}), true
	}
	header := r.Header.Get("Authorization")
	scheme, secret, _ := strings.Cut(header, " ")
	if header == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pulse"`)
		writeCoded(w, http.StatusUnauthorized, CodeUnauthenticated, "an API key is required: send the header Authorization: Bearer pulse_…")
		return nil, false
	}
	key, err := auth.Authenticate(ctx, strings.TrimSpace(secret))
	switch {
	case errors.Is(err, domain.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="pulse", error="invalid_token"`)
		writeCoded(w, http.StatusUnauthorized, CodeUnauthenticated, err.Error())
		return nil, false
	case err != nil:
		writeCoded(w, http.StatusInternalServerError, CodeInternal, "internal error")
		return nil, false
	}
	return context.WithValue(ctx, keyCtx{}, key), true
}

// authorize refuses a field the request's role may not resolve.
func authorize(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return next(ctx)
	}
	if err := forbidden(ctx, fc.Object+"."+fc.Field.Name, required(fc.Object, fc.Field.Name)); err != nil {
		return nil, err
	}
	return next(ctx)
}
