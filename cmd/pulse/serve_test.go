package main_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
)

// post sends a GraphQL request and returns the decoded answer, errors and
// all.
func (s *server) post(t *testing.T, q string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	resp, err := s.send(body)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), string(b))
	return out
}

// TestServeManagesSourcesAndSchedules drives sources through the API of a
// real pulse serve: a bad config is refused naming the field, a good one is
// stored, its schedule runs it, and runSync runs it again.
func TestServeManagesSourcesAndSchedules(t *testing.T) {
	c := newCLI(t)
	s := startServe(t, c.env, "--scheduler-tick", "200ms")
	const create = `mutation($in: CreateSourceInput!) { createSource(input: $in) { id name kind schedule } }`

	bad := s.post(t, create, map[string]any{"in": map[string]any{"kind": "demo", "name": "d", "config": map[string]any{"size": -3}, "schedule": "1m"}})
	errs := bad["errors"].([]any)
	require.NotEmpty(t, errs)
	first := errs[0].(map[string]any)
	require.Equal(t, "BAD_USER_INPUT", first["extensions"].(map[string]any)["code"], first)
	require.Contains(t, first["message"], "size")
	require.NotContains(t, c.ok(t, "source", "list"), "demo", "nothing was stored")

	good := s.post(t, create, map[string]any{"in": map[string]any{"kind": "demo", "name": "d", "config": map[string]any{"size": 15, "end_date": "2026-06-30"}, "schedule": "1m"}})
	require.Nil(t, good["errors"])
	id := good["data"].(map[string]any)["createSource"].(map[string]any)["id"].(string)

	// The scheduler finds it due (it never ran) and syncs it.
	lastRun := func() map[string]any {
		d := s.query(t, `{ sources { name lastRun { status trigger recordsWritten } } }`)
		src := d["sources"].([]any)[0].(map[string]any)
		run, _ := src["lastRun"].(map[string]any)
		return run
	}
	require.Eventually(t, func() bool {
		r := lastRun()
		return r != nil && r["status"] == "SUCCEEDED"
	}, time.Minute, 200*time.Millisecond)
	require.Equal(t, "schedule", lastRun()["trigger"])
	require.EqualValues(t, 15, s.query(t, `{ accounts(first: 1) { totalCount } }`)["accounts"].(map[string]any)["totalCount"])

	// runSync starts another run; it re-reads and writes nothing new.
	run := s.post(t, `mutation($id: ID!) { runSync(sourceId: $id) { status trigger } }`, map[string]any{"id": id})
	require.Nil(t, run["errors"], run)
	require.Equal(t, "RUNNING", run["data"].(map[string]any)["runSync"].(map[string]any)["status"])
	require.Eventually(t, func() bool {
		r := lastRun()
		return r["trigger"] != "schedule" && r["status"] == "SUCCEEDED"
	}, time.Minute, 200*time.Millisecond)
	require.EqualValues(t, 0, lastRun()["recordsWritten"])
	s.stop(t)
}

// as posts a query with the given bearer key ("" sends no header) and
// returns the HTTP status and the decoded answer.
func (s *server) as(t *testing.T, key, q string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q})
	req, err := http.NewRequest(http.MethodPost, s.url+"/query", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), string(b))
	return resp.StatusCode, out
}

func codes(out map[string]any) []string {
	var cs []string
	errs, _ := out["errors"].([]any)
	for _, e := range errs {
		ext, _ := e.(map[string]any)["extensions"].(map[string]any)
		c, _ := ext["code"].(string)
		cs = append(cs, c)
	}
	return cs
}

