package sync_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/internal/plugintest"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/secrets"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
)

func TestMain(m *testing.M) {
	testdb.Main(m, plugintest.Cleanup)
}

// fixture is a migrated database with the services wired to the test
// plugins.
type fixture struct {
	db      *gorm.DB
	sources *sources.Service
	engine  *sync.Engine
}

func newFixture(t *testing.T, opts host.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	require.NoError(t, err)
	opts.Dirs = []string{plugintest.Dir(t)}
	h := host.New(opts)
	svc := &sources.Service{DB: db, Host: h, Box: box}
	return &fixture{db: db, sources: svc, engine: &sync.Engine{DB: db, Host: h, Sources: svc}}
}

func (f *fixture) source(t *testing.T, kind, name string, cfg map[string]any) *domain.Source {
	t.Helper()
	src, err := f.sources.Create(context.Background(), sources.Input{Kind: kind, Name: name, Config: cfg})
	require.NoError(t, err)
	return src
}

func (f *fixture) count(t *testing.T, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := f.db.Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	require.NoError(t, q.Count(&n).Error)
	return n
}

// snapshot is the synced data in a form two databases can be compared by.
func (f *fixture) snapshot(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	queries := map[string]string{
		"accounts":   "SELECT r.external_id || '|' || a.name || '|' || a.tier || '|' || (a.deleted_at IS NULL)::text FROM accounts a JOIN external_refs r ON r.entity_id = a.id ORDER BY 1",
		"activities": "SELECT x.external_id || '|' || r.external_id || '|' || x.subject FROM activities x JOIN external_refs r ON r.entity_id = x.account_id ORDER BY 1",
		"refs":       "SELECT entity_type || '|' || external_id FROM external_refs ORDER BY 1",
		"deferred":   "SELECT entity_type || '|' || external_id FROM deferred_records ORDER BY 1",
	}
	for name, q := range queries {
		var rows []string
		require.NoError(t, f.db.Raw(q).Scan(&rows).Error)
		out[name] = rows
	}
	return out
}

// requireCheckpointCoversData checks that the accounts stored are exactly
// those the committed checkpoint of the testkit's accounts stream covers,
// and returns how many that is.
func (f *fixture) requireCheckpointCoversData(t *testing.T) int64 {
	t.Helper()
	var state struct{ Next int64 }
	var raw []byte
	err := f.db.Raw("SELECT state FROM stream_states WHERE stream = 'accounts'").Row().Scan(&raw)
	if !errors.Is(err, sql.ErrNoRows) {
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &state))
	}
	require.Equal(t, state.Next, f.count(t, "accounts", ""))
	return state.Next
}

func TestRunStoresRecordsAndIsIdempotent(t *testing.T) {
	f := newFixture(t, host.Options{})
	ctx := context.Background()
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 25, "checkpoint_every": 10})

	run, err := f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status)
	require.EqualValues(t, 50, run.RecordsRead)
	require.EqualValues(t, 50, run.RecordsWritten)
	require.EqualValues(t, 25, f.count(t, "accounts", ""))
	require.EqualValues(t, 25, f.count(t, "activities", ""))
	require.Len(t, run.Streams, 2)
	first := f.snapshot(t)

	var before time.Time
	require.NoError(t, f.db.Raw("SELECT max(updated_at) FROM accounts").Scan(&before).Error)

	// The accounts stream resumes from its checkpoint and emits nothing;
	// activities are re-read in full and change nothing.
	run, err = f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.EqualValues(t, 0, run.RecordsWritten)
	require.Equal(t, first, f.snapshot(t))
	var after time.Time
	require.NoError(t, f.db.Raw("SELECT max(updated_at) FROM accounts").Scan(&after).Error)
	require.Equal(t, before, after, "a repeated sync rewrites nothing")

	// Reading everything again from scratch doubles nothing either.
	require.NoError(t, f.db.Exec("DELETE FROM stream_states").Error)
	run, err = f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.EqualValues(t, 50, run.RecordsRead)
	require.EqualValues(t, 0, run.RecordsWritten)
	require.Equal(t, first, f.snapshot(t))
}

