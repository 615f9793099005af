// Package embedded serves files built into the binary — GraphiQL's and
// the app's — as a file server does, but never lists a directory.
package embedded

import (
	"io/fs"
	"net/http"
)

// FileServer serves the files of fsys under prefix, which it strips from
// each request's path; a directory is not found rather than listed.
func FileServer(prefix string, fsys fs.FS) http.Handler {
	return http.StripPrefix(prefix, http.FileServerFS(onlyFiles{fsys}))
}

// onlyFiles is fsys with its directories left out.
type onlyFiles struct{ fs.FS }

func (o onlyFiles) Open(name string) (fs.File, error) {
	f, err := o.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}
