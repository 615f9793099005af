package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/store"
)

// guarded is a handler with real API keys and the given limits.
type guarded struct {
	url, key string
}

func newGuarded(t *testing.T, limits graph.Limits, production bool) *guarded {
	t.Helper()
	db := openDB(t)
	seed(t, db)
	keys := store.NewKeys(db)
	_, secret, err := keys.Create(context.Background(), "test", domain.Viewer, "test")
	require.NoError(t, err)
	h := graph.NewHandler(store.New(db), &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixtureNow },
		Keys: keys, Limits: limits, Production: production,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &guarded{url: srv.URL, key: secret}
}

// ask posts body and returns the status, headers and decoded answer.
func (g *guarded) ask(t *testing.T, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.url+"/query", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), "%.300s", b)
	return resp.StatusCode, resp.Header, out
}

func queryBody(q string) []byte {
	b, _ := json.Marshal(map[string]any{"query": q})
	return b
}

// firstError is the first error's message and code.
func firstError(out map[string]any) (string, string) {
	errs, _ := out["errors"].([]any)
	if len(errs) == 0 {
		return "", ""
	}
	e := errs[0].(map[string]any)
	ext, _ := e["extensions"].(map[string]any)
	code, _ := ext["code"].(string)
	return e["message"].(string), code
}

// TestHostileQueries sends what a careless or hostile client might: each
// is refused with its own error, and the server goes on serving.
func TestHostileQueries(t *testing.T) {
	g := newGuarded(t, graph.Limits{}, false)
	deep := "{ accounts(first: 1) { edges { node { " + strings.Repeat("team { person { ", 9) + "name" + strings.Repeat(" } }", 9) + " } } } }"
	var aliases50, aliases500 strings.Builder
	for i := range 500 {
		f := " a" + string(rune('0'+i%10)) + strings.Repeat("x", i/10) + ": accounts(first: 100) { edges { node { name team { person { name } } } } }"
		if i < 50 {
			aliases50.WriteString(f)
		}
		aliases500.WriteString(f)
	}
	tests := []struct {
		name    string
		body    []byte
		status  int
		code    string
		message string
	}{
		// The schema has no cycle, so a query this deep cannot validate;
		// the depth limit (TestDepthLimit) stands behind validation.
		{"20 levels deep", queryBody(deep), http.StatusOK, "GRAPHQL_VALIDATION_FAILED", `Cannot query field "person"`},
		{"50 aliases of an expensive field", queryBody("{" + aliases50.String() + " }"), http.StatusOK, "COMPLEXITY_LIMIT_EXCEEDED", "the query costs 120050; the limit is 10000"},
		{"500 aliases", queryBody("{" + aliases500.String() + " }"), http.StatusOK, "GRAPHQL_PARSE_FAILED", "token limit"},
		{"first: 100000", queryBody("{ accounts(first: 100000) { edges { node { name } } } }"), http.StatusOK, "COMPLEXITY_LIMIT_EXCEEDED", "costs 300001"},
		{"last: 100000", queryBody("{ accounts(last: 100000) { edges { node { name } } } }"), http.StatusOK, "COMPLEXITY_LIMIT_EXCEEDED", "costs 300001"},
		{"deals(last: 100000) under 100 accounts", queryBody("{ accounts(first: 100) { edges { node { deals(last: 100000) { edges { node { name } } } } } } }"),
			http.StatusOK, "COMPLEXITY_LIMIT_EXCEEDED", "the query costs"},
		{"a 10 MB body", queryBody("{ accounts { totalCount } } #" + strings.Repeat("x", 10<<20)), http.StatusRequestEntityTooLarge, "BAD_USER_INPUT", "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, out := g.ask(t, tc.body)
			msg, code := firstError(out)
			require.Equal(t, tc.status, status, out)
			require.Equal(t, tc.code, code, msg)
			require.Contains(t, msg, tc.message)
			require.Nil(t, out["data"])
		})
	}
	status, _, out := g.ask(t, queryBody("{ accounts(first: 100) { totalCount edges { node { name team { person { name } } } } } }"))
	require.Equal(t, http.StatusOK, status, out)
	require.Nil(t, out["errors"])
}

// TestCostOfPages checks what a page costs: first or last alike, 20 for a
// connection given neither, and the number of ids for nodes. With a limit
// of 1, every query is refused with its cost.
func TestCostOfPages(t *testing.T) {
	g := newGuarded(t, graph.Limits{MaxCost: 1}, false)
	for q, cost := range map[string]int{
		"{ accounts(first: 5) { edges { node { name } } } }":                                                      1 + 5*3,
		"{ accounts(last: 5) { edges { node { name } } } }":                                                       1 + 5*3,
		"{ accounts { edges { node { name } } } }":                                                                1 + 20*3,
		"{ accounts(last: 2) { edges { node { deals(last: 3) { edges { node { name } } } } } } }":                 1 + 2*(1+(1+(1+3*3))),
		"query($l: Int) { accounts(last: $l) { totalCount } }":                                                    1 + 1,
		`{ nodes(ids: ["000000a1-0000-0000-0000-000000000001", "000000a1-0000-0000-0000-000000000002"]) { id } }`: 1 + 2*1,
	} {
		_, _, out := g.ask(t, queryBody(q))
		msg, code := firstError(out)
		require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", code, q)
		require.Contains(t, msg, fmt.Sprintf("the query costs %d;", cost), q)
	}
}

