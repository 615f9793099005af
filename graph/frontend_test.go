package graph_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/store"
)

// TestGraphiQLIsServedFromTheBinary: the page at / loads every script and
// style from the server itself, so it works with no internet; under
// Production neither the page nor its assets are served.
func TestGraphiQLIsServedFromTheBinary(t *testing.T) {
	db := openDB(t)
	for _, production := range []bool{false, true} {
		s := newServerWith(t, store.New(db), func(o *graph.Options) { o.Production = production })
		resp, err := http.Get(s.url + "/")
		require.NoError(t, err)
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if production {
			require.Equal(t, http.StatusNotFound, resp.StatusCode, "no GraphiQL in production")
			asset, err := http.Get(s.url + "/graphiql/assets/graphiql.min.js")
			require.NoError(t, err)
			asset.Body.Close()
			require.Equal(t, http.StatusNotFound, asset.StatusCode)
			continue
		}
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
		require.NotRegexp(t, `(?i)(src|href)\s*=\s*["']?(https?:)?//`, string(page), "nothing from another host")
		// Every src and href but the empty inline icon, which keeps the
		// browser from asking for /favicon.ico.
		refs := regexp.MustCompile(`(?:src|href)="([^"d][^"]*)"`).FindAllStringSubmatch(string(page), -1)
		require.Len(t, refs, 5, "GraphiQL's style, React, ReactDOM, GraphiQL and Pulse's script")
		for _, ref := range refs {
			require.True(t, strings.HasPrefix(ref[1], "/graphiql/"), ref[1])
			asset, err := http.Get(s.url + ref[1])
			require.NoError(t, err)
			body, _ := io.ReadAll(asset.Body)
			asset.Body.Close()
			require.Equal(t, http.StatusOK, asset.StatusCode, ref[1])
			require.NotEmpty(t, body, ref[1])
		}
		// The key is taken from the tab's storage and sent as a header,
		// introspection included; the page never reads it from its URL.
		resp, err = http.Get(s.url + "/graphiql/pulse.js")
		require.NoError(t, err)
		script, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Contains(t, string(script), "sessionStorage")
		require.Contains(t, string(script), "Authorization")
		require.NotContains(t, string(script), "location.search")
		require.NotContains(t, string(script), "location.hash")
		// No directory listing.
		resp, err = http.Get(s.url + "/graphiql/assets/")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	}
}

// TestCORS: a listed origin's preflight is answered with what a browser
// needs to send the key, and its requests carry the allow-origin header;
// another origin, or any origin when none is listed, gets no CORS header.
func TestCORS(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	const app = "https://app.example.com"
	tests := []struct {
		name    string
		origins []string
		origin  string
		allowed bool
	}{
		{"listed origin", []string{"https://other.example.com", app}, app, true},
		{"unlisted origin", []string{"https://other.example.com"}, app, false},
		{"no origins listed", nil, app, false},
		{"same-site request without Origin", []string{app}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServerWith(t, store.New(db), func(o *graph.Options) { o.CORSOrigins = tt.origins })
			req, err := http.NewRequest(http.MethodOptions, s.url+"/query", nil)
			require.NoError(t, err)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusNoContent, resp.StatusCode, "a preflight is never 405")
			h := resp.Header
			if tt.allowed {
				require.Equal(t, app, h.Get("Access-Control-Allow-Origin"))
				require.Equal(t, "GET, POST", h.Get("Access-Control-Allow-Methods"))
				require.Contains(t, h.Get("Access-Control-Allow-Headers"), "Authorization")
				require.Contains(t, h.Get("Access-Control-Allow-Headers"), "Content-Type")
				require.Equal(t, "600", h.Get("Access-Control-Max-Age"))
				require.Contains(t, h.Values("Vary"), "Origin")
			} else {
				for name := range h {
					require.False(t, strings.HasPrefix(name, "Access-Control-"), "no CORS header, got %s", name)
				}
			}

			req, err = http.NewRequest(http.MethodPost, s.url+"/query", strings.NewReader(`{"query":"{ sources { name } }"}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
			require.Contains(t, string(body), `"sources"`)
			if tt.allowed {
				require.Equal(t, app, resp.Header.Get("Access-Control-Allow-Origin"))
				require.Contains(t, resp.Header.Values("Vary"), "Origin")
			} else {
				require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
			}
		})
	}
}

// TestDeferIsDeliveredIncrementally: a client accepting multipart/mixed
// gets the deferred fragment in a later part than the rest, as
// introspection's @defer promises; a client accepting JSON only gets one
// ordinary response with everything in it.
func TestDeferIsDeliveredIncrementally(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	const q = `{"query":"{ sources { name ... @defer(label: \"runs\") { lastRun { status } } } }"}`

	req, err := http.NewRequest(http.MethodPost, s.url+"/query", strings.NewReader(q))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", `multipart/mixed;deferSpec=20220824, application/json`)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	mediaType, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/mixed", mediaType)
	parts := multipart.NewReader(resp.Body, params["boundary"])
	var bodies []string
	for {
		p, err := parts.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(p)
		require.NoError(t, err)
		if len(bytes.TrimSpace(b)) > 0 {
			bodies = append(bodies, string(b))
		}
	}
	require.GreaterOrEqual(t, len(bodies), 2, "an initial part and at least one incremental: %q", bodies)
	require.Contains(t, bodies[0], `"hasNext":true`)
	require.Contains(t, bodies[0], `"name":"hubspot"`)
	require.Contains(t, bodies[0], `"lastRun":null`, "the deferred field waits for a later part")
	rest := strings.Join(bodies[1:], "\n")
	require.Contains(t, rest, `"incremental"`)
	require.Contains(t, rest, `"label":"runs"`)
	require.Contains(t, rest, `"lastRun"`)
	require.Contains(t, bodies[len(bodies)-1], `"hasNext":false`)

	// A client accepting JSON only gets everything in one response, the
	// deferred fields filled, as if @defer were absent.
	out := s.post(`query Runs { sources { name ...Run @defer } } fragment Run on Source { lastRun { status } }`, nil)
	require.NotContains(t, string(out), "hasNext")
	require.Contains(t, string(out), `"lastRun":{"status":"FAILED"}`)
	require.Contains(t, string(out), `"lastRun":{"status":"SUCCEEDED"}`)
}

// TestScalarsSayWhereTheirFormatIsSpecified: introspection gives each
// custom scalar's specifiedByURL, which code generators and GraphiQL show.
func TestScalarsSayWhereTheirFormatIsSpecified(t *testing.T) {
	s := newServer(t, openDB(t))
	for _, scalar := range []string{"Time", "Date", "Decimal", "JSON"} {
		out := s.post(`query($n: String!) { __type(name: $n) { kind specifiedByURL } }`, map[string]any{"n": scalar})
		require.Regexp(t, `"kind":"SCALAR","specifiedByURL":"https://[^"]+"`, string(out), scalar)
	}
}
