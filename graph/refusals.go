package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// noIntrospection refuses, in production, an operation that asks for the
// schema (__schema or __type, in the operation or its fragments) as a
// query that does not validate, as GraphQL servers commonly do: the
// client's mistake, answered with GRAPHQL_VALIDATION_FAILED. Left to
// gqlgen, the field would fail as a resolver error, INTERNAL, logged as
// one: anyone with a key could fill the error log.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	op := rc.Doc.Operations.ForName(rc.OperationName)
	if op == nil {
		return nil
	}
	if f := introspectionField(op.SelectionSet, map[string]bool{}); f != nil {
		err := gqlerror.ErrorPosf(f.Position, "introspection is turned off on this server: %s is not available", f.Name)
		errcode.Set(err, errcode.ValidationFailed)
		return err
	}
	return nil
}

// introspectionField is the first __schema or __type field selected in
// set, through fragments (each visited once).
func introspectionField(set ast.SelectionSet, seen map[string]bool) *ast.Field {
	for _, sel := range set {
		var inner ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return s
			}
			inner = s.SelectionSet
		case *ast.InlineFragment:
			inner = s.SelectionSet
		case *ast.FragmentSpread:
			if seen[s.Name] || s.Definition == nil {
				continue
			}
			seen[s.Name] = true
			inner = s.Definition.SelectionSet
		}
		if f := introspectionField(inner, seen); f != nil {
			return f
		}
	}
	return nil
}

// getTransport is gqlgen's GET transport, whose own refusals carry a code
// like every other error: a mutation sent by GET (406) and a query string
// or variables that do not decode (400) are the client's mistakes,
// BAD_USER_INPUT.
type getTransport struct{ transport.GET }

func (t getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	cw := &codedRefusal{ResponseWriter: w}
	t.GET.Do(cw, r, exec)
	cw.finish()
}

// codedRefusal holds back a 400 or 406 answer to add a code to the errors
// that have none.
type codedRefusal struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *codedRefusal) WriteHeader(status int) {
	if status == http.StatusBadRequest || status == http.StatusNotAcceptable {
		c.status = status
		return
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *codedRefusal) Write(p []byte) (int, error) {
	if c.status != 0 {
		return c.body.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

func (c *codedRefusal) finish() {
	if c.status == 0 {
		return
	}
	body := c.body.Bytes()
	var resp struct {
		Errors []map[string]any `json:"errors"`
	}
	if json.Unmarshal(body, &resp) == nil {
		coded := false
		for _, e := range resp.Errors {
			ext, _ := e["extensions"].(map[string]any)
			if _, ok := ext["code"]; ok {
				continue
			}
			if ext == nil {
				ext = map[string]any{}
				e["extensions"] = ext
			}
			ext["code"] = CodeBadUserInput
			coded = true
		}
		if coded {
			// Only gqlgen's own refusals lack a code, and they carry
			// nothing but errors.
			body, _ = json.Marshal(resp) // maps of JSON values: cannot fail
		}
	}
	c.ResponseWriter.WriteHeader(c.status)
	_, _ = c.ResponseWriter.Write(body)
}
