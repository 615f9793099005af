package sync_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/internal/plugintest"
	"github.com/pulseproject/pulse/internal/testkit"
	"github.com/pulseproject/pulse/sync"
)

// pausedUntil is the time a paused run's error names.
func pausedUntil(t *testing.T, run *domain.SyncRun) string {
	t.Helper()
	require.Equal(t, domain.RunPaused, run.Status, run.Error)
	rest, ok := strings.CutPrefix(run.Error, "paused until ")
	require.True(t, ok, run.Error)
	until, _, ok := strings.Cut(rest, ": ")
	require.True(t, ok, run.Error)
	return until
}

func TestSpentQuotaPausesRunsUntilItsTimeThenTheNextResumes(t *testing.T) {
	// The host's clock runs ahead of the plugin's by ahead, so the test
	// can move past the vendor's hold without waiting for it.
	var ahead atomic.Int64
	f := newFixture(t, host.Options{Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
	ctx := context.Background()
	api := testkit.NewAPI(t, map[string][][]string{
		"accounts":   {{"1", "2"}, {"3", "4"}, {"5", "6"}},
		"activities": {{"1", "2", "3", "4", "5", "6"}},
	})
	// The daily quota runs out at the second page: come back in an hour,
	// far beyond the client's MaxWait of a second.
	api.Limit("accounts", 2, testkit.TooManyRequests(time.Hour))
	src := f.source(t, "testkit", "kit", map[string]any{"api_url": api.URL, "max_wait_ms": 1000})

	run, err := f.engine.Run(ctx, src, "test")
	require.ErrorIs(t, err, sync.ErrRunPaused)
	until := pausedUntil(t, run)
	at, err := time.Parse(time.RFC3339, until)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(time.Hour), at, 10*time.Minute)
	require.EqualValues(t, 2, f.count(t, "accounts", ""), "the first page was committed with its checkpoint")
	require.Equal(t, []int{1, 2}, api.PagesCalled("accounts"))

	// A run started while the hold lasts ends at once, paused until the
	// same time, without calling the vendor.
	run, err = f.engine.Run(ctx, src, "test")
	require.ErrorIs(t, err, sync.ErrRunPaused)
	require.Equal(t, until, pausedUntil(t, run))
	require.Contains(t, run.Error, "rate limited", "the run says why it is held")
	require.Equal(t, []int{1, 2}, api.PagesCalled("accounts"))
	require.Empty(t, api.PagesCalled("activities"))

	// Past the hold, the next run resumes from the checkpoint.
	ahead.Store(int64(time.Hour + time.Minute))
	run, err = f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status)
	require.Equal(t, []int{1, 2, 2, 3}, api.PagesCalled("accounts"))
	require.Equal(t, []int{1}, api.PagesCalled("activities"))
	require.EqualValues(t, 6, f.count(t, "accounts", ""))
	require.EqualValues(t, 6, f.count(t, "activities", ""))
}

// A pause is kept with its run, so another Pulse process (a CLI sync, a
// replica) whose host never saw the vendor's answer waits for it as well.
func TestPauseHoldsEveryProcessSharingTheDatabase(t *testing.T) {
	var ahead atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	f := newFixture(t, host.Options{Now: clock})
	ctx := context.Background()
	api := testkit.NewAPI(t, map[string][][]string{
		"accounts":   {{"1", "2"}, {"3", "4"}},
		"activities": {{"1", "2"}},
	})
	api.Limit("accounts", 2, testkit.TooManyRequests(time.Hour))
	src := f.source(t, "testkit", "kit", map[string]any{"api_url": api.URL, "max_wait_ms": 1000})

	run, err := f.engine.Run(ctx, src, "test")
	require.ErrorIs(t, err, sync.ErrRunPaused)
	require.NotNil(t, run.PausedUntil)
	require.Equal(t, run.PausedUntil.Format(time.RFC3339), pausedUntil(t, run))

	// Another process: its own host, with no hold in memory.
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	other := &sync.Engine{DB: f.db, Host: host.New(host.Options{Dirs: []string{plugintest.Dir(t)}, Now: clock, Logger: logger}), Sources: f.sources}
	again, err := other.Run(ctx, src, "cli")
	require.ErrorIs(t, err, sync.ErrRunPaused)
	require.Equal(t, pausedUntil(t, run), pausedUntil(t, again))
	require.Contains(t, again.Error, "run "+run.ID.String()+" was paused", "it says whose pause holds it")
	require.Equal(t, []int{1, 2}, api.PagesCalled("accounts"), "the vendor was not asked again")
	require.Empty(t, api.PagesCalled("activities"))
	require.Contains(t, logs.String(), "rate limit hold", "a hold to come is logged")

	ahead.Store(int64(time.Hour + time.Minute))
	done, err := other.Run(ctx, src, "cli")
	require.NoError(t, err)
	require.Nil(t, done.PausedUntil)
	require.Equal(t, []int{1, 2, 2}, api.PagesCalled("accounts"))
	require.EqualValues(t, 4, f.count(t, "accounts", ""))

	// A process started after the pause ended is still handed its time,
	// and logs no hold: the vendor's limit is long over.
	logs.Reset()
	require.NoError(t, f.db.Exec("DELETE FROM stream_states").Error, "read from the first page again")
	later := &sync.Engine{DB: f.db, Host: host.New(host.Options{Dirs: []string{plugintest.Dir(t)}, Now: clock, Logger: logger}), Sources: f.sources}
	_, err = later.Run(ctx, src, "cli")
	require.NoError(t, err)
	require.NotContains(t, logs.String(), "rate limit hold")
}

// lockedBuffer is a log plugins' goroutines write while the test reads it.
type lockedBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// TestPauseKeepsTheRecordsReadBeforeIt pauses a run in the middle of a
// full-refresh stream, which never checkpoints: what it read before the
// pause is kept, and the next run reads it again without doubling it.
func TestPauseKeepsTheRecordsReadBeforeIt(t *testing.T) {
	var ahead atomic.Int64
	f := newFixture(t, host.Options{Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
	ctx := context.Background()
	api := testkit.NewAPI(t, map[string][][]string{
		"accounts":   {{"1", "2"}, {"3", "4"}},
		"activities": {{"1", "2"}, {"3", "4"}},
	})
	api.Limit("activities", 2, testkit.TooManyRequests(time.Hour))
	src := f.source(t, "testkit", "kit", map[string]any{"api_url": api.URL, "max_wait_ms": 1000})

	run, err := f.engine.Run(ctx, src, "test")
	require.ErrorIs(t, err, sync.ErrRunPaused)
	pausedUntil(t, run)
	require.EqualValues(t, 4, f.count(t, "accounts", ""), "the checkpointed stream")
	require.EqualValues(t, 2, f.count(t, "activities", ""), "the full-refresh stream's first page, read before the pause")
	require.EqualValues(t, 2, run.RecordsWritten-4, "the run counts what it kept")

	ahead.Store(int64(time.Hour + time.Minute))
	run, err = f.engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status)
	require.EqualValues(t, 4, f.count(t, "activities", ""))
	require.EqualValues(t, 2, run.RecordsWritten, "the first page again changes nothing")
}