// TestKilledPluginResumesToTheSameData kills the plugin mid-run, whether
// the run commits every checkpoint or gathers records between commits.
func TestKilledPluginResumesToTheSameData(t *testing.T) {
	for _, commitEvery := range []int{0, 100} {
		t.Run(fmt.Sprintf("commit every %d", commitEvery), func(t *testing.T) {
			ctx := context.Background()
			cfg := map[string]any{"accounts": 3000, "checkpoint_every": 20, "orphans": 2}

			clean := newFixture(t, host.Options{})
			clean.engine.CommitEvery = commitEvery
			_, err := clean.engine.Run(ctx, clean.source(t, "testkit", "kit", cfg), "test")
			require.NoError(t, err)
			want := clean.snapshot(t)

			f := newFixture(t, host.Options{})
			f.engine.CommitEvery = commitEvery
			src := f.source(t, "testkit", "kit", cfg)
			commits := 0
			f.engine.OnProgress = func(p sync.Progress) {
				if !p.Committed {
					return
				}
				commits++
				if commits == 3 {
					// The plugin dies while the next batch is in flight.
					require.NoError(t, syscall.Kill(p.Pid, syscall.SIGKILL))
				}
			}
			run, err := f.engine.Run(ctx, src, "test")
			require.ErrorIs(t, err, sync.ErrRunFailed)
			require.Equal(t, domain.RunFailed, run.Status)
			require.Contains(t, run.Error, "crashed")
			committed := f.requireCheckpointCoversData(t)
			require.Less(t, committed, int64(3000))

			f.engine.OnProgress = nil
			run, err = f.engine.Run(ctx, src, "test")
			require.NoError(t, err)
			require.Equal(t, domain.RunSucceeded, run.Status)
			require.Equal(t, want, f.snapshot(t))
		})
	}
}

func TestCrashingPluginFailsTheRunWithItsStderr(t *testing.T) {
	f := newFixture(t, host.Options{})
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 50, "crash_after": 25, "checkpoint_every": 10})
	run, err := f.engine.Run(context.Background(), src, "test")
	require.ErrorIs(t, err, sync.ErrRunFailed)
	require.Equal(t, domain.RunFailed, run.Status)
	require.Contains(t, run.Error, "crashing on purpose after 25 accounts")
	f.requireCheckpointCoversData(t)
}

func TestHangingPluginIsCutOff(t *testing.T) {
	f := newFixture(t, host.Options{IdleTimeout: 500 * time.Millisecond})
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 50, "hang_after": 5})
	run, err := f.engine.Run(context.Background(), src, "test")
	require.ErrorIs(t, err, sync.ErrRunFailed)
	require.Contains(t, run.Error, "stopped sending")
}

func TestUnresolvedReferencesAreDeferredAndRetried(t *testing.T) {
	f := newFixture(t, host.Options{})
	ctx := context.Background()
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 5, "orphans": 3})
	run, err := f.engine.Run(ctx, src, "test")
	require.NoError(t, err, "unresolved references do not fail the run")
	require.EqualValues(t, 3, run.RecordsDeferred)
	require.EqualValues(t, 3, f.count(t, "deferred_records", ""))
	var issues []domain.SyncIssue
	require.NoError(t, f.db.Where("run_id = ?", run.ID).Order("external_id").Find(&issues).Error)
	require.Len(t, issues, 3)
	require.Equal(t, domain.IssueDeferred, issues[0].Kind)
	require.Equal(t, "act-5", issues[0].ExternalID)
	require.Equal(t, "activities/5", issues[0].Origin)
	require.Equal(t, `account_external_id: no account "acc-5" from this source`, issues[0].Message)

	// The accounts arrive later: the kept records are placed.
	_, err = f.sources.Update(ctx, src.ID, sources.Patch{Config: map[string]any{"accounts": 8, "orphans": 0}})
	require.NoError(t, err)
	require.NoError(t, f.db.Exec("DELETE FROM stream_states").Error)
	src, err = f.sources.Get(ctx, src.ID)
	require.NoError(t, err)
	run, err = f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.EqualValues(t, 0, run.RecordsDeferred)
	require.EqualValues(t, 0, f.count(t, "deferred_records", ""))
	require.EqualValues(t, 8, f.count(t, "activities", ""))
}

func TestDeferredRecordsRetryAtTheEndOfTheNextRun(t *testing.T) {
	f := newFixture(t, host.Options{})
	ctx := context.Background()
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 2, "orphans": 2})
	_, err := f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.EqualValues(t, 2, f.count(t, "deferred_records", ""))
	// The orphans' accounts appear through another path (here: by hand
	// in the same source), and the next run places the kept records
	// without the source sending them again.
	_, err = f.sources.Update(ctx, src.ID, sources.Patch{Config: map[string]any{"accounts": 4, "orphans": 0}})
	require.NoError(t, err)
	src, err = f.sources.Get(ctx, src.ID)
	require.NoError(t, err)
	run, err := f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.EqualValues(t, 0, run.RecordsDeferred)
	require.EqualValues(t, 0, f.count(t, "deferred_records", ""))
	require.EqualValues(t, 4, f.count(t, "activities", ""))
}

func TestTombstonesSoftDelete(t *testing.T) {
	f := newFixture(t, host.Options{})
	ctx := context.Background()
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 5, "deleted": []int{1, 3}})
	run, err := f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.EqualValues(t, 2, run.RecordsDeleted)
	require.EqualValues(t, 5, f.count(t, "accounts", ""), "history is kept")
	require.EqualValues(t, 3, f.count(t, "accounts", "deleted_at IS NULL"))
	require.EqualValues(t, 2, f.count(t, "external_refs", "deleted_at IS NOT NULL"))
}

