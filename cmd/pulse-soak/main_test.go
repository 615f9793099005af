package main

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/pulseproject/pulse/graph"
)

// TestQueriesFitTheSchema keeps the soak's requests valid: a request that
// no longer validates would count as an error in every minute.
func TestQueriesFitTheSchema(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, q := range []string{accountsPage, accountPage, healthSummary, retention, mrrMovements, coverage, nps, handoffGaps} {
		_, errs := gqlparser.LoadQuery(schema, q)
		require.Empty(t, errs, q)
	}
}
