package main_test

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/jobs"
	"github.com/pulseproject/pulse/store"
)

// killSyncAt starts pulse sync NAME and SIGKILLs it when a progress line
// starts with stream.
func (c *cli) killSyncAt(t *testing.T, name, stream string) {
	t.Helper()
	cmd := exec.Command(pulseBin, "sync", name)
	cmd.Env = c.env
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		if strings.HasPrefix(strings.TrimSpace(sc.Text()), stream) {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
			break
		}
	}
	require.True(t, killed, "the sync ended before it reached %s", stream)
	_ = cmd.Wait()
}

// healthScores is each account's latest score and band, by name.
func healthScores(t *testing.T, url string) map[string]string {
	t.Helper()
	rows, err := openSQL(t, url).Query(`SELECT DISTINCT ON (a.name) a.name, coalesce(h.score::text, '-') || ' ' || h.band
		FROM accounts a LEFT JOIN account_health h ON h.account_id = a.id WHERE a.deleted_at IS NULL ORDER BY a.name, h.day DESC`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name string
		var score *string
		require.NoError(t, rows.Scan(&name, &score))
		out[name] = "unscored"
		if score != nil {
			out[name] = *score
		}
	}
	require.NoError(t, rows.Err())
	return out
}

// unscored counts the accounts of scores with no score.
func unscored(scores map[string]string) int {
	n := 0
	for _, s := range scores {
		if s == "unscored" {
			n++
		}
	}
	return n
}

// dirtyMarks counts the marks left.
func dirtyMarks(t *testing.T, url string) int {
	t.Helper()
	var n int
	require.NoError(t, openSQL(t, url).QueryRow("SELECT count(*) FROM rescore_marks").Scan(&n))
	return n
}

// workRescores runs the rescore job as a worker of pulse serve or pulse
// worker does: a River client with the rescore worker, asked once, until
// the job has ended and no mark is left.
func workRescores(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer store.Close(db)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	ws := river.NewWorkers()
	river.AddWorker(ws, jobs.NewRescoreWorker(db, jobs.RescoreConfig{Chunk: 25}))
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           ws,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
	})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	defer func() { require.NoError(t, client.Stop(ctx)) }()
	require.NoError(t, jobs.EnqueueRescore(ctx, client))
	for range 1200 {
		var queued int
		require.NoError(t, db.Raw(`SELECT count(*) FROM river_job WHERE kind = 'rescore'
			AND state IN ('available', 'pending', 'running', 'scheduled', 'retryable')`).Scan(&queued).Error)
		if queued == 0 && dirtyMarks(t, url) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the rescore job never ended")
}

// TestKilledSyncsLeaveNoStaleScores is the crash the dirty marks are for:
// pulse sync is SIGKILLed mid-run, twice. The accounts the killed runs
// wrote are marked; the rescore job, as a worker runs it, scores them as a
// full rescore would, and once the source is synced to the end every
// account's score equals a clean run's, with no manual rescore.
func TestKilledSyncsLeaveNoStaleScores(t *testing.T) {
	clean := newCLI(t)
	clean.ok(t, demoSource...)
	clean.ok(t, "sync", "d")
	want := healthScores(t, clean.url)
	require.Len(t, want, 120)
	require.Equal(t, 0, dirtyMarks(t, clean.url), "a sync leaves no mark once it returns")

	c := newCLI(t)
	c.ok(t, demoSource...)
	c.killSyncAt(t, "d", "activities")
	require.Positive(t, dirtyMarks(t, c.url), "the killed run's batches marked their accounts")
	killed := healthScores(t, c.url)
	require.Equal(t, len(killed), unscored(killed), "the killed run scored nothing")

	workRescores(t, c.url)
	byJob := healthScores(t, c.url)
	require.Zero(t, unscored(byJob))
	c.ok(t, "health", "rescore")
	require.Equal(t, healthScores(t, c.url), byJob, "the job scores the killed run's data as a full rescore does")

	// Killed again later in the resumed run, and the job not run: the
	// next sync's own rescore takes the killed run's marks too.
	c.killSyncAt(t, "d", "tickets")
	require.Positive(t, dirtyMarks(t, c.url))
	out := c.ok(t, "sync", "d")
	require.Contains(t, out, "succeeded")
	require.Equal(t, 0, dirtyMarks(t, c.url))
	require.Equal(t, want, healthScores(t, c.url))
}

// TestRescoreDirtyCommand marks an account by a write outside any sync and
// rescores it with pulse health rescore --dirty.
func TestRescoreDirtyCommand(t *testing.T) {
	c := newCLI(t)
	c.ok(t, demoSource...)
	c.ok(t, "sync", "d")
	_, err := openSQL(t, c.url).Exec("UPDATE accounts SET segment = 'enterprise' WHERE name = (SELECT min(name) FROM accounts)")
	require.NoError(t, err)
	require.Equal(t, 1, dirtyMarks(t, c.url))
	require.Contains(t, c.ok(t, "health", "rescore", "--dirty"), "scored 1 dirty accounts")
	require.Equal(t, 0, dirtyMarks(t, c.url))
	require.Contains(t, c.exit(t, 1, "health", "rescore", "--dirty", "--history"), "--dirty")
}
