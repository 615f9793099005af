package main_test

import (
	"bufio"
	"database/sql"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/zendesk/zendesktest"
)

// demoSource is a small, fixed demo dataset: the same records on every
// run and every day.
var demoSource = []string{"source", "add", "demo", "d", "size=120", "seed=7", "end_date=2026-06-30"}

// TestKilledSyncResumesToTheSameData kills pulse itself, not only its
// plugin, in the middle of a sync: the next run must bring the database to
// exactly what one clean run gives.
func TestKilledSyncResumesToTheSameData(t *testing.T) {
	clean := newCLI(t)
	clean.ok(t, demoSource...)
	clean.ok(t, "sync", "d")
	want := snapshot(t, clean.url)

	c := newCLI(t)
	c.ok(t, demoSource...)
	cmd := exec.Command(pulseBin, "sync", "d")
	cmd.Env = c.env
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		// Mid-run: some streams are done, and the first batches of
		// activities are being written.
		if strings.HasPrefix(strings.TrimSpace(sc.Text()), "activities") {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
			break
		}
	}
	require.True(t, killed, "the sync ended before it could be killed")
	_ = cmd.Wait()
	partial := snapshot(t, c.url)
	require.NotEqual(t, want, partial, "the kill left the sync unfinished")

	out := c.ok(t, "sync", "d")
	require.Contains(t, out, "succeeded")
	require.Equal(t, want, snapshot(t, c.url))

	// The run cut off with its process is closed, not left running.
	out = c.ok(t, "source", "list")
	require.Regexp(t, `d\s+demo\s+on demand\s+succeeded`, out)
	var interrupted int
	db := openSQL(t, c.url)
	require.NoError(t, db.QueryRow("SELECT count(*) FROM sync_runs WHERE status = 'interrupted' AND error LIKE 'interrupted%'").Scan(&interrupted))
	require.Equal(t, 1, interrupted)
}

func openSQL(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// snapshot is every synced entity, by its external id and content, in a
// form two databases compare by: internal ids and timestamps of storage
// differ between runs and are left out.
func snapshot(t *testing.T, url string) map[string][]string {
	t.Helper()
	db := openSQL(t, url)
	queries := map[string]string{
		"refs":          "SELECT entity_type || '|' || external_id FROM external_refs",
		"accounts":      "SELECT r.external_id || '|' || a.name || '|' || a.tier || '|' || a.lifecycle FROM accounts a JOIN external_refs r ON r.entity_id = a.id WHERE a.deleted_at IS NULL",
		"people":        "SELECT name || '|' || email || '|' || team FROM people",
		"account_team":  "SELECT a.name || '|' || p.name || '|' || t.role FROM account_team t JOIN accounts a ON a.id = t.account_id JOIN people p ON p.id = t.person_id",
		"contacts":      "SELECT a.name || '|' || c.email FROM contacts c JOIN accounts a ON a.id = c.account_id",
		"activities":    "SELECT a.name || '|' || x.kind || '|' || x.occurred_at::text || '|' || x.subject FROM activities x JOIN accounts a ON a.id = x.account_id",
		"subscriptions": "SELECT a.name || '|' || s.plan || '|' || s.amount::text || '|' || s.starts_at::text || '|' || coalesce(s.ends_at::text, '') FROM subscription_items s JOIN accounts a ON a.id = s.account_id",
		"deals":         "SELECT a.name || '|' || d.name || '|' || d.status || '|' || d.amount::text FROM deals d JOIN accounts a ON a.id = d.account_id",
		"tickets":       "SELECT a.name || '|' || k.subject || '|' || k.opened_at::text FROM tickets k JOIN accounts a ON a.id = k.account_id",
		"surveys":       "SELECT a.name || '|' || s.kind || '|' || s.score::text || '|' || s.responded_at::text FROM survey_responses s JOIN accounts a ON a.id = s.account_id",
		"fx_rates":      "SELECT date::text || '|' || currency || '|' || rate::text FROM fx_rates",
		"deferred":      "SELECT entity_type || '|' || external_id FROM deferred_records",
	}
	out := map[string][]string{}
	for name, q := range queries {
		rows, err := db.Query(q + " ORDER BY 1")
		require.NoError(t, err, name)
		var list []string
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s), name)
			list = append(list, s)
		}
		require.NoError(t, rows.Err(), name)
		rows.Close()
		out[name] = list
	}
	return out
}