// TestServeRequiresAKeyAndChecksRoles: no key, no data; a revoked key
// stops working; each role gets what it may and FORBIDDEN for the rest.
func TestServeRequiresAKeyAndChecksRoles(t *testing.T) {
	c := newCLI(t)
	viewer := keyPattern.FindString(c.ok(t, "apikey", "create", "v", "--role", "viewer"))
	editor := keyPattern.FindString(c.ok(t, "apikey", "create", "e", "--role", "editor"))
	gone := keyPattern.FindString(c.ok(t, "apikey", "create", "gone", "--role", "admin"))
	c.ok(t, "apikey", "revoke", "gone")
	s := startServe(t, c.env)
	const read = `{ accounts(first: 1) { totalCount } }`
	const create = `mutation { createSource(input: {kind: "demo", name: "x", config: {size: 5}}) { id } }`

	tests := []struct {
		name   string
		key    string
		query  string
		status int
		codes  []string
	}{
		{"no key", "", read, http.StatusUnauthorized, []string{"UNAUTHENTICATED"}},
		{"not a key", "hunter2", read, http.StatusUnauthorized, []string{"UNAUTHENTICATED"}},
		{"revoked key", gone, read, http.StatusUnauthorized, []string{"UNAUTHENTICATED"}},
		{"viewer reads", viewer, read, http.StatusOK, nil},
		{"viewer may not create a source", viewer, create, http.StatusOK, []string{"FORBIDDEN"}},
		{"editor may not create a source", editor, create, http.StatusOK, []string{"FORBIDDEN"}},
		{"viewer may not read a source's config", viewer, `{ sources { name config } }`, http.StatusOK, nil},
		{"admin creates a source", s.key, create, http.StatusOK, nil},
		{"viewer still may not read its config", viewer, `{ sources { name config } }`, http.StatusOK, []string{"FORBIDDEN"}},
		{"viewer lists sources", viewer, `{ sources { name } }`, http.StatusOK, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := s.as(t, tc.key, tc.query)
			require.Equal(t, tc.status, status, out)
			require.Equal(t, tc.codes, codes(out), out)
		})
	}
	// The refusals did not hurt the server.
	status, _ := s.as(t, viewer, read)
	require.Equal(t, http.StatusOK, status)
	s.stop(t)
}

// TestScheduleWaitsOutAPauseThenResumes: a source whose last run was
// paused until a time the vendor named is not synced before that time,
// though its schedule says it is due, and is synced as soon as it comes.
func TestScheduleWaitsOutAPauseThenResumes(t *testing.T) {
	c := newCLI(t)
	c.ok(t, "source", "add", "demo", "d", "size=5", "end_date=2026-06-30", "--schedule", "1m")
	db, err := sql.Open("pgx", c.url)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Exec(`INSERT INTO sync_runs (id, source_id, status, trigger, started_at, finished_at, error, paused_until)
		SELECT gen_random_uuid(), id, 'paused', 'cli', now() - interval '2 hours', now() - interval '2 hours',
			'stream accounts: transient: daily quota spent', now() + interval '1 hour'
		FROM sources WHERE name = 'd'`)
	require.NoError(t, err)
	runs := func(where string) int {
		var n int
		require.NoError(t, db.QueryRow("SELECT count(*) FROM sync_runs WHERE "+where).Scan(&n))
		return n
	}

	s := startServe(t, c.env, "--scheduler-tick", "100ms")
	paused := s.query(t, `{ sources { syncRuns(first: 1) { edges { node { status pausedUntil } } } } }`)
	last := paused["sources"].([]any)[0].(map[string]any)["syncRuns"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
	require.Equal(t, "PAUSED", last["status"])
	require.NotNil(t, last["pausedUntil"])
	// Twenty ticks of the scheduler pass the paused source by.
	time.Sleep(2 * time.Second)
	require.Equal(t, 1, runs("true"), "nothing ran during the pause")

	_, err = db.Exec(`UPDATE sync_runs SET paused_until = now() - interval '1 second'`)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return runs("trigger = 'schedule' AND status = 'succeeded'") == 1 },
		time.Minute, 100*time.Millisecond)
	s.stop(t)
}

// TestRevenueIsPricedAfterASync: a sync by another process (serve works no jobs here) that changes
// a report's data leaves no account for the next report to price: the
// sync's rescoring, or serve once told the run ended, prices it ahead,
// and the report answers from the new data. (That each write marks the
// accounts it changes is store's TestMRRHistoriesFollowEveryWrite.)
func TestRevenueIsPricedAfterASync(t *testing.T) {
	c := newCLI(t)
	exports := t.TempDir()
	write := func(name, text string) {
		require.NoError(t, os.WriteFile(filepath.Join(exports, name), []byte(text), 0o644))
	}
	write("accounts.csv", "id,name\nacc-1,Acme\n")
	write("subscriptions.csv", "id,account_id,plan,amount,currency,interval,starts_at\ns-1,acc-1,Pro,100,USD,month,2025-01-01\n")
	c.ok(t, "source", "add", "csv", "exports", "path="+exports)
	c.ok(t, "sync", "exports")
	// An API-only serve: the sync runs in the CLI's own process.
	s := startServe(t, c.env, "--workers", "0")
	db, err := sql.Open("pgx", c.url)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	marked := func() int {
		var n int
		require.NoError(t, db.QueryRow("SELECT count(DISTINCT account_id) FROM mrr_dirty").Scan(&n))
		return n
	}
	const report = `{ retention(from: "2025-06-01", to: "2025-07-01") { endMrr } }`
	endMRR := func() any { return s.query(t, report)["retention"].(map[string]any)["endMrr"] }
	require.Equal(t, "100", endMRR())
	require.Zero(t, marked())

	write("subscriptions.csv", "id,account_id,plan,amount,currency,interval,starts_at\ns-1,acc-1,Pro,150,USD,month,2025-01-01\n")
	c.ok(t, "sync", "exports")
	require.Eventually(t, func() bool { return marked() == 0 }, time.Minute, 100*time.Millisecond)
	require.Equal(t, "150", endMRR())
	s.stop(t)
}

