package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/salesforce/salesforcetest"
)

// TestCSVExportMovesAnAccountBetweenBooks syncs a folder of exports twice,
// the second time with account_team.csv moving an account from Carol to
// Dave: only Dave's book holds it then. A header-only account_team.csv is
// refused as an issue naming the file, and removes nothing, until the
// source is set to allow_mass_delete=true.
func TestCSVExportMovesAnAccountBetweenBooks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	write("people.csv", "id,name,team\ncarol,Carol,sales\ndave,Dave,sales\n")
	write("accounts.csv", "id,name,lifecycle\nacc-1,Acme,customer\nacc-2,Globex,customer\nacc-3,Initech,customer\nacc-4,Umbrella,customer\n")
	const team = "account_id,person_id,role\n"
	write("account_team.csv", team+"acc-1,carol,sales\nacc-2,carol,sales\nacc-3,carol,sales\nacc-4,dave,sales\n")
	c := newCLI(t)
	c.ok(t, "source", "add", "csv", "exports", "path="+dir)
	c.ok(t, "sync", "exports")

	// books asks coverage for each sales owner's accounts.
	books := func(s *server) map[string][]string {
		t.Helper()
		out := s.query(t, `{ coverage(team: SALES) { owners { owner { name } accounts { account { name } } } } }`)
		got := map[string][]string{}
		for _, o := range out["coverage"].(map[string]any)["owners"].([]any) {
			o := o.(map[string]any)
			name := o["owner"].(map[string]any)["name"].(string)
			got[name] = []string{}
			for _, a := range o["accounts"].([]any) {
				got[name] = append(got[name], a.(map[string]any)["account"].(map[string]any)["name"].(string))
			}
		}
		return got
	}
	s := startServe(t, c.env)
	require.Equal(t, map[string][]string{"Carol": {"Acme", "Globex", "Initech"}, "Dave": {"Umbrella"}}, books(s))
	s.stop(t)

	write("account_team.csv", team+"acc-1,carol,sales\nacc-2,carol,sales\nacc-3,dave,sales\nacc-4,dave,sales\n")
	c.ok(t, "sync", "exports")
	s = startServe(t, c.env)
	moved := map[string][]string{"Carol": {"Acme", "Globex"}, "Dave": {"Initech", "Umbrella"}}
	require.Equal(t, moved, books(s), "Initech is in Dave's book only")
	s.stop(t)

	write("account_team.csv", team)
	out := c.exit(t, 3, "sync", "exports")
	require.Contains(t, out, "account_team.csv: the export has 0 records and would remove 4 of the previous export's 4")
	require.Contains(t, out, "allow_mass_delete=true")
	s = startServe(t, c.env)
	require.Equal(t, moved, books(s), "a refused file removes nothing")
	src := s.query(t, `{ sources { id lastRun { status issues { origin message } } } }`)["sources"].([]any)[0].(map[string]any)
	run := src["lastRun"].(map[string]any)
	require.Equal(t, "PARTIAL", run["status"])
	require.Len(t, run["issues"], 1)
	require.Equal(t, "account_team.csv", run["issues"].([]any)[0].(map[string]any)["origin"])

	s.query(t, fmt.Sprintf(`mutation { updateSource(id: %q, input: {config: {allow_mass_delete: true}}) { id } }`, src["id"]))
	s.stop(t)
	c.ok(t, "sync", "exports")
	s = startServe(t, c.env)
	require.Empty(t, books(s), "confirmed, the empty file removes every membership")
	s.stop(t)
}

// TestSalesforceNewOwnerReplacesTheOld syncs an org twice, the account
// Globex changing owner in between: its team then has one sales member,
// the new owner.
func TestSalesforceNewOwnerReplacesTheOld(t *testing.T) {
	sf, err := salesforcetest.New(connectorTestdata(t, "salesforce"), "00Downer")
	require.NoError(t, err)
	t.Cleanup(sf.Close)
	c := newCLI(t)
	c.ok(t, "source", "add", "salesforce", "crm", "base_url="+sf.URL, "access_token="+sf.Token)
	// The org's data holds a contact and a task of no account: partial.
	c.exit(t, 3, "sync", "crm")

	// sales lists the sales members of Globex's team.
	sales := func() []string {
		t.Helper()
		s := startServe(t, c.env)
		defer s.stop(t)
		out := s.query(t, `{ accounts(first: 100) { edges { node { name team { role person { name } } } } } }`)
		var got []string
		for _, e := range out["accounts"].(map[string]any)["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			if n["name"] != "Globex" {
				continue
			}
			for _, m := range n["team"].([]any) {
				if m := m.(map[string]any); m["role"] == "SALES" {
					got = append(got, m["person"].(map[string]any)["name"].(string))
				}
			}
		}
		return got
	}
	require.Equal(t, []string{"Sam Seller"}, sales())

	require.NoError(t, sf.Change("001A0000001", map[string]any{"OwnerId": "005A0000002", "SystemModstamp": "2026-02-01T09:00:00.000+0000"}))
	c.ok(t, "sync", "crm")
	require.Equal(t, []string{"Cora Success"}, sales(), "the new owner replaces the old")
}
