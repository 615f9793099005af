package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
)

// TestTicketAssigneeIsAPerson syncs tickets whose assignee_external_id names
// a person of the source: a known one is stored as the ticket's assignee, an
// unknown one defers the ticket, named by the field, until the person
// arrives.
func TestTicketAssigneeIsAPerson(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, host.Options{})
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("accounts.csv", "id,name\nacc-1,One\n")
	write("people.csv", "id,name,email,team\nag-1,Carol Chen,carol@pulse.example,support\n")
	write("tickets.csv", "id,account_id,assignee_id,subject,opened_at\n"+
		"t-1,acc-1,ag-1,Login broken,2025-05-01T10:00:00Z\n"+
		"t-2,acc-1,ag-2,Export slow,2025-05-02T10:00:00Z\n"+
		"t-3,acc-1,,Invoice copy,2025-05-03T10:00:00Z\n")
	src := f.source(t, "csv", "desk", map[string]any{"path": dir})

	assignees := func() map[string]string {
		var rows []struct{ Subject, Assignee string }
		require.NoError(t, f.db.Raw(`SELECT t.subject, coalesce(p.name, '') AS assignee FROM tickets t
			LEFT JOIN people p ON p.id = t.assignee_id ORDER BY t.subject`).Scan(&rows).Error)
		out := map[string]string{}
		for _, r := range rows {
			out[r.Subject] = r.Assignee
		}
		return out
	}

	run, err := f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status)
	require.EqualValues(t, 1, run.RecordsDeferred)
	require.Equal(t, map[string]string{"Login broken": "Carol Chen", "Invoice copy": ""}, assignees())
	var issue domain.SyncIssue
	require.NoError(t, f.db.Where("run_id = ?", run.ID).First(&issue).Error)
	require.Equal(t, domain.IssueDeferred, issue.Kind)
	require.Equal(t, "t-2", issue.ExternalID)
	require.Contains(t, issue.Message, `no person "ag-2" from this source`)

	// The agent arrives: the kept ticket is placed with them.
	write("people.csv", "id,name,email,team\nag-1,Carol Chen,carol@pulse.example,support\nag-2,Dev Patel,dev@pulse.example,support\n")
	run, err = f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.EqualValues(t, 0, run.RecordsDeferred)
	require.Equal(t, map[string]string{"Login broken": "Carol Chen", "Export slow": "Dev Patel", "Invoice copy": ""}, assignees())
}
