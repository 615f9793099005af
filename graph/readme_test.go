package graph_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/pulseproject/pulse/graph"
)

// TestReadmeQueries keeps the README's example queries true to the schema:
// a frontend team copies them first.
func TestReadmeQueries(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllSubmatch(readme, -1)
	require.NotEmpty(t, blocks, "the README shows no GraphQL queries")
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for i, b := range blocks {
		_, errs := gqlparser.LoadQuery(schema, string(b[1]))
		require.Empty(t, errs, "README query %d:\n%s", i+1, b[1])
	}
}
