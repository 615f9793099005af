package graph_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBodiesThatAreNotJSON are refused as the client's mistake, with a 400
// and a code, not taken for the server's.
func TestBodiesThatAreNotJSON(t *testing.T) {
	s := newServer(t, openDB(t))
	tests := []struct {
		name, accept, body string
	}{
		{"cut short", "application/graphql-response+json", `{ "not a JSON`},
		{"cut short, plain JSON", "application/json", `{"query": "{ sources { name } }"`},
		{"not an object", "application/json", `["{ sources { name } }"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, s.url+"/query", strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", tt.accept)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", body)
			require.Contains(t, string(body), `"code":"BAD_USER_INPUT"`)
			require.Contains(t, string(body), "could not be decoded")
		})
	}
	require.NotContains(t, s.logs.String(), "internal error")
}
