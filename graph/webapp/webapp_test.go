package webapp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/graph/webapp"
)

// TestBuildIsFresh fails when web/app changed after the committed build
// was made: run `npm ci && npm run build` in web/app and commit
// graph/webapp/dist.
func TestBuildIsFresh(t *testing.T) {
	sum, err := webapp.SourcesHash("../../web/app")
	require.NoError(t, err)
	require.Equal(t, sum, webapp.BuiltFrom(),
		"graph/webapp/dist was built from other sources than web/app's: run `npm ci && npm run build` in web/app and commit graph/webapp/dist")
}

// TestServesThePageAndItsAssets: the page and every asset it names are
// served from the binary, the page under a policy that lets it load
// nothing from elsewhere; no folder is listed.
func TestServesThePageAndItsAssets(t *testing.T) {
	srv := httptest.NewServer(webapp.Handler())
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	resp, page := get("/app")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, srv.URL+"/app/", resp.Request.URL.String(), "/app redirects to /app/")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	var assets int
	for _, ref := range refs {
		if strings.HasPrefix(ref[1], "data:") {
			continue
		}
		require.True(t, strings.HasPrefix(ref[1], "/app/assets/"), "served from the binary: %s", ref[1])
		resp, body := get(ref[1])
		require.Equal(t, http.StatusOK, resp.StatusCode, ref[1])
		require.NotEmpty(t, body)
		require.Contains(t, resp.Header.Get("Cache-Control"), "immutable")
		assets++
	}
	require.GreaterOrEqual(t, assets, 2, "a script and a stylesheet")
	for _, path := range []string{"/app/assets/", "/app/SOURCES.sha256/", "/app/nothing.js"} {
		resp, _ := get(path)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
}
