package graph_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pulseproject/pulse/graph"
)

// TestEverythingIsDescribed keeps the schema its own documentation: every
// type, field, argument, enum value and input field says what it is, as
// GraphiQL shows it to whoever reads the API.
func TestEverythingIsDescribed(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for name, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		// The root types are described by their fields.
		if strings.TrimSpace(def.Description) == "" && name != "Query" && name != "Mutation" {
			t.Errorf("type %s has no description", name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				t.Errorf("%s %s.%s has no description", kindOf(def), name, f.Name)
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					t.Errorf("argument %s of %s.%s has no description", a.Name, name, f.Name)
				}
			}
		}
		for _, v := range def.EnumValues {
			if strings.TrimSpace(v.Description) == "" {
				t.Errorf("enum value %s.%s has no description", name, v.Name)
			}
		}
	}
}

func kindOf(def *ast.Definition) string {
	if def.Kind == ast.InputObject {
		return "input field"
	}
	return "field"
}