// TestServeRateLimitFlags: an operator sets the per-key rate; past its
// burst a key is told RATE_LIMITED, and a limit of nothing is refused
// before serving.
func TestServeRateLimitFlags(t *testing.T) {
	c := newCLI(t)
	out, err := c.run(t, "serve", "--addr", "127.0.0.1:0", "--rate-limit", "0")
	require.Error(t, err)
	require.Contains(t, out, "--rate-limit and --rate-burst must be at least 1")

	s := startServe(t, c.env, "--rate-limit", "60", "--rate-burst", "2")
	var got []int
	for range 3 {
		status, _ := s.as(t, s.key, `{ sources { name } }`)
		got = append(got, status)
	}
	require.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests}, got)
	_, limited := s.as(t, s.key, `{ sources { name } }`)
	require.Equal(t, []string{"RATE_LIMITED"}, codes(limited))
	s.stop(t)
}

// lockAccounts holds a lock on the accounts table from a session of its
// own, so that every statement reading accounts waits, until the returned
// func releases it.
func lockAccounts(t *testing.T, url string) func() { return lockTable(t, url, "accounts") }

// lockTable holds a lock on table from a session of its own, so that every
// statement reading it waits, until the returned func releases it.
func lockTable(t *testing.T, url, table string) func() {
	t.Helper()
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	tx, err := db.Begin()
	require.NoError(t, err)
	_, err = tx.Exec("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE")
	require.NoError(t, err)
	return func() { _ = tx.Rollback() }
}

// probe is the status and body of a GET of path.
func (s *server) probe(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.url + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReadyzReportsASaturatedPool: while every connection of the pool is
// held by statements that wait, /readyz answers 503 and says so, /healthz
// stays green; once they end, /readyz is ready again.
func TestReadyzReportsASaturatedPool(t *testing.T) {
	c := newCLI(t)
	s := startServe(t, c.env, "--db-conns", "3", "--statement-timeout", "2m", "--saturated-after", "200ms", "--max-in-flight", "10")
	status, _ := s.probe(t, "/readyz")
	require.Equal(t, http.StatusOK, status)

	release := lockAccounts(t, c.url)
	done := make(chan int, 4)
	for range 4 {
		go func() {
			status, _ := s.as(t, s.key, `{ accounts(first: 1) { totalCount } }`)
			done <- status
		}()
	}
	var body string
	require.Eventually(t, func() bool {
		status, body = s.probe(t, "/readyz")
		return status == http.StatusServiceUnavailable
	}, time.Minute, 50*time.Millisecond, "not ready while the pool is saturated")
	require.Contains(t, body, "database pool saturated: all 3 connections in use")
	status, _ = s.probe(t, "/healthz")
	require.Equal(t, http.StatusOK, status, "alive all the same")

	release()
	for range 4 {
		require.Equal(t, http.StatusOK, <-done)
	}
	require.Eventually(t, func() bool {
		status, _ := s.probe(t, "/readyz")
		return status == http.StatusOK
	}, time.Minute, 50*time.Millisecond, "ready again")
	s.stop(t)
}

// TestServeStatementTimeout: a statement that runs past --statement-timeout
// is cut, and the request answers TIMEOUT; the bounds' flags refuse
// nonsense before serving.
func TestServeStatementTimeout(t *testing.T) {
	c := newCLI(t)
	out, err := c.run(t, "serve", "--addr", "127.0.0.1:0", "--max-conns", "0")
	require.Error(t, err)
	require.Contains(t, out, "--max-conns, --max-in-flight and --db-conns must be at least 1")

	s := startServe(t, c.env, "--statement-timeout", "300ms")
	release := lockAccounts(t, c.url)
	defer release()
	status, out2 := s.as(t, s.key, `{ accounts(first: 1) { totalCount } }`)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []string{"TIMEOUT"}, codes(out2))
	release()
	s.stop(t)
}
