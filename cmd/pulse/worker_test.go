package main_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// worker is a `pulse worker` process.
type worker struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	logs *lockedBuffer
	done chan error
}

// fastJobs are the hidden flags that make leases and rescues short enough
// for a test: a killed worker's run is found gone at once (same host),
// and River's rescuer hands its job on within its 30 s period.
var fastJobs = []string{"--scheduler-tick", "200ms", "--lease", "2s", "--rescue-after", "3s"}

// startWorker starts `pulse worker` with args and waits until it works
// jobs.
func startWorker(t *testing.T, env []string, args ...string) *worker {
	t.Helper()
	cmd := exec.Command(pulseBin, append([]string{"worker"}, args...)...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	w := &worker{cmd: cmd, out: &lockedBuffer{}, logs: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = w.logs
	require.NoError(t, cmd.Start())
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := false
		for sc.Scan() {
			_, _ = w.out.Write([]byte(sc.Text() + "\n"))
			if !once && strings.Contains(sc.Text(), "is running up to") {
				once = true
				close(ready)
			}
		}
		w.done <- cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-w.done:
		t.Fatalf("worker exited: %v\n%s\n%s", err, w.out, w.logs)
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("worker did not start:\n%s\n%s", w.out, w.logs)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return w
}

// stop sends sig and waits for the worker to exit, cleanly unless killed.
func (w *worker) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, w.cmd.Process.Signal(sig))
	select {
	case err := <-w.done:
		if sig != syscall.SIGKILL {
			require.NoError(t, err, "worker exits cleanly on %s:\n%s\n%s", sig, w.out, w.logs)
		}
	case <-time.After(time.Minute):
		t.Fatalf("worker did not stop on %s", sig)
	}
}

