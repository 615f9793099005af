package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/store"
)

// keyed is the real handler over the fixture with real API keys, one of
// each role, as pulse serve runs it.
type keyed struct {
	url  string
	db   *gorm.DB
	keys map[domain.Access]string
}

func newKeyed(t *testing.T) *keyed {
	t.Helper()
	db := openDB(t)
	seed(t, db)
	keys := store.NewKeys(db)
	k := &keyed{db: db, keys: map[domain.Access]string{}}
	for _, role := range domain.AccessLevels {
		_, secret, err := keys.Create(context.Background(), string(role), role, "test")
		require.NoError(t, err)
		k.keys[role] = secret
	}
	st := store.New(db)
	h := graph.NewHandler(st, &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixtureNow },
		Keys: keys, APIKeys: keys, Health: st, Identity: st,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	k.url = srv.URL
	return k
}

// as posts q with the secret and returns the status and the decoded
// response.
func (k *keyed) as(t *testing.T, secret, q string, vars map[string]any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, k.url+"/query", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	return resp.StatusCode, out
}

// codesOf lists the codes of a response's errors, in order.
func codesOf(out map[string]any) []string {
	var cs []string
	errs, _ := out["errors"].([]any)
	for _, e := range errs {
		ext, _ := e.(map[string]any)["extensions"].(map[string]any)
		c, _ := ext["code"].(string)
		cs = append(cs, c)
	}
	return cs
}

