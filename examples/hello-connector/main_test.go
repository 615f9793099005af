package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/sdk/conformance"
)

// helloAPI answers as the Hello API documents: bearer auth, customers in id
// order, two a page, after the id given.
func helloAPI(t *testing.T) *httptest.Server {
	customers := []map[string]any{
		{"id": "c-1", "name": "Acme", "domain": "acme.com", "hubspot_id": "901"},
		{"id": "c-2", "name": "Globex", "domain": "globex.com"},
		{"id": "c-3", "name": "Initech", "domain": "initech.com", "deleted": true},
		{"id": "c-4", "name": "Umbrella", "domain": "umbrella.com"},
		{"id": "c-5", "name": "Hooli", "domain": "hooli.com", "hubspot_id": "905"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":"bad token"}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/v1/me":
			_ = json.NewEncoder(w).Encode(map[string]any{"id": "me"})
		case "/v1/customers":
			after := r.URL.Query().Get("after")
			from := sort.Search(len(customers), func(i int) bool { return after == "" || customers[i]["id"].(string) > after })
			to := min(from+2, len(customers))
			_ = json.NewEncoder(w).Encode(map[string]any{"data": customers[from:to], "has_more": to < len(customers)})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestConforms(t *testing.T) {
	srv := helloAPI(t)
	bin := conformance.Build(t, ".", "hello")
	cfg, err := json.Marshal(map[string]any{"token": "tok", "base_url": srv.URL})
	require.NoError(t, err)
	rep := conformance.Run(t, conformance.Options{Connector: bin, Config: cfg, Deletes: []string{"customers"}})
	for _, r := range rep.Results {
		require.Equal(t, conformance.Pass, r.Status, "%s: %s", r.Rule, r.Detail)
	}
}

func TestCheckRefusesABadToken(t *testing.T) {
	srv := helloAPI(t)
	bin := conformance.Build(t, ".", "hello")
	cfg, err := json.Marshal(map[string]any{"token": "wrong", "base_url": srv.URL})
	require.NoError(t, err)
	rep := conformance.Check(t.Context(), conformance.Options{Connector: bin, Config: cfg})
	r, ok := rep.Result("check")
	require.True(t, ok)
	require.Equal(t, conformance.Fail, r.Status)
	require.Contains(t, r.Detail, "the good config has problems: token: the API refused the credentials (401 Unauthorized)")
	require.NotContains(t, r.Detail, "config: token", "the field is named once")
}
