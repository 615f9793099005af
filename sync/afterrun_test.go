package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/store"
)

// TestSyncRescoresOnlyTouchedAccounts wires AfterRun to the health
// rescorer, as cmd/pulse does, and checks that each sync scores the
// accounts whose data it changed, and no other.
func TestSyncRescoresOnlyTouchedAccounts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, host.Options{})
	dir := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	write("accounts.csv", "id,name\nacc-1,One\nacc-2,Two\nacc-3,Three\n")
	write("activities.csv", "id,account_id,contact_id,person_id,team,kind,direction,occurred_at,duration_seconds,subject\n"+
		"a-1,acc-1,,,cs,call,outbound,2025-05-01T10:00:00Z,600,Check-in\n")
	src := f.source(t, "csv", "files", map[string]any{"path": dir})

	st := store.New(f.db)
	var asOf time.Time
	var touched []uuid.UUID
	f.engine.AfterRun = func(ctx context.Context, run *domain.SyncRun, ids []uuid.UUID) {
		touched = ids
		_, err := st.Rescore(ctx, health.RescoreRequest{AccountIDs: ids, AsOf: asOf})
		require.NoError(t, err)
	}
	scoredOn := func(day string) []string {
		var names []string
		require.NoError(t, f.db.Raw(`SELECT a.name FROM account_health h JOIN accounts a ON a.id = h.account_id
			WHERE h.day = ? ORDER BY a.name`, day).Scan(&names).Error)
		return names
	}
	sync := func(day string) {
		t.Helper()
		var err error
		asOf, err = time.Parse(time.DateOnly, day)
		require.NoError(t, err)
		run, err := f.engine.Run(ctx, src, "test")
		require.NoError(t, err)
		require.Equal(t, domain.RunSucceeded, run.Status)
	}

	sync("2025-06-01")
	require.Len(t, touched, 3, "the first sync writes every account")
	require.Equal(t, []string{"One", "Three", "Two"}, scoredOn("2025-06-01"))

	sync("2025-06-02")
	require.Empty(t, touched, "the same data again changes nothing")
	require.Empty(t, scoredOn("2025-06-02"))

	write("activities.csv", "id,account_id,contact_id,person_id,team,kind,direction,occurred_at,duration_seconds,subject\n"+
		"a-1,acc-1,,,cs,call,outbound,2025-05-01T10:00:00Z,600,Check-in\n"+
		"a-2,acc-2,,,sales,email,outbound,2025-06-02T10:00:00Z,0,Pricing\n")
	sync("2025-06-03")
	require.Len(t, touched, 1)
	require.Equal(t, []string{"Two"}, scoredOn("2025-06-03"), "only the account with a new activity")
}
