package graph

import (
	"context"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// incrementalKey marks a request whose client accepts incremental
// delivery: a POST accepting multipart/mixed, which gqlgen's MultipartMixed
// transport answers part by part.
type incrementalKey struct{}

func withIncremental(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, incrementalKey{}, transport.MultipartMixed{}.Supports(r))
}

// deliverWhole runs @defer as if it were absent for a client that cannot
// take incremental delivery (one accepting JSON only, or a WebSocket), as
// the incremental-delivery proposal allows: gqlgen would otherwise answer
// such a client with the first part alone, its deferred fields null and
// the rest lost. The operation is parsed again, without its @defer
// directives, rather than changed in place, since the parsed document is
// shared through the query cache with clients that do take parts.
type deliverWhole struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = deliverWhole{}

func (deliverWhole) ExtensionName() string                   { return "DeliverWhole" }
func (deliverWhole) Validate(graphql.ExecutableSchema) error { return nil }

func (d deliverWhole) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if incremental, _ := ctx.Value(incrementalKey{}).(bool); incremental || !strings.Contains(rc.RawQuery, "defer") {
		return nil
	}
	if !hasDefer(rc.Doc) {
		return nil
	}
	// It parsed a moment ago, into rc.Doc.
	doc, err := parser.ParseQuery(&ast.Source{Input: rc.RawQuery})
	if err != nil {
		return gqlerror.Wrap(err)
	}
	dropDefer(doc)
	if errs := validator.ValidateWithRules(d.schema, doc, nil); len(errs) > 0 {
		return errs[0]
	}
	rc.Doc = doc
	rc.Operation = doc.Operations.ForName(rc.OperationName)
	return nil
}

// hasDefer reports whether any fragment of doc is deferred.
func hasDefer(doc *ast.QueryDocument) bool {
	found := false
	eachFragment(doc, func(directives *ast.DirectiveList) {
		found = found || directives.ForName("defer") != nil
	})
	return found
}

// dropDefer removes every @defer of doc.
func dropDefer(doc *ast.QueryDocument) {
	eachFragment(doc, func(directives *ast.DirectiveList) {
		kept := (*directives)[:0]
		for _, d := range *directives {
			if d.Name != "defer" {
				kept = append(kept, d)
			}
		}
		*directives = kept
	})
}

// eachFragment calls f with the directives of every inline fragment and
// fragment spread of doc, where @defer may stand.
func eachFragment(doc *ast.QueryDocument, f func(*ast.DirectiveList)) {
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				walk(sel.SelectionSet)
			case *ast.InlineFragment:
				f(&sel.Directives)
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				f(&sel.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, frag := range doc.Fragments {
		walk(frag.SelectionSet)
	}
}
