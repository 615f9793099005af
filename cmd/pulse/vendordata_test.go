package main_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/salesforce/salesforcetest"
)

// TestImpossibleDatesAreKeptAndWarned syncs a Salesforce org holding a
// case closed before it was created: the run keeps the case, says so as a
// warning, not a rejection, and counts it.
func TestImpossibleDatesAreKeptAndWarned(t *testing.T) {
	sf, err := salesforcetest.New(connectorTestdata(t, "salesforce"), "00Dnorthwind")
	require.NoError(t, err)
	t.Cleanup(sf.Close)
	c := newCLI(t)
	c.ok(t, "source", "add", "salesforce", "crm", "base_url="+sf.URL, "access_token="+sf.Token)
	out, _ := c.run(t, "sync", "crm") // partial or not, as the org's other rows make it
	require.Regexp(t, `run \S+ (succeeded|partial) in`, out)
	require.Contains(t, out, "Case/500A0000003 [warning] resolved_at: 2025-12-30T17:00:00Z is before opened_at 2026-01-16T09:00:00Z; kept, but left out of duration measures")
	require.Contains(t, out, "1 warning: stored as the source has it")
	require.Regexp(t, `(?m)^\s*cases\s+3\s+3\s+0\s+0\s+0\s*$`, out, "the case is written, not rejected")

	var subject, status string
	require.NoError(t, openSQL(t, c.url).QueryRow(`SELECT subject, status FROM tickets WHERE resolved_at < opened_at`).Scan(&subject, &status))
	require.Equal(t, []string{"Imported from legacy desk", "closed"}, []string{subject, status})
}