func TestInvalidRecordsAreRejectedNamingTheField(t *testing.T) {
	f := newFixture(t, host.Options{})
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 6, "invalid": 2})
	run, err := f.engine.Run(context.Background(), src, "test")
	require.NoError(t, err, "a run that rejected records completed")
	require.Equal(t, domain.RunPartial, run.Status)
	require.EqualValues(t, 2, run.RecordsRejected)
	require.EqualValues(t, 4, f.count(t, "accounts", ""))
	var issue domain.SyncIssue
	require.NoError(t, f.db.Where("run_id = ? AND kind = ?", run.ID, domain.IssueRejected).Order("external_id").First(&issue).Error)
	require.Equal(t, "tier", issue.Field)
	require.Equal(t, `"Z" is not one of A, B, C`, issue.Message)
	require.Equal(t, "accounts/0", issue.Origin)
	// Their activities cannot be placed and wait.
	require.EqualValues(t, 2, run.RecordsDeferred)
}

func TestTypedConnectorErrors(t *testing.T) {
	tests := []struct {
		fail, status, msg string
		err               error
	}{
		{"transient", domain.RunPaused, "paused until 2030-01-01T00:00:00Z: stream accounts: transient: rate limited", sync.ErrRunPaused},
		{"config", domain.RunFailed, "configuration error: stream accounts: config: token: the vendor refused the token", sync.ErrRunFailed},
		{"system", domain.RunFailed, "connector error: stream accounts: unexpected vendor response", sync.ErrRunFailed},
	}
	for _, tc := range tests {
		t.Run(tc.fail, func(t *testing.T) {
			f := newFixture(t, host.Options{})
			src := f.source(t, "testkit", "kit", map[string]any{"accounts": 3, "fail": tc.fail, "checkpoint_every": 2})
			run, err := f.engine.Run(context.Background(), src, "test")
			require.ErrorIs(t, err, tc.err)
			require.Equal(t, tc.status, run.Status)
			require.Equal(t, tc.msg, run.Error)
			// The connector ended the read itself: what it sent before
			// the error is kept, and the checkpoint stays where it was,
			// so the next run reads the third account again.
			require.EqualValues(t, 3, f.count(t, "accounts", ""), "the records sent before the error stay")
			var raw []byte
			require.NoError(t, f.db.Raw("SELECT state FROM stream_states WHERE stream = 'accounts'").Row().Scan(&raw))
			require.JSONEq(t, `{"next": 2}`, string(raw))
		})
	}
}

func TestOneSyncOfASourceAtATime(t *testing.T) {
	f := newFixture(t, host.Options{IdleTimeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 10, "hang_after": 2})
	_, done, err := f.engine.Start(ctx, src, "test")
	require.NoError(t, err)
	_, err = f.engine.Run(context.Background(), src, "test")
	require.ErrorIs(t, err, sync.ErrBusy)
	cancel()
	<-done
}

// TestCheckCrashNeverShowsTheToken: a connector that crashes while it
// checks a config, printing its token, gives an error that names the
// crash and not the token.
func TestCheckCrashNeverShowsTheToken(t *testing.T) {
	f := newFixture(t, host.Options{IdleTimeout: 5 * time.Second})
	_, err := f.sources.Create(context.Background(), sources.Input{Kind: "testkit", Name: "kit",
		Config: map[string]any{"fail": "check_panic", "token": "tok-4f7a9c2e81"}})
	require.Error(t, err)
	require.Contains(t, err.Error(), "the vendor refused the token", "the crash is told")
	require.NotContains(t, err.Error(), "tok-4f7a9c2e81")
}

// TestWaitOutlivesCancelledRuns cancels a run hanging in its connector:
// Wait returns only once the run has ended and its plugin process is gone,
// so that a process stopping after Wait leaves no orphaned connector.
func TestWaitOutlivesCancelledRuns(t *testing.T) {
	f := newFixture(t, host.Options{IdleTimeout: 5 * time.Second})
	pids := make(chan int, 100)
	f.engine.OnProgress = func(p sync.Progress) {
		if p.Pid > 0 {
			pids <- p.Pid
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	src := f.source(t, "testkit", "kit", map[string]any{"accounts": 10, "hang_after": 2})
	_, done, err := f.engine.Start(ctx, src, "test")
	require.NoError(t, err)
	pid := <-pids
	cancel()
	waitCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	require.NoError(t, f.engine.Wait(waitCtx))
	select {
	case err := <-done:
		require.ErrorIs(t, err, sync.ErrRunInterrupted)
	default:
		t.Fatal("Wait returned before the run ended")
	}
	var run domain.SyncRun
	require.NoError(t, f.db.First(&run, "source_id = ?", src.ID).Error)
	require.Equal(t, domain.RunInterrupted, run.Status, "a cancelled run is interrupted, not failed")
	require.Equal(t, "interrupted: context canceled", run.Error)
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "the connector's process %d outlived its run", pid)
}
