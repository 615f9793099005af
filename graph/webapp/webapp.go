// Package webapp serves the Pulse app at /app/: a single page built with
// Vite from web/app (its sources, package.json and package-lock.json) into
// dist/, which is committed and embedded here, so that the binary serves
// the app with no Node and nothing from a CDN at run time. The app speaks
// to the server only through the public GraphQL API at /query.
//
// dist/SOURCES.sha256 is the hash of the sources the build was made from
// (see SourcesHash); a test fails when it differs from the sources', that
// is when someone changed web/app and did not run `npm run build`.
package webapp

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/pulseproject/pulse/graph/embedded"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

//go:embed dist
var files embed.FS

// Path is where the app is served.
const Path = "/app/"

// contentSecurity lets the page load only what the binary serves and talk
// only to its own origin; Observable Plot styles its charts inline.
const contentSecurity = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Handler serves the app: its page at Path (and a redirect to it from
// /app), its hashed assets under Path+"assets/", cached for good.
func Handler() http.Handler {
	dist, err := fs.Sub(files, "dist")
	if err != nil {
		panic(err) // embedded above: cannot happen
	}
	page, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		panic(err) // embedded above: cannot happen
	}
	assets := embedded.FileServer(Path, dist)
	mux := http.NewServeMux()
	mux.Handle("GET /app", http.RedirectHandler(Path, http.StatusMovedPermanently))
	mux.HandleFunc("GET /app/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", contentSecurity)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		_, _ = w.Write(page)
	})
	mux.HandleFunc("GET /app/assets/", func(w http.ResponseWriter, r *http.Request) {
		// The names carry their content's hash.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		assets.ServeHTTP(w, r)
	})
	return mux
}

// BuiltFrom is the sources hash recorded by the build that is embedded.
func BuiltFrom() string {
	b, err := files.ReadFile("dist/SOURCES.sha256")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// sources are what the build reads, relative to web/app: the files, and
// the folders taken whole.
var sources = []string{"index.html", "package.json", "package-lock.json", "vite.config.js", "scripts", "src"}

// SourcesHash is the hash of the app's sources in dir (web/app), as
// web/app/scripts/stamp.mjs records it: for each source file, in byte
// order of its slash-separated path, the line "<sha256 hex>  <path>\n";
// then the sha256 of those lines.
func SourcesHash(dir string) (string, error) {
	var paths []string
	for _, s := range sources {
		err := filepath.WalkDir(filepath.Join(dir, s), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				rel, err := filepath.Rel(dir, p)
				if err != nil {
					return err
				}
				paths = append(paths, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("app sources: %w", err)
		}
	}
	slices.Sort(paths)
	var lines strings.Builder
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return "", fmt.Errorf("app sources: %w", err)
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(&lines, "%s  %s\n", hex.EncodeToString(sum[:]), p)
	}
	sum := sha256.Sum256([]byte(lines.String()))
	return hex.EncodeToString(sum[:]), nil
}
