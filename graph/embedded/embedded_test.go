package embedded_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/graph/embedded"
)

func TestFileServerServesFilesAndListsNoDirectory(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html":    {Data: []byte("<p>app</p>")},
		"assets/app.js": {Data: []byte("run()")},
	}
	srv := httptest.NewServer(embedded.FileServer("/app/", fsys))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{
		{"/app/assets/app.js", http.StatusOK, "run()"},
		{"/app/assets/", http.StatusNotFound, ""},
		{"/app/assets", http.StatusNotFound, ""},
		{"/app/missing.js", http.StatusNotFound, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := http.Get(srv.URL + tc.path)
			require.NoError(t, err)
			defer res.Body.Close()
			require.Equal(t, tc.status, res.StatusCode)
			if tc.body != "" {
				b := make([]byte, 64)
				n, _ := res.Body.Read(b)
				require.Equal(t, tc.body, string(b[:n]))
			}
		})
	}
}
