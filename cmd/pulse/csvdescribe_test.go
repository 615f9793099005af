package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConnectorDescribe(t *testing.T) {
	c := newCLI(t)
	out := c.ok(t, "connector", "describe", "csv")
	require.Regexp(t, `(?m)^FILE\s+COLUMN\s+TYPE\s+REQUIRED\s+ALLOWED$`, out)
	for _, row := range []string{
		`accounts\.csv\s+name\s+text\s+yes`,
		`accounts\.csv\s+tier\s+one of\s+no\s+A, B, C`,
		`account_team\.csv\s+role\s+one of\s+yes\s+marketing, sales, onboarding, cs, support, exec_sponsor`,
		`subscriptions\.csv\s+interval\s+one of\s+no\s+month, quarter, year`,
		`tickets\.csv\s+resolved_at\s+timestamp\s+no\s+RFC 3339`,
		`surveys\.csv\s+deleted\s+yes/no\s+no`,
	} {
		require.Regexp(t, `(?m)^`+row, out)
	}

	// Any other connector: its streams and settings, from its spec.
	out = c.ok(t, "connector", "describe", "zendesk")
	require.Regexp(t, `(?m)^tickets\s+ticket\s+id\s+true$`, out)
	require.Regexp(t, `(?m)^api_token\s+string\s+yes\s+`, out)

	out, err := c.run(t, "connector", "describe", "nope")
	require.Error(t, err)
	require.Contains(t, out, "nope")
}

// TestCSVTemplateImportsAsIs: the template's files are header-only, in
// the documented columns, and a folder of them syncs as it is.
func TestCSVTemplateImportsAsIs(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Join(t.TempDir(), "export")
	out := c.ok(t, "csv", "template", dir)
	require.Contains(t, out, "wrote "+filepath.Join(dir, "accounts.csv"))
	b, err := os.ReadFile(filepath.Join(dir, "accounts.csv"))
	require.NoError(t, err)
	require.Equal(t, "id,name,domain,tier,segment,industry,lifecycle,renewal_date,deleted\n", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 10)

	_, err = c.run(t, "csv", "template", dir)
	require.Error(t, err, "an existing file is not overwritten")
	c.ok(t, "csv", "template", "--force", dir)

	c.ok(t, "source", "add", "csv", "files", "path="+dir)
	out = c.ok(t, "sync", "files")
	require.Regexp(t, `run \S+ succeeded in .*: 0 read`, out)
}

// TestCSVColumnInTheWrongFileWarns: mrr on accounts.csv is imported to
// custom, as every unknown column is, but the run says so.
func TestCSVColumnInTheWrongFileWarns(t *testing.T) {
	c := newCLI(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte("id,name,mrr,region\na-1,Acme,4500,EMEA\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "contacts.csv"), []byte("id,account_id,email,amount\nc-1,a-1,ana@acme.example,10\n"), 0o644))
	c.ok(t, "source", "add", "csv", "files", "path="+dir)
	out := c.ok(t, "sync", "files")
	require.Regexp(t, `run \S+ succeeded in`, out, "a warning rejects nothing")
	require.Contains(t, out, "[warning] accounts.csv:1: column mrr (3) is not a column of accounts.csv and goes to custom: MRR is computed from subscriptions.csv (amount, currency, interval)")
	require.Contains(t, out, "[warning] contacts.csv:1: column amount (4) is not a column of contacts.csv and goes to custom: amount is a column of deals.csv, subscriptions.csv")
	require.NotContains(t, out, "region", "a column no file takes is custom without a word")
	require.Regexp(t, `(?m)^\s*accounts\s+1\s+1\s+0\s+0\s+0\s*$`, out)
	require.Contains(t, out, "2 warnings: stored as the source has it")

	var custom string
	require.NoError(t, openSQL(t, c.url).QueryRow(`SELECT custom::text FROM accounts`).Scan(&custom))
	require.True(t, strings.Contains(custom, `"mrr": "4500"`), custom)
	require.Regexp(t, regexp.MustCompile(`"region": "EMEA"`), custom)
}