func TestDepthLimit(t *testing.T) {
	g := newGuarded(t, graph.Limits{MaxDepth: 4}, false)
	status, _, out := g.ask(t, queryBody("{ accounts(first: 1) { edges { node { team { person { name } } } } } }"))
	require.Equal(t, http.StatusOK, status)
	msg, code := firstError(out)
	require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", code)
	require.Equal(t, "the query nests 6 fields deep; the limit is 4", msg)
	_, _, out = g.ask(t, queryBody("{ accounts(first: 1) { edges { node { name } } } }"))
	require.Nil(t, out["errors"], "four deep is allowed")
}

func TestRateLimitPerKey(t *testing.T) {
	g := newGuarded(t, graph.Limits{PerMinute: 6, Burst: 3}, false)
	q := queryBody("{ accounts(first: 1) { totalCount } }")
	for range 3 {
		status, _, out := g.ask(t, q)
		require.Equal(t, http.StatusOK, status, out)
	}
	status, h, out := g.ask(t, q)
	require.Equal(t, http.StatusTooManyRequests, status)
	msg, code := firstError(out)
	require.Equal(t, "RATE_LIMITED", code)
	require.Contains(t, msg, "retry in 10 s")
	require.Equal(t, "10", h.Get("Retry-After"))
	require.EqualValues(t, 10, out["errors"].([]any)[0].(map[string]any)["extensions"].(map[string]any)["retryAfterSeconds"])
}

func TestProductionHidesTheSchema(t *testing.T) {
	for _, production := range []bool{false, true} {
		g := newGuarded(t, graph.Limits{}, production)
		_, _, out := g.ask(t, queryBody("{ __schema { queryType { name } } }"))
		msg, _ := firstError(out)
		require.Equal(t, production, msg != "", "introspection refused in production only: %v", out)

		_, _, out = g.ask(t, queryBody("{ acounts { totalCount } }"))
		msg, _ = firstError(out)
		require.Contains(t, msg, `Cannot query field "acounts"`)
		require.Equal(t, !production, strings.Contains(msg, `Did you mean "accounts"`), msg)

		resp, err := http.Get(g.url + "/")
		require.NoError(t, err)
		resp.Body.Close()
		want := http.StatusOK
		if production {
			want = http.StatusNotFound
		}
		require.Equal(t, want, resp.StatusCode, "GraphiQL")
	}
}

// slowBackend is the real store, made slow: Accounts waits for the
// request to end.
type slowBackend struct{ graph.Backend }

func (b slowBackend) Accounts(ctx context.Context, q domain.AccountQuery) (domain.AccountPage, error) {
	<-ctx.Done()
	return b.Backend.Accounts(ctx, q)
}

func TestTimeoutEndsTheRequest(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	h := graph.NewHandler(slowBackend{store.New(db)}, &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Limits: graph.Limits{Timeout: 100 * time.Millisecond},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	g := &guarded{url: srv.URL}
	status, _, out := g.ask(t, queryBody("{ accounts(first: 5) { edges { node { name } } } }"))
	require.Equal(t, http.StatusOK, status)
	msg, code := firstError(out)
	require.Equal(t, "TIMEOUT", code, out)
	require.Equal(t, "the request ran out of time: ask for less, such as a shorter window or fewer reports", msg, "the database's words stay on the server")
}

func TestAutomaticPersistedQueries(t *testing.T) {
	g := newGuarded(t, graph.Limits{}, false)
	q := "{ accounts(first: 2) { totalCount } }"
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	hashOnly, _ := json.Marshal(map[string]any{"extensions": ext})
	withQuery, _ := json.Marshal(map[string]any{"query": q, "extensions": ext})

	_, _, out := g.ask(t, hashOnly)
	msg, code := firstError(out)
	require.Equal(t, "PERSISTED_QUERY_NOT_FOUND", code, msg)
	_, _, out = g.ask(t, withQuery)
	require.Nil(t, out["errors"])
	_, _, again := g.ask(t, hashOnly)
	require.Equal(t, out, again, "the hash alone now runs the query")

	bad, _ := json.Marshal(map[string]any{"query": "{ sources { name } }", "extensions": ext})
	_, _, out = g.ask(t, bad)
	msg, code = firstError(out)
	require.Equal(t, "BAD_USER_INPUT", code)
	require.Equal(t, "provided APQ hash does not match query", msg)
}
