package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
)

// TestALostLeaseStopsTheRunBeforeItWrites: once another process has taken
// the source (here, in SQL, as a taker that found the lease expired
// would), the run's next batch finds it no longer holds the source and
// stops before writing: what it committed before stays, nothing after,
// and the taker's word on the run stands.
func TestALostLeaseStopsTheRunBeforeItWrites(t *testing.T) {
	f := newFixture(t, host.Options{IdleTimeout: 5 * time.Second})
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 50, "checkpoint_every": 10})
	var taken bool
	f.engine.OnProgress = func(p sync.Progress) {
		if p.Committed && !taken {
			taken = true
			require.NoError(t, f.db.Exec(`UPDATE sync_runs SET status = 'interrupted', error = 'interrupted: taken by the test',
				finished_at = now() WHERE id = ?`, p.RunID).Error)
		}
	}
	run, err := f.engine.Run(context.Background(), src, "test")
	require.ErrorIs(t, err, sync.ErrRunInterrupted)
	require.ErrorContains(t, err, "lease lost")
	require.Equal(t, domain.RunInterrupted, run.Status)
	require.Equal(t, "interrupted: taken by the test", run.Error, "the taker's word stands")
	require.EqualValues(t, 10, f.count(t, "accounts", ""), "nothing is written after the source was taken")

	// The next run resumes from the checkpoint and completes.
	f.engine.OnProgress = nil
	run, err = f.engine.Run(context.Background(), src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status)
	for _, s := range run.Streams {
		if s.Stream == "accounts" {
			require.EqualValues(t, 40, s.RecordsRead, "accounts resume from the checkpoint")
		}
	}
	require.EqualValues(t, 50, f.count(t, "accounts", ""))
}

// TestTheHeartbeatNoticesALostLease: a run waiting on a slow connector
// learns from its heartbeat that its source was taken, and ends.
func TestTheHeartbeatNoticesALostLease(t *testing.T) {
	f := newFixture(t, host.Options{IdleTimeout: 5 * time.Second})
	f.engine.Lease = 300 * time.Millisecond
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 10, "hang_after": 2})
	run, done, err := f.engine.Start(context.Background(), src, "test")
	require.NoError(t, err)
	require.NoError(t, f.db.Exec(`UPDATE sync_runs SET worker = 'thief:1' WHERE id = ?`, run.ID).Error)
	err = <-done
	require.ErrorIs(t, err, sync.ErrRunInterrupted)
	require.ErrorContains(t, err, "lease lost")
}

// TestARunWhoseLeaseExpiredIsTakenOver: a run left running by a process
// on another machine that stopped renewing is ended interrupted by the
// next run of the source, which tells of it; while its lease lasts, the
// source is busy.
func TestARunWhoseLeaseExpiredIsTakenOver(t *testing.T) {
	f := newFixture(t, host.Options{IdleTimeout: 5 * time.Second})
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 3})
	dead := uuid.Must(uuid.NewV7())
	require.NoError(t, f.db.Exec(`INSERT INTO sync_runs (id, source_id, status, trigger, started_at, worker, lease_expires_at)
		VALUES (?, ?, 'running', 'schedule', now(), 'other-host:1', now() + interval '1 hour')`, dead, src.ID).Error)
	_, err := f.engine.Run(context.Background(), src, "test")
	require.ErrorIs(t, err, sync.ErrBusy)
	var held *store.HeldError
	require.ErrorAs(t, err, &held)
	require.Equal(t, dead, held.Run)

	require.NoError(t, f.db.Exec(`UPDATE sync_runs SET lease_expires_at = now() - interval '1 second' WHERE id = ?`, dead).Error)
	var told []domain.SyncRun
	f.engine.OnRun = func(r domain.SyncRun) { told = append(told, r) }
	run, err := f.engine.Run(context.Background(), src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status)
	require.Equal(t, dead, told[0].ID, "the run taken over is told first")
	require.Equal(t, domain.RunInterrupted, told[0].Status)
	require.Equal(t, "interrupted: its lease expired: other-host:1 stopped renewing it", told[0].Error)
}

// TestReapEndsRunsOfGoneProcesses: a run whose process on this host is
// gone is ended at once, without waiting out its lease; one whose process
// lives is left alone.
func TestReapEndsRunsOfGoneProcesses(t *testing.T) {
	f := newFixture(t, host.Options{})
	for i, worker := range []string{sync.ProcessName(""), sync.ProcessName("") + "0000000"} {
		src := f.source(t, "testkit", "kit"+string(rune('a'+i)), map[string]any{"accounts": 1})
		require.NoError(t, f.db.Exec(`INSERT INTO sync_runs (id, source_id, status, trigger, started_at, worker, lease_expires_at)
			VALUES (?, ?, 'running', 'cli', now(), ?, now() + interval '1 hour')`, uuid.Must(uuid.NewV7()), src.ID, worker).Error)
	}
	ended, err := store.ReapRuns(context.Background(), f.db, sync.Gone)
	require.NoError(t, err)
	require.Len(t, ended, 1)
	require.Contains(t, ended[0].Error, "0000000 is gone")
	require.EqualValues(t, 1, f.count(t, "sync_runs", "status = 'running'"))
}
