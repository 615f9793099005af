package graph_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/internal/plugintest"
	"github.com/pulseproject/pulse/secrets"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
)

// TestIdentity syncs two csv sources that know some customers in common
// (the folders of sync/testdata/identity) through real plugins, then
// drives suggestions, merges, splits and undos over HTTP, comparing each
// response with testdata/identity/NAME.json once ids and times are
// replaced by labels. The steps run in order: each sees what the last did.
func TestIdentity(t *testing.T) {
	// The folder goes with the test binary: TestRevenueReports, which
	// runs later, removes it.
	plugins := plugintest.Dir(t)
	db := openDB(t)
	ctx := context.Background()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	require.NoError(t, err)
	h := host.New(host.Options{Dirs: []string{plugins}})
	svc := &sources.Service{DB: db, Host: h, Box: box}
	engine := &sync.Engine{DB: db, Host: h, Sources: svc}
	srcs := map[string]*domain.Source{}
	for _, name := range []string{"crm", "billing"} {
		dir, err := filepath.Abs(filepath.Join("..", "sync", "testdata", "identity", name))
		require.NoError(t, err)
		src, err := svc.Create(ctx, sources.Input{Kind: "csv", Name: name, Config: map[string]any{"path": dir}})
		require.NoError(t, err)
		run, err := engine.Run(ctx, src, "test")
		require.NoError(t, err)
		require.Equal(t, domain.RunSucceeded, run.Status, run.Error)
		srcs[name] = src
	}
	account := func(src, ext string) string {
		var id uuid.UUID
		require.NoError(t, db.Raw(`SELECT entity_id FROM external_refs WHERE source_id = ? AND entity_type = 'account' AND external_id = ?`,
			srcs[src].ID, ext).Row().Scan(&id))
		return id.String()
	}
	labels := map[string]string{
		account("crm", "crm-1"): "<acme>", account("crm", "crm-2"): "<globex>", account("billing", "bill-2"): "<globex-gmbh>",
		srcs["crm"].ID.String(): "<crm>", srcs["billing"].ID.String(): "<billing>",
	}
	ids := map[string]string{}
	for id, label := range labels {
		ids[label] = id
	}
	st := store.New(db)
	srv := httptest.NewServer(graph.NewHandler(st, svc, nil, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Identity: st,
	}))
	t.Cleanup(srv.Close)
	s := &server{t: t, url: srv.URL}

	// lastChange is the id of the latest change a step made.
	var lastChange string
	steps := []struct {
		name  string
		query string
		vars  func() map[string]any
	}{
		{"external_refs", `query($id: ID!) { account(id: $id) { name domain tier
			externalRefs { source { name } entityType externalId matchedBy confidence } } }`,
			func() map[string]any { return map[string]any{"id": ids["<acme>"]} }},
		{"suggestions", `{ identitySuggestions(first: 10) { totalCount pageInfo { hasNextPage hasPreviousPage }
			edges { node { account { id name } candidate { id name } matchedBy key confidence } } } }`, nil},
		{"suggestions_bad_first", `{ identitySuggestions(first: 0) { totalCount } }`, nil},
		{"merge", `mutation($ids: [ID!]!) { mergeAccounts(ids: $ids, reason: "same company, two tools") {
			id kind account { id name } newAccount { id } accountIds actor reason moved { table rows } undoneAt undoneBy } }`,
			func() map[string]any { return map[string]any{"ids": []string{ids["<globex>"], ids["<globex-gmbh>"]}} }},
		{"merged_refs", `query($id: ID!) { account(id: $id) { name externalRefs { source { name } externalId matchedBy confidence } } }`,
			func() map[string]any { return map[string]any{"id": ids["<globex>"]} }},
		{"suggestions_after_merge", `{ identitySuggestions { totalCount edges { node { matchedBy } } } }`, nil},
		{"changes", `query($id: ID!) { identityChanges(accountId: $id) { kind account { name } reason moved { table rows } undoneAt } }`,
			func() map[string]any { return map[string]any{"id": ids["<globex-gmbh>"]} }},
		{"undo_merge", `mutation($id: ID!) { undoIdentityChange(id: $id) { kind account { name } undoneAt undoneBy } }`,
			func() map[string]any { return map[string]any{"id": lastChange} }},
		{"undo_again", `mutation($id: ID!) { undoIdentityChange(id: $id) { kind } }`,
			func() map[string]any { return map[string]any{"id": lastChange} }},
		{"split", `mutation($id: ID!, $src: ID!) { splitAccount(id: $id, refs: [{source: $src, externalId: "bill-1"}], reason: "a reseller's billing entity") {
			id kind account { name externalRefs { externalId } } newAccount { name domain externalRefs { externalId matchedBy } } moved { table rows } } }`,
			func() map[string]any { return map[string]any{"id": ids["<acme>"], "src": ids["<billing>"]} }},
		{"undo_split", `mutation($id: ID!) { undoIdentityChange(id: $id) { kind account { name externalRefs { externalId } } newAccount { name } undoneAt } }`,
			func() map[string]any { return map[string]any{"id": lastChange} }},
		{"merge_one_id", `mutation($id: ID!) { mergeAccounts(ids: [$id], reason: "why not") { id } }`,
			func() map[string]any { return map[string]any{"id": ids["<acme>"]} }},
		{"merge_unknown_id", `mutation($id: ID!) { mergeAccounts(ids: [$id, "0190a000-0000-7000-8000-000000000000"], reason: "x") { id } }`,
			func() map[string]any { return map[string]any{"id": ids["<acme>"]} }},
		{"merge_no_reason", `mutation($a: ID!, $b: ID!) { mergeAccounts(ids: [$a, $b], reason: " ") { id } }`,
			func() map[string]any { return map[string]any{"a": ids["<acme>"], "b": ids["<globex>"]} }},
		{"split_foreign_ref", `mutation($id: ID!, $src: ID!) { splitAccount(id: $id, refs: [{source: $src, externalId: "bill-3"}], reason: "x") { id } }`,
			func() map[string]any { return map[string]any{"id": ids["<acme>"], "src": ids["<billing>"]} }},
		{"split_every_ref", `mutation($id: ID!, $crm: ID!, $bill: ID!) { splitAccount(id: $id, refs: [{source: $crm, externalId: "crm-1"}, {source: $bill, externalId: "bill-1"}], reason: "x") { id } }`,
			func() map[string]any {
				return map[string]any{"id": ids["<acme>"], "crm": ids["<crm>"], "bill": ids["<billing>"]}
			}},
		{"undo_unknown", `mutation { undoIdentityChange(id: "0190a000-0000-7000-8000-000000000000") { kind } }`, nil},
		{"dismiss", `mutation($id: ID!) { dismissIdentitySuggestion(id: $id) { account { name } candidate { name } matchedBy } }`,
			func() map[string]any {
				var id uuid.UUID
				require.NoError(t, db.Raw(`SELECT id FROM identity_suggestions`).Row().Scan(&id))
				return map[string]any{"id": id.String()}
			}},
		{"suggestions_after_dismiss", `{ identitySuggestions { totalCount } }`, nil},
		{"settings", `mutation { updateIdentitySettings(input: {mergeThreshold: 0.7, precedence: [{field: "name", kinds: ["salesforce", "hubspot"]}]}) {
			mergeThreshold precedence { field kinds } } }`, nil},
		{"settings_bad", `mutation { updateIdentitySettings(input: {mergeThreshold: 1.5, precedence: [{field: "colour", kinds: ["hubspot"]}]}) { mergeThreshold } }`, nil},
	}
	times := regexp.MustCompile(`"\d{4}-\d\d-\d\dT[0-9:.]+Z"`)
	uuids := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	for _, step := range steps {
		var vars map[string]any
		if step.vars != nil {
			vars = step.vars()
		}
		body := s.post(step.query, vars)
		var resp struct {
			Data map[string]struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &resp) == nil {
			for field, v := range resp.Data {
				if (field == "mergeAccounts" || field == "splitAccount") && v.ID != "" {
					lastChange = v.ID
					labels[v.ID] = "<change>"
				}
			}
		}
		scrubbed := times.ReplaceAll(body, []byte(`"<time>"`))
		scrubbed = uuids.ReplaceAllFunc(scrubbed, func(id []byte) []byte {
			if label, ok := labels[string(id)]; ok {
				return []byte(label)
			}
			return []byte("<new-uuid>")
		})
		var got bytes.Buffer
		require.NoError(t, json.Indent(&got, scrubbed, "", "  "))
		got.WriteByte('\n')
		golden := filepath.Join("testdata", "identity", step.name+".json")
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
			require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644))
			continue
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "run go test ./graph/ -run TestIdentity -update to create it")
		if diff := cmp.Diff(string(want), got.String()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", step.name, diff)
		}
	}
}

// The store is what cmd/pulse serves identity from.
var _ graph.IdentityService = (*store.Store)(nil)
