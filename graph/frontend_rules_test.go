package graph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
)

// TestLookupOfAnUnknownID: a lookup by id answers null, with no error, for
// an id that names nothing, as docs/frontend.md says; a mutation on an
// object that is not there answers NOT_FOUND; an unknown id given as a
// reference to another object is BAD_USER_INPUT naming its argument.
func TestLookupOfAnUnknownID(t *testing.T) {
	k := newKeyed(t)
	unknown := uuid.NewString()
	admin := k.keys[domain.Admin]
	for _, q := range []string{
		`query($id: ID!) { node(id: $id) { id } }`,
		`query($id: ID!) { account(id: $id) { id } }`,
		`query($id: ID!) { source(id: $id) { id } }`,
	} {
		status, out := k.as(t, admin, q, map[string]any{"id": unknown})
		require.Equal(t, http.StatusOK, status)
		require.Nil(t, out["errors"], "%s: %v", q, out)
		for _, v := range out["data"].(map[string]any) {
			require.Nil(t, v, q)
		}
	}
	status, out := k.as(t, admin, `query($id: ID!) { nodes(ids: [$id]) { id } }`, map[string]any{"id": unknown})
	require.Equal(t, http.StatusOK, status)
	require.Nil(t, out["errors"])
	require.Equal(t, []any{nil}, out["data"].(map[string]any)["nodes"])

	status, out = k.as(t, admin, `mutation { revokeApiKey(name: "nobody") { name } }`, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{"NOT_FOUND"}, codesOf(out), "%v", out)

	status, out = k.as(t, admin, `mutation($id: ID!) { addNote(accountId: $id, body: "hello") { id } }`, map[string]any{"id": unknown})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{"BAD_USER_INPUT"}, codesOf(out), "%v", out)
	require.Equal(t, "accountId", out["errors"].([]any)[0].(map[string]any)["extensions"].(map[string]any)["field"])
}

// TestHTTPStatusOfEachCode is the table of docs/frontend.md: which HTTP
// status comes with which code, for a client accepting
// application/json and for one accepting application/graphql-response+json.
func TestHTTPStatusOfEachCode(t *testing.T) {
	k := newKeyed(t)
	viewer, admin := k.keys[domain.Viewer], k.keys[domain.Admin]
	tests := []struct {
		name, key, method, body, code string
		json, graphqlResponse         int
	}{
		{"no key", "", "POST", `{"query":"{ sources { name } }"}`, "UNAUTHENTICATED", 401, 401},
		{"unknown key", "pulse_" + strings.Repeat("z", 43), "POST", `{"query":"{ sources { name } }"}`, "UNAUTHENTICATED", 401, 401},
		{"body not JSON", admin, "POST", `{"query":`, "BAD_USER_INPUT", 400, 400},
		{"query does not parse", admin, "POST", `{"query":"{ sources { "}`, "GRAPHQL_PARSE_FAILED", 200, 400},
		{"query does not validate", admin, "POST", `{"query":"{ sourcez { name } }"}`, "GRAPHQL_VALIDATION_FAILED", 200, 400},
		{"mutation by GET", admin, "GET", `mutation { rescoreHealth { accounts } }`, "BAD_USER_INPUT", 406, 406},
		{"persisted query unknown", admin, "POST", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("a", 64) + `"}}}`, "PERSISTED_QUERY_NOT_FOUND", 200, 200},
		{"viewer asks for an admin field", viewer, "POST", `{"query":"{ apiKeys { name } }"}`, "FORBIDDEN", 200, 200},
		{"mutation on an object that is not there", admin, "POST", `{"query":"mutation { revokeApiKey(name: \"nobody\") { name } }"}`, "NOT_FOUND", 200, 200},
		{"query too costly", admin, "POST", `{"query":"{ accounts(first: 100000) { edges { node { name } } } }"}`, "COMPLEXITY_LIMIT_EXCEEDED", 200, 200},
		{"bad argument", admin, "POST", `{"query":"{ accounts(first: -1) { totalCount } }"}`, "BAD_USER_INPUT", 200, 200},
	}
	for _, tt := range tests {
		for _, accept := range []string{"application/json", "application/graphql-response+json"} {
			t.Run(tt.name+", "+accept, func(t *testing.T) {
				var req *http.Request
				var err error
				if tt.method == "GET" {
					req, err = http.NewRequest(http.MethodGet, k.url+"/query?query="+url.QueryEscape(tt.body), nil)
				} else {
					req, err = http.NewRequest(http.MethodPost, k.url+"/query", strings.NewReader(tt.body))
					req.Header.Set("Content-Type", "application/json")
				}
				require.NoError(t, err)
				req.Header.Set("Accept", accept)
				if tt.key != "" {
					req.Header.Set("Authorization", "Bearer "+tt.key)
				}
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				want := tt.json
				if accept != "application/json" {
					want = tt.graphqlResponse
				}
				require.Equal(t, want, resp.StatusCode, "%s", b)
				var out map[string]any
				require.NoError(t, json.Unmarshal(b, &out), "%s", b)
				require.Contains(t, codesOf(out), tt.code, "%s", b)
			})
		}
	}
}

// TestFrontendGuideListsEveryKeylessType: the graphcache keys snippet of
// docs/frontend.md names exactly the object types without an id, so that
// a cache set up from it warns about none and normalises every entity.
func TestFrontendGuideListsEveryKeylessType(t *testing.T) {
	doc, err := os.ReadFile("../docs/frontend.md")
	require.NoError(t, err)
	snippet := regexp.MustCompile("(?s)```js\n(const keyless.*?)```").FindSubmatch(doc)
	require.NotNil(t, snippet, "docs/frontend.md has no graphcache keys snippet")
	var listed []string
	for _, m := range regexp.MustCompile(`(?m)^\s+([A-Z][A-Za-z]+): keyless,`).FindAllSubmatch(snippet[1], -1) {
		listed = append(listed, string(m[1]))
	}
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var keyless, entities []string
	for name, def := range schema.Types {
		if def.BuiltIn || def.Kind != ast.Object || strings.HasPrefix(name, "__") ||
			def == schema.Query || def == schema.Mutation || def == schema.Subscription {
			continue
		}
		if def.Fields.ForName("id") == nil {
			keyless = append(keyless, name)
		} else {
			entities = append(entities, name)
		}
	}
	sort.Strings(keyless)
	sort.Strings(listed)
	require.Equal(t, keyless, listed, "the keys snippet of docs/frontend.md lists every keyless type, and no other")
	for _, e := range entities {
		require.True(t, slices.Contains(schema.GetPossibleTypes(schema.Types["Node"]), schema.Types[e]), "entity %s implements Node", e)
		require.Contains(t, string(doc), "`"+e+"`", "docs/frontend.md names the entity %s", e)
	}
}