// overlaps counts pairs of runs of one source that ran at the same time.
func overlaps(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM sync_runs a JOIN sync_runs b
		ON a.source_id = b.source_id AND a.id < b.id
		AND tstzrange(a.started_at, coalesce(a.finished_at, 'infinity')) && tstzrange(b.started_at, coalesce(b.finished_at, 'infinity'))`).Scan(&n))
	return n
}

// TestWorkersShareTheSyncs: three workers on one database, six sources
// synced at once from the CLI: each sync runs as a job on one of the
// workers, which the CLI follows to its end; no source ever runs twice at
// once, and the runs are spread over the workers.
func TestWorkersShareTheSyncs(t *testing.T) {
	c := newCLI(t)
	const sources = 4
	for i := range sources {
		c.ok(t, "source", "add", "demo", fmt.Sprintf("d%d", i), "size=40", fmt.Sprintf("seed=%d", i+1), "end_date=2026-06-30")
	}
	for range 3 {
		startWorker(t, c.env, append([]string{"--workers", "1"}, fastJobs...)...)
	}
	type result struct {
		out string
		err error
	}
	results := make(chan result, 2*sources)
	// Each source twice at once: the second follows the first's job.
	for i := range 2 * sources {
		go func() {
			out, err := c.run(t, "sync", fmt.Sprintf("d%d", i%sources))
			results <- result{out, err}
		}()
	}
	following := 0
	for range 2 * sources {
		r := <-results
		require.NoError(t, r.err, r.out)
		require.Contains(t, r.out, "succeeded")
		require.Regexp(t, `syncing d\d \(demo\) on \S+:\d+`, r.out, "it says which worker runs it")
		if strings.Contains(r.out, "following it") {
			following++
		}
	}
	db := openSQL(t, c.url)
	var runs, workers int
	require.NoError(t, db.QueryRow(`SELECT count(*), count(DISTINCT worker) FROM sync_runs`).Scan(&runs, &workers))
	require.Equal(t, 2*sources-following, runs, "a sync asked for while one is queued or running is that one")
	require.GreaterOrEqual(t, workers, 2, "the runs are spread over the workers")
	require.Zero(t, overlaps(t, db))
	var trigger string
	require.NoError(t, db.QueryRow(`SELECT string_agg(DISTINCT trigger, ',') FROM sync_runs`).Scan(&trigger))
	require.Equal(t, "cli", trigger)
}

// TestAStoppedWorkersSyncResumesOnAnother stops the worker running a sync
// mid-run, gracefully or by SIGKILL: its run ends INTERRUPTED (never left
// RUNNING), the job goes on with another worker from the checkpoint, the
// CLI following it sees it through, and the data equals a clean run's.
func TestAStoppedWorkersSyncResumesOnAnother(t *testing.T) {
	clean := newCLI(t)
	clean.ok(t, demoSource...)
	clean.ok(t, "sync", "d")
	want := snapshot(t, clean.url)

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			c := newCLI(t)
			c.ok(t, demoSource...)
			first := startWorker(t, c.env, append([]string{"--workers", "1", "--name", "first"}, fastJobs...)...)
			out, followed := startFollowing(t, c, "d")

			db := openSQL(t, c.url)
			// Mid-run: a checkpoint of activities is committed.
			require.Eventually(t, func() bool {
				var n int
				require.NoError(t, db.QueryRow(`SELECT count(*) FROM sync_run_streams s JOIN sync_runs r ON r.id = s.run_id
					WHERE r.status = 'running' AND s.stream = 'activities' AND s.records_read > 0`).Scan(&n))
				return n > 0
			}, 2*time.Minute, 20*time.Millisecond)
			first.stop(t, sig)
			if sig == syscall.SIGTERM {
				require.Contains(t, first.out.String(), "stopping: running syncs stop at their last checkpoint")
				var status string
				require.NoError(t, db.QueryRow(`SELECT status FROM sync_runs WHERE worker = 'first'`).Scan(&status))
				require.Equal(t, "interrupted", status, "a graceful stop ends its run at once")
			}
			startWorker(t, c.env, append([]string{"--workers", "1", "--name", "second"}, fastJobs...)...)

			select {
			case err := <-followed:
				require.NoError(t, err, out.String())
			case <-time.After(3 * time.Minute):
				t.Fatalf("the sync did not resume:\n%s", out.String())
			}
			require.Contains(t, out.String(), "the job resumes from the last checkpoint on the next free worker")
			require.Contains(t, out.String(), "syncing d (demo) on second")
			require.Equal(t, want, snapshot(t, c.url))
			var statuses string
			require.NoError(t, db.QueryRow(`SELECT string_agg(worker || '=' || status, ',' ORDER BY started_at) FROM sync_runs`).Scan(&statuses))
			require.Equal(t, "first=interrupted,second=succeeded", statuses)
			require.Zero(t, overlaps(t, db))
		})
	}
}

// TestARunThatLostItsLeaseStopsAndItsJobResumes: mid-run, the worker's
// run is taken from it in SQL, as a process that found its lease lapsed
// would: the run stops before its next write (no duplicate key, nothing
// failed), and its job, retried, resumes from the checkpoint to data equal
// to a clean run's.
func TestARunThatLostItsLeaseStopsAndItsJobResumes(t *testing.T) {
	clean := newCLI(t)
	clean.ok(t, demoSource...)
	clean.ok(t, "sync", "d")
	want := snapshot(t, clean.url)

	c := newCLI(t)
	c.ok(t, demoSource...)
	w := startWorker(t, c.env, append([]string{"--workers", "1", "--name", "w"}, fastJobs...)...)
	out, followed := startFollowing(t, c, "d")

	db := openSQL(t, c.url)
	require.Eventually(t, func() bool {
		res, err := db.Exec(`UPDATE sync_runs SET status = 'interrupted', error = 'interrupted: taken by the test', finished_at = now()
			WHERE status = 'running' AND EXISTS (SELECT 1 FROM sync_run_streams s WHERE s.run_id = sync_runs.id AND s.stream = 'activities' AND s.records_read > 0)`)
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		return n == 1
	}, 2*time.Minute, 20*time.Millisecond)

	select {
	case err := <-followed:
		require.NoError(t, err, out.String())
	case <-time.After(3 * time.Minute):
		t.Fatalf("the sync did not resume:\n%s", out.String())
	}
	require.Equal(t, want, snapshot(t, c.url))
	var statuses string
	require.NoError(t, db.QueryRow(`SELECT string_agg(status, ',' ORDER BY started_at) FROM sync_runs`).Scan(&statuses))
	require.Equal(t, "interrupted,succeeded", statuses)
	require.NotContains(t, w.logs.String(), "duplicate key")
	require.Zero(t, overlaps(t, db))
}

// startFollowing runs `pulse sync source` in the background, as a user
// following a job that workers run; its output, and its exit once it
// ends.
func startFollowing(t *testing.T, c *cli, source string) (*lockedBuffer, <-chan error) {
	t.Helper()
	follow := exec.Command(pulseBin, "sync", source)
	follow.Env = c.env
	out := &lockedBuffer{}
	follow.Stdout, follow.Stderr = out, out
	require.NoError(t, follow.Start())
	followed := make(chan error, 1)
	go func() { followed <- follow.Wait() }()
	return out, followed
}
