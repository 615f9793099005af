// Package graphiql serves GraphiQL from the binary: its page and every
// asset it loads (GraphiQL 3.8.3, React 18.3.1, vendored minified from the
// npm registry with their licences under assets/), so that it works on a
// machine without internet. The page asks for the API key once, keeps it
// in the tab's sessionStorage, never in a URL, and sends it with every
// request GraphiQL makes, the schema's introspection included.
package graphiql

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/pulseproject/pulse/graph/embedded"
)

//go:embed index.html pulse.js assets
var files embed.FS

// AssetsPath is where the page's scripts and styles are served from.
const AssetsPath = "/graphiql/"

// Page serves GraphiQL's page, which posts to /query.
func Page() http.Handler {
	page, err := files.ReadFile("index.html")
	if err != nil {
		panic(err) // embedded above: cannot happen
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
}

// Assets serves the page's scripts, styles and licences under AssetsPath.
func Assets() http.Handler {
	sub, err := fs.Sub(files, ".")
	if err != nil {
		panic(err) // a constant path: cannot happen
	}
	return embedded.FileServer(AssetsPath, sub)
}
