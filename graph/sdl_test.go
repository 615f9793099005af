package graph_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pulseproject/pulse/graph"
)

// TestSchemaFileIsFresh: the merged SDL the repository keeps for code
// generators is what the server serves, and it loads on its own as one
// document, as Relay's compiler reads it.
func TestSchemaFileIsFresh(t *testing.T) {
	kept, err := os.ReadFile(strings.TrimPrefix(graph.SchemaFile, "graph/"))
	require.NoError(t, err, "run: go run ./cmd/pulse schema > %s", graph.SchemaFile)
	require.Equal(t, graph.SDL(), string(kept), "%s is stale; run: go run ./cmd/pulse schema > %s (or go generate ./graph)", graph.SchemaFile, graph.SchemaFile)

	loaded, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: graph.SchemaFile, Input: string(kept)})
	require.Nil(t, gqlErr)
	served := graph.NewExecutableSchema(graph.Config{}).Schema()
	for name, def := range served.Types {
		got := loaded.Types[name]
		require.NotNil(t, got, "type %s is missing from %s", name, graph.SchemaFile)
		require.Len(t, got.Fields, len(def.Fields), "fields of %s", name)
	}
	require.Len(t, loaded.Types, len(served.Types))
}