// dig follows keys into a decoded response.
func dig(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// TestRolesOfTheNewFields asks each new field that needs more than a
// viewer with a key of each role: those below it get FORBIDDEN, naming
// the field, and the others an answer.
func TestRolesOfTheNewFields(t *testing.T) {
	k := newKeyed(t)
	const (
		listKeys = `{ apiKeys { name } }`
		create   = `mutation { createApiKey(name: "made-by-%s", role: VIEWER) { key { name } secret } }`
		revoke   = `mutation { revokeApiKey(name: "nobody") { name } }`
		note     = `mutation { addNote(accountId: "000000a1-0000-0000-0000-000000000001", body: "from %s") { id } }`
		summary  = `{ healthSummary { all { accounts } } }`
		config   = `{ node(id: "0000c0c1-0000-0000-0000-000000000001") { ... on Source { name config } } }`
	)
	tests := []struct {
		name  string
		query string
		want  map[domain.Access][]string
	}{
		{"apiKeys", listKeys, map[domain.Access][]string{domain.Viewer: {"FORBIDDEN"}, domain.Editor: {"FORBIDDEN"}, domain.Admin: nil}},
		{"createApiKey", create, map[domain.Access][]string{domain.Viewer: {"FORBIDDEN"}, domain.Editor: {"FORBIDDEN"}, domain.Admin: nil}},
		// An admin passes the check and finds no such key.
		{"revokeApiKey", revoke, map[domain.Access][]string{domain.Viewer: {"FORBIDDEN"}, domain.Editor: {"FORBIDDEN"}, domain.Admin: {"NOT_FOUND"}}},
		{"addNote", note, map[domain.Access][]string{domain.Viewer: {"FORBIDDEN"}, domain.Editor: nil, domain.Admin: nil}},
		{"healthSummary", summary, map[domain.Access][]string{domain.Viewer: nil, domain.Editor: nil, domain.Admin: nil}},
		// A source fetched by id keeps its config for admins.
		{"node(source).config", config, map[domain.Access][]string{domain.Viewer: {"FORBIDDEN"}, domain.Editor: {"FORBIDDEN"}, domain.Admin: nil}},
	}
	for _, tc := range tests {
		for _, role := range domain.AccessLevels {
			t.Run(tc.name+" as "+string(role), func(t *testing.T) {
				q := tc.query
				if strings.Contains(q, "%s") {
					q = strings.ReplaceAll(q, "%s", string(role))
				}
				status, out := k.as(t, k.keys[role], q, nil)
				require.Equal(t, http.StatusOK, status)
				require.Equal(t, tc.want[role], codesOf(out), out)
				if tc.want[role] != nil && tc.want[role][0] == "FORBIDDEN" {
					msg := out["errors"].([]any)[0].(map[string]any)["message"].(string)
					require.Contains(t, msg, "needs an ")
				}
			})
		}
	}
	// The viewer's source came without its config, but with its name.
	_, out := k.as(t, k.keys[domain.Viewer], config, nil)
	require.Nil(t, dig(out, "data", "node"), "a non-null field refused nulls its object")
	_, out = k.as(t, k.keys[domain.Viewer], `{ node(id: "0000c0c1-0000-0000-0000-000000000001") { ... on Source { name } } }`, nil)
	require.Equal(t, "hubspot", dig(out, "data", "node", "name"))
}

// TestAPIKeysOverGraphQL is an admin's round: create a key, see its
// secret once, use it, find it in the list without the secret, revoke
// it, and see it stop working.
func TestAPIKeysOverGraphQL(t *testing.T) {
	k := newKeyed(t)
	admin := k.keys[domain.Admin]
	_, out := k.as(t, admin, `mutation { createApiKey(name: "dashboard", role: EDITOR) {
		key { id name role prefix createdBy createdAt lastUsedAt revokedAt } secret } }`, nil)
	require.Nil(t, out["errors"])
	secret := dig(out, "data", "createApiKey", "secret").(string)
	key := dig(out, "data", "createApiKey", "key").(map[string]any)
	require.True(t, strings.HasPrefix(secret, store.KeyPrefix), secret)
	require.Equal(t, "dashboard", key["name"])
	require.Equal(t, "EDITOR", key["role"])
	require.Equal(t, "key:admin", key["createdBy"], "made through the API by the admin key")
	require.True(t, strings.HasPrefix(secret, key["prefix"].(string)))
	require.Nil(t, key["revokedAt"])

	// The new key works, with its role: it may add a note, not list keys.
	status, out := k.as(t, secret, `mutation { addNote(accountId: "000000a1-0000-0000-0000-000000000001", body: "hello") { author } }`, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "dashboard", dig(out, "data", "addNote", "author"))
	_, out = k.as(t, secret, `{ apiKeys { name } }`, nil)
	require.Equal(t, []string{"FORBIDDEN"}, codesOf(out))

	// The list shows every key, newest first, and never a secret.
	raw, _ := json.Marshal(func() any {
		_, out := k.as(t, admin, `{ apiKeys { id name role prefix createdBy createdAt lastUsedAt revokedAt } }`, nil)
		return out
	}())
	require.NotContains(t, string(raw), secret)
	for _, s := range k.keys {
		require.NotContains(t, string(raw), s)
	}
	var list struct {
		Data struct {
			APIKeys []struct {
				ID, Name, Role string
				LastUsedAt     *string
			} `json:"apiKeys"`
		}
	}
	require.NoError(t, json.Unmarshal(raw, &list))
	require.Len(t, list.Data.APIKeys, 4)
	require.Equal(t, "dashboard", list.Data.APIKeys[0].Name)
	require.NotNil(t, list.Data.APIKeys[0].LastUsedAt, "the key was used")

	// The key by its id alone, for admins only; others do not learn it
	// exists.
	id := list.Data.APIKeys[0].ID
	_, out = k.as(t, admin, `query($id: ID!) { node(id: $id) { __typename ... on ApiKey { name role } } }`, map[string]any{"id": id})
	require.Nil(t, out["errors"])
	require.Equal(t, "ApiKey", dig(out, "data", "node", "__typename"))
	_, out = k.as(t, k.keys[domain.Editor], `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": id})
	require.Equal(t, []string{"FORBIDDEN"}, codesOf(out))
	require.Nil(t, dig(out, "data", "node"))

	// A second live key of the same name is refused, naming name.
	_, out = k.as(t, admin, `mutation { createApiKey(name: "dashboard", role: VIEWER) { secret } }`, nil)
	require.Equal(t, []string{"BAD_USER_INPUT"}, codesOf(out))
	require.Equal(t, "name", dig(out["errors"].([]any)[0], "extensions", "field"))

	_, out = k.as(t, admin, `mutation { revokeApiKey(name: "dashboard") { name revokedAt } }`, nil)
	require.Nil(t, out["errors"])
	require.NotNil(t, dig(out, "data", "revokeApiKey", "revokedAt"))
	status, out = k.as(t, secret, `{ accounts(first: 1) { totalCount } }`, nil)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, []string{"UNAUTHENTICATED"}, codesOf(out))
	_, out = k.as(t, admin, `mutation { revokeApiKey(name: "dashboard") { name } }`, nil)
	require.Equal(t, []string{"NOT_FOUND"}, codesOf(out), "revoked already")
}

// TestAddNote adds notes as an editor: each is an activity of kind note
// by the key, first on the timeline of the day; bad input is refused
// naming the argument.
func TestAddNote(t *testing.T) {
	k := newKeyed(t)
	editor := k.keys[domain.Editor]
	const add = `mutation($account: ID!, $body: String!, $contact: ID) {
		addNote(accountId: $account, body: $body, contactId: $contact) {
			id kind subject author occurredAt team person { name } provenance { source { name } externalId }
		}
	}`
	_, out := k.as(t, editor, add, map[string]any{"account": acme.String(), "body": "  Asked for a QBR in July  ", "contact": fid(contactIDs, 1).String()})
	require.Nil(t, out["errors"])
	note := dig(out, "data", "addNote").(map[string]any)
	require.Equal(t, map[string]any{
		"id": note["id"], "kind": "NOTE", "subject": "Asked for a QBR in July", "author": "editor", "occurredAt": "2025-06-01T00:00:00Z",
		"team": nil, "person": nil, "provenance": map[string]any{"source": nil, "externalId": ""},
	}, note)

	// On the timeline, after the call booked for 06-15 and before May's
	// touches; and by its id alone.
	_, out = k.as(t, editor, `{ account(id: "000000a1-0000-0000-0000-000000000001") {
		timeline(first: 3, kinds: [ACTIVITY]) { edges { node { summary ... on ActivityEvent { activity { id author } } } } } } }`, nil)
	edges := dig(out, "data", "account", "timeline", "edges").([]any)
	require.Equal(t, "Note: Asked for a QBR in July", dig(edges[1], "node", "summary"))
	require.Equal(t, note["id"], dig(edges[1], "node", "activity", "id"))
	_, out = k.as(t, k.keys[domain.Viewer], `query($id: ID!) { node(id: $id) { __typename ... on Activity { subject author } } }`,
		map[string]any{"id": note["id"]})
	require.Equal(t, "editor", dig(out, "data", "node", "author"))

	for _, tc := range []struct {
		name   string
		vars   map[string]any
		fields []string
	}{
		{"empty body", map[string]any{"account": acme.String(), "body": "   "}, []string{"body"}},
		{"long body", map[string]any{"account": acme.String(), "body": strings.Repeat("x", domain.MaxNoteLength+1)}, []string{"body"}},
		{"unknown account", map[string]any{"account": fid(accountIDs, 99).String(), "body": "x"}, []string{"accountId"}},
		{"another account's contact", map[string]any{"account": acme.String(), "body": "x", "contact": fid(contactIDs, 4).String()}, []string{"contactId"}},
		{"everything wrong", map[string]any{"account": fid(accountIDs, 99).String(), "body": ""}, []string{"body", "accountId"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out := k.as(t, editor, add, tc.vars)
			var fields []string
			for _, e := range out["errors"].([]any) {
				require.Equal(t, "BAD_USER_INPUT", dig(e, "extensions", "code"))
				fields = append(fields, dig(e, "extensions", "field").(string))
			}
			require.Equal(t, tc.fields, fields)
		})
	}
	var n int64
	require.NoError(t, k.db.Table("activities").Where("kind = 'note' AND author = 'editor'").Count(&n).Error)
	require.EqualValues(t, 1, n, "the refused notes were not kept")
}

// TestNodeOfEveryType fetches one object of every type that implements
// Node by its id alone, including those of the identity, health and API
// key services, and checks the type it comes back as.
func TestNodeOfEveryType(t *testing.T) {
	k := newKeyed(t)
	db := k.db
	objective := "000000ab-0000-0000-0000-000000000001"
	change := "000000ac-0000-0000-0000-000000000001"
	require.NoError(t, db.Exec(`INSERT INTO success_plan_objectives (id, account_id, title, owner_id, status, created_at, updated_at)
		VALUES (?, ?, 'Train the admins', ?, 'on_track', '2025-04-01T00:00:00Z', '2025-04-01T00:00:00Z')`, objective, acme, bob).Error)
	require.NoError(t, db.Exec(`INSERT INTO identity_changes (id, kind, account_ref, involved, actor, reason, moved, created_at)
		VALUES (?, 'merge', ?, ARRAY[?, ?]::uuid[], 'key:admin', 'one company', '{"rows": {}}', '2025-05-20T00:00:00Z')`,
		change, globex, globex, globexDup).Error)
	var keyID string
	require.NoError(t, db.Raw(`SELECT id FROM api_keys WHERE name = 'viewer'`).Scan(&keyID).Error)
	want := map[string]string{
		acme.String():                          "Account",
		alice.String():                         "Person",
		fid(memberIDs, 2).String():             "AccountTeamMember",
		fid(contactIDs, 1).String():            "Contact",
		fid(activityIDs, 1).String():           "Activity",
		fid(ticketIDs, 2).String():             "Ticket",
		fid(dealIDs, 3).String():               "Deal",
		fid(subscriptionIDs, 7).String():       "SubscriptionItem",
		fid(surveyIDs, 1).String():             "SurveyResponse",
		zendesk.String():                       "Source",
		fid(runIDs, 3).String():                "SyncRun",
		fid(suggestionIDs, 4).String():         "IdentitySuggestion",
		change:                                 "IdentityChange",
		objective:                              "SuccessPlanObjective",
		keyID:                                  "ApiKey",
		"0190a000-0000-7000-8000-00000000abcd": "",
	}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	_, out := k.as(t, k.keys[domain.Admin], `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
		... on IdentityChange { kind account { name } }
		... on SuccessPlanObjective { title owner { name } } } }`, map[string]any{"ids": ids})
	require.Nil(t, out["errors"])
	nodes := dig(out, "data", "nodes").([]any)
	require.Len(t, nodes, len(ids))
	for i, id := range ids {
		if want[id] == "" {
			require.Nil(t, nodes[i], id)
			continue
		}
		require.Equal(t, want[id], dig(nodes[i], "__typename"), id)
		require.Equal(t, id, dig(nodes[i], "id"), "in the order asked")
	}
}
