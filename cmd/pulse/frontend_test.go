package main_test

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSchemaPrintsTheMergedSDL: `pulse schema` needs no database and
// prints what the repository keeps for code generators.
func TestSchemaPrintsTheMergedSDL(t *testing.T) {
	c := &cli{env: append(os.Environ(), "DATABASE_URL=postgres://nobody@127.0.0.1:1/none")}
	out := c.ok(t, "schema")
	kept, err := os.ReadFile("../../graph/schema.graphql")
	require.NoError(t, err)
	require.Equal(t, string(kept), out)
	require.Contains(t, out, "type Query {")
	require.NotContains(t, out, "extend type")
}

// TestServeForFrontends: --cors-origin lets the listed origin's browser
// in, preflight and all; --production serves no GraphiQL and its banner
// does not offer one, but serves the app; a --cors-origin that is no
// origin is refused.
func TestServeForFrontends(t *testing.T) {
	c := newCLI(t)
	out := c.exit(t, 2, "serve", "--cors-origin", "app.example.com")
	require.Contains(t, out, `--cors-origin "app.example.com": want a scheme and a host`)

	const app = "https://app.example.com"
	s := startServe(t, c.env, "--cors-origin", app, "--cors-origin", "http://localhost:5173")
	// The banner's lines follow the first, which startServe waited for.
	require.Eventually(t, func() bool { return strings.Contains(s.out.String(), "Every request needs an API key") }, time.Minute, 10*time.Millisecond)
	require.Contains(t, s.out.String(), "GraphiQL: "+s.url+"/")
	req, err := http.NewRequest(http.MethodOptions, s.url+"/query", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", app)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, app, resp.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	page, err := http.Get(s.url + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	require.Equal(t, http.StatusOK, page.StatusCode)
	require.Contains(t, string(body), "/graphiql/assets/graphiql.min.js")
	s.stop(t)

	s = startServe(t, c.env, "--production")
	require.Eventually(t, func() bool { return strings.Contains(s.out.String(), "Every request needs an API key") }, time.Minute, 10*time.Millisecond)
	require.NotContains(t, s.out.String(), "GraphiQL")
	require.Contains(t, s.out.String(), "GraphQL endpoint: "+s.url+"/query")
	page, err = http.Get(s.url + "/")
	require.NoError(t, err)
	body, _ = io.ReadAll(page.Body)
	page.Body.Close()
	require.Equal(t, http.StatusNotFound, page.StatusCode)
	require.False(t, strings.Contains(string(body), "graphiql"), "no GraphiQL under --production")
	// The app uses only the public API: it is served in production too.
	require.Contains(t, s.out.String(), "Pulse app: "+s.url+"/app/")
	page, err = http.Get(s.url + "/app/")
	require.NoError(t, err)
	page.Body.Close()
	require.Equal(t, http.StatusOK, page.StatusCode)
	s.stop(t)
}
