package main_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCSVDuplicatesAndCurrenciesAreRejected syncs a folder whose files list
// an id twice and write currencies that are not ISO 4217 codes: each bad
// row is rejected naming its file, line and column, the first row of an id
// stands, the rest lands, and the run is partial (exit 3).
func TestCSVDuplicatesAndCurrenciesAreRejected(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"accounts.csv": "id,name,tier\nacc-1,Acme,A\nacc-2,Globex,B\nacc-1,Acme Renamed,C\n",
		"subscriptions.csv": "id,account_id,plan,amount,currency,interval,starts_at\n" +
			"s-1,acc-1,Pro,100,USD,month,2025-01-01\n" +
			"s-2,acc-2,Pro,100,US$,month,2025-01-01\n" +
			"s-3,acc-2,Team,50,eur,month,2025-01-01\n",
		"deals.csv":    "id,account_id,name,amount,currency\nd-1,acc-1,Upsell,500,DOLLARS\nd-2,acc-2,New,700,GBP\n",
		"fx_rates.csv": "date,currency,rate\n2025-01-01,EUR,1.08\n2025-01-01,XYZ,2\n",
	}
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	c := newCLI(t)
	c.ok(t, "source", "add", "csv", "exports", "path="+dir)
	out := c.exit(t, 3, "sync", "exports")
	for _, want := range []string{
		`accounts.csv:4:1 [source] id: duplicate id "acc-1": first at accounts.csv:2; this row is not imported`,
		`subscriptions.csv:3:5 [rejected] currency: "US$" is not an ISO 4217 currency code (three capital letters, such as USD or EUR)`,
		`deals.csv:2:5 [rejected] currency: "DOLLARS" is not an ISO 4217 currency code`,
		`fx_rates.csv:3:2 [rejected] currency: "XYZ" is not an ISO 4217 currency code`,
		`pulse: exports: partial: 4 records rejected`,
	} {
		require.Contains(t, out, want)
	}
	require.Regexp(t, `run \S+ partial in `, out)
	s := startServe(t, c.env)
	last := s.query(t, `{ sources { lastRun { status recordsRejected issues { origin field } } } }`)["sources"].([]any)[0].(map[string]any)["lastRun"].(map[string]any)
	s.stop(t)
	require.Equal(t, "PARTIAL", last["status"])
	require.EqualValues(t, 4, last["recordsRejected"])
	require.Contains(t, last["issues"], map[string]any{"origin": "subscriptions.csv:3:5", "field": "currency"})

	db := openSQL(t, c.url)
	var name string
	require.NoError(t, db.QueryRow(`SELECT a.name FROM accounts a JOIN external_refs r ON r.entity_id = a.id WHERE r.external_id = 'acc-1'`).Scan(&name))
	require.Equal(t, "Acme", name, "the first row of an id stands")
	rows, err := db.Query("SELECT currency FROM subscription_items UNION ALL SELECT currency FROM deals UNION ALL SELECT currency FROM fx_rates ORDER BY 1")
	require.NoError(t, err)
	defer rows.Close()
	var stored []string
	for rows.Next() {
		var cur string
		require.NoError(t, rows.Scan(&cur))
		stored = append(stored, cur)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"EUR", "EUR", "GBP", "USD"}, stored, "the good rows land; usd is read as USD")
}