// TestCtrlCInterruptsTheSync sends SIGINT to pulse sync once it shows
// progress: the run is stored as interrupted, not failed, pulse exits 130,
// and the next run completes from where it stopped.
func TestCtrlCInterruptsTheSync(t *testing.T) {
	c := newCLI(t)
	c.ok(t, "source", "add", "demo", "d", "size=400", "seed=7", "end_date=2026-06-30")
	cmd := exec.Command(pulseBin, "sync", "d")
	cmd.Env = c.env
	var out lockedBuffer
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = &out
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	signalled := false
	for sc.Scan() {
		_, _ = out.Write([]byte(sc.Text() + "\n"))
		if !signalled && strings.Contains(sc.Text(), " records") {
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			signalled = true
		}
	}
	require.True(t, signalled, "the sync showed no progress:\n%s", out.String())
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, out.String())
	require.Equal(t, 130, exit.ExitCode(), out.String())
	require.Regexp(t, `run \S+ interrupted in `, out.String())
	require.Contains(t, out.String(), "pulse: d: interrupted; the next run resumes from the last checkpoint")
	require.NotContains(t, out.String(), "bad connection")
	require.NotContains(t, out.String(), "sync failed")

	var status, msg string
	db := openSQL(t, c.url)
	require.NoError(t, db.QueryRow("SELECT status, error FROM sync_runs").Scan(&status, &msg))
	require.Equal(t, "interrupted", status)
	require.Equal(t, "interrupted: interrupt signal received", msg)
	srv := startServe(t, c.env)
	last := srv.query(t, `{ sources { lastRun { status error } } }`)["sources"].([]any)[0].(map[string]any)["lastRun"]
	srv.stop(t)
	require.Equal(t, map[string]any{"status": "INTERRUPTED", "error": msg}, last)

	out2 := c.ok(t, "sync", "d")
	require.Regexp(t, `run \S+ succeeded in `, out2)
}

// TestPausedSyncSaysUntilWhenAndExitsWithItsCode: a vendor that asks to
// come back in a day pauses the run; pulse says until when, not that the
// sync failed, and exits 4.
func TestPausedSyncSaysUntilWhenAndExitsWithItsCode(t *testing.T) {
	zd, err := zendesktest.New(connectorTestdata(t, "zendesk"), "admin@pulse-demo.example", "zd-token")
	require.NoError(t, err)
	t.Cleanup(zd.Close)
	c := newCLI(t)
	c.ok(t, "source", "add", "zendesk", "helpdesk", "base_url="+zd.URL, "email="+zd.Email, "api_token="+zd.Token)
	// The sync's first request, after those of source add's check.
	zd.Refuse(len(zd.Requests())+1, "86400")

	out := c.exit(t, 4, "sync", "helpdesk")
	m := regexp.MustCompile(`pulse: helpdesk: paused until (\S+); the next run resumes from the last checkpoint`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	until, err := time.Parse(time.RFC3339, m[1])
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(24*time.Hour), until, 10*time.Minute)
	require.Regexp(t, `run \S+ paused in `, out)
	require.NotContains(t, out, "sync failed")

	var status string
	require.NoError(t, openSQL(t, c.url).QueryRow("SELECT status FROM sync_runs").Scan(&status))
	require.Equal(t, "paused", status)
}

func TestSyncHelpListsItsExitCodes(t *testing.T) {
	out := newCLI(t).ok(t, "sync", "--help")
	for _, code := range []string{`0\s+succeeded`, `1\s+failed`, `2\s+usage error`, `3\s+partial`, `4\s+paused`, `130\s+interrupted`} {
		require.Regexp(t, `(?m)^\s+`+code, out)
	}
}

// TestSyncProgressEndsWithTheTableCounts: progress is shown at most once a
// second per stream, so its last report of a stream is often a first
// batch or the connector's estimate ("accounts 1000/2086"); each stream
// must end with a line of its true count, the one the table gives.
func TestSyncProgressEndsWithTheTableCounts(t *testing.T) {
	c := newCLI(t)
	c.ok(t, "source", "add", "demo", "d", "size=400", "seed=7", "end_date=2026-06-30")
	out := c.ok(t, "sync", "d")
	progress, table, _ := strings.Cut(out, "\nrun ")
	require.NotEmpty(t, table, out)

	last := map[string]string{}
	line := regexp.MustCompile(`(?m)^(\w+)\s+(\d+)(?:/\d+)? records(.*)$`)
	for _, m := range line.FindAllStringSubmatch(progress, -1) {
		last[m[1]] = m[2] + m[3]
	}
	rows := regexp.MustCompile(`(?m)^\s*(\w+)\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+\s*$`).FindAllStringSubmatch(table, -1)
	require.NotEmpty(t, rows, out)
	for _, row := range rows {
		require.Equal(t, row[2]+"  done", last[row[1]], "stream %s: its last progress line\n%s", row[1], out)
	}
	require.Len(t, last, len(rows), "every stream shown is in the table\n%s", out)
}
