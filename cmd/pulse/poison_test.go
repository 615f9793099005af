package main_test

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/zendesk/zendesktest"
)

// TestNULInACSVCellRejectsOnlyItsRow is issue #10's first case as a user
// meets it: one NUL byte in a CSV cell. The row is rejected, named by
// file:line:column and field; its neighbours land; the run does not fail,
// and neither does the next.
func TestNULInACSVCellRejectsOnlyItsRow(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte("id,name\ngood-1,Good\nnul-1,Bad\x00Co\ngood-2,Other\n"), 0o600))
	// The file as it is, and a neighbour whose NUL is in its id,
	// on a row the connector itself refuses: the issue that names it
	// must be stored too.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "people.csv"), []byte("id,name,team\np-1,Ann,cs\np\x00-2,Bob,legal\n"), 0o600))
	c := newCLI(t)
	c.ok(t, "source", "add", "csv", "files", "path="+dir)
	db := openSQL(t, c.url)
	lastStatus := func(out string) {
		t.Helper()
		require.NotContains(t, out, "failed")
		require.NotContains(t, out, "SQLSTATE")
		var status string
		require.NoError(t, db.QueryRow("SELECT status FROM sync_runs ORDER BY started_at DESC LIMIT 1").Scan(&status))
		require.NotEqual(t, "failed", status, out)
	}
	accounts := "SELECT r.external_id || '|' || a.name FROM accounts a JOIN external_refs r ON r.entity_id = a.id ORDER BY 1"

	out, _ := c.run(t, "sync", "files")
	require.Contains(t, out, "accounts.csv:3:2 [rejected] name: contains a NUL byte (at byte 4), which cannot be stored as text")
	require.Contains(t, out, `people.csv:3:3 [source] team: "legal" is not one of`)
	lastStatus(out)
	require.Equal(t, []string{"good-1|Good", "good-2|Other"}, column(t, db, accounts))
	require.Equal(t, []string{`p\0-2`}, column(t, db, "SELECT external_id FROM sync_issues WHERE field = 'team'"))

	// The rerun reads nothing new: the file is as it was.
	out, _ = c.run(t, "sync", "files")
	lastStatus(out)
	require.Equal(t, []string{"good-1|Good", "good-2|Other"}, column(t, db, accounts))

	// Once the cell is mended, the row lands.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte("id,name\ngood-1,Good\nnul-1,Bad Co\ngood-2,Other\n"), 0o600))
	out, _ = c.run(t, "sync", "files")
	lastStatus(out)
	require.NotContains(t, out, "[rejected]")
	require.Equal(t, []string{"good-1|Good", "good-2|Other", "nul-1|Bad Co"}, column(t, db, accounts))
}

// TestNULFromAVendorRejectsOnlyItsRecord is the same for a vendor's JSON:
// a "\u0000" in one organization's name rejects that organization, named
// by its origin and field, and the others land.
func TestNULFromAVendorRejectsOnlyItsRecord(t *testing.T) {
	zd, err := zendesktest.New(connectorTestdata(t, "zendesk"), "admin@pulse-demo.example", "zd-token")
	require.NoError(t, err)
	t.Cleanup(zd.Close)
	var orgs []struct {
		ID        int64   `json:"id"`
		DeletedAt *string `json:"deleted_at"`
	}
	raw, err := os.ReadFile(filepath.Join(connectorTestdata(t, "zendesk"), "organizations.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &orgs))
	var want []string
	for _, o := range orgs {
		if o.DeletedAt == nil {
			want = append(want, strconv.FormatInt(o.ID, 10))
		}
	}
	slices.Sort(want)
	require.NoError(t, zd.Put("organizations", json.RawMessage(`{"id": 199, "name": "Poison\u0000 Inc",
		"updated_at": "2026-01-06T10:00:00Z", "domain_names": ["poison.example"], "tags": [],
		"organization_fields": {"plan": "pro\u0000"}}`)))

	c := newCLI(t)
	c.ok(t, "source", "add", "zendesk", "helpdesk", "base_url="+zd.URL, "email="+zd.Email, "api_token="+zd.Token)
	out, _ := c.run(t, "sync", "helpdesk")
	require.Contains(t, out, "organizations/199 [rejected] custom.plan: contains a NUL byte (at byte 4)")
	require.Contains(t, out, "organizations/199 [rejected] name: contains a NUL byte (at byte 7)")
	require.NotContains(t, out, "failed")
	db := openSQL(t, c.url)
	var status string
	require.NoError(t, db.QueryRow("SELECT status FROM sync_runs").Scan(&status))
	require.NotEqual(t, "failed", status, out)
	require.Equal(t, want, column(t, db, "SELECT external_id FROM external_refs WHERE entity_type = 'account' ORDER BY 1"),
		"every other organization landed")
}

// column is the first column of every row of query.
func column(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}
