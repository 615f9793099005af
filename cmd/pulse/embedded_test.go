package main_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/stripe/stripetest"
)

// These tests run several pulse processes on one data folder and no
// DATABASE_URL, so that they share the embedded PostgreSQL, as a user who
// runs `pulse serve` in one terminal and `pulse sync` in another would.

// embeddedEnv is the environment of pulse processes on a fresh data folder
// of their own. Its cleanup fails the test if a postgres process is left
// on the folder, and kills it.
func embeddedEnv(t *testing.T) (env []string, dataDir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts its own PostgreSQL")
	}
	// Not t.TempDir: its parent is mode 0700, which the user the embedded
	// server runs as cannot enter when the tests run as root.
	dataDir, err := os.MkdirTemp("", "pulse-embedded-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if pids := postgresOn(dataDir); len(pids) > 0 {
			t.Errorf("postgres processes %v left running on %s", pids, dataDir)
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = os.RemoveAll(dataDir)
	})
	return append(os.Environ(), "DATABASE_URL=", "PULSE_DATA_DIR="+dataDir, "PULSE_PLUGIN_DIR=", "PULSE_SECRET_KEY="), dataDir
}

// postgresOn returns the pids of the processes working in dataDir's
// cluster: postgres runs with its data directory as working directory.
func postgresOn(dataDir string) []int {
	cluster, err := filepath.EvalSymlinks(filepath.Join(dataDir, "pg"))
	if err != nil {
		return nil
	}
	procs, _ := filepath.Glob("/proc/[0-9]*") // the pattern is valid
	var pids []int
	for _, p := range procs {
		if cwd, err := os.Readlink(filepath.Join(p, "cwd")); err == nil && cwd == cluster {
			pid, _ := strconv.Atoi(filepath.Base(p))
			pids = append(pids, pid)
		}
	}
	return pids
}

// postmaster reads the pid and port of the embedded server from its pid
// file; ok is false when there is none.
func postmaster(t *testing.T, dataDir string) (pid, port int, ok bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "pg", "postmaster.pid"))
	if err != nil {
		return 0, 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, 0, false
	}
	pid, _ = strconv.Atoi(strings.TrimSpace(lines[0]))
	port, _ = strconv.Atoi(strings.TrimSpace(lines[3]))
	return pid, port, pid > 0 && syscall.Kill(pid, 0) == nil
}

// answers reports whether serve answers a GraphQL query that reads the
// database, with data and no error.
func (s *server) answers(t *testing.T) bool {
	t.Helper()
	out := s.post(t, `{ accounts(first: 1) { totalCount } }`, nil)
	return out["errors"] == nil && out["data"] != nil
}

func (s *server) ready(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(s.url + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// exitOn sends sig to serve and waits for it to exit.
func (s *server) exitOn(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(sig))
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		t.Fatalf("serve did not exit on %v", sig)
	}
}

const waitLimit = time.Minute

// gate passes requests on to next, except while held: then each request
// waits for release, and arrived hears of it.
type gate struct {
	next    http.Handler
	arrived chan struct{}

	mu   gosync.Mutex
	open chan struct{} // closed while requests pass
}

func newGate(t *testing.T, next http.Handler) (*gate, *httptest.Server) {
	g := &gate{next: next, arrived: make(chan struct{}, 64), open: make(chan struct{})}
	close(g.open)
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv
}

func (g *gate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.open)
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	select {
	case <-open:
	default:
		select {
		case g.arrived <- struct{}{}:
		default:
		}
		select {
		case <-open:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// TestServeOutlivesTheSyncThatStartedItsServer is the report of issue 10
// as written: a sync starts the embedded server, serve attaches to it, and
// the sync ends. The sync is held inside its read by a gate in front of
// the vendor API, so that serve surely attaches while it runs.
func TestServeOutlivesTheSyncThatStartedItsServer(t *testing.T) {
	t.Parallel()
	env, dataDir := embeddedEnv(t)
	st, err := stripetest.New(connectorTestdata(t, "stripe"), "sk_test_northwind")
	require.NoError(t, err)
	t.Cleanup(st.Close)
	stripeURL, err := url.Parse(st.URL)
	require.NoError(t, err)
	g, api := newGate(t, httputil.NewSingleHostReverseProxy(stripeURL))
	c := &cli{env: env}
	c.ok(t, "source", "add", "stripe", "billing", "base_url="+api.URL, "secret_key="+st.Key)
	require.Empty(t, postgresOn(dataDir), "source add stopped the server it started")

	g.hold()
	syncCmd := exec.Command(pulseBin, "sync", "billing")
	syncCmd.Env = env
	var out lockedBuffer
	syncCmd.Stdout, syncCmd.Stderr = &out, &out
	require.NoError(t, syncCmd.Start())
	synced := make(chan error, 1)
	go func() { synced <- syncCmd.Wait() }()
	t.Cleanup(func() {
		if syncCmd.ProcessState == nil {
			_ = syncCmd.Process.Kill()
		}
	})
	select {
	case <-g.arrived:
	case err := <-synced:
		t.Fatalf("the sync ended before reading: %v\n%s", err, out.String())
	case <-time.After(waitLimit):
		t.Fatalf("the sync did not start reading:\n%s", out.String())
	}
	require.Contains(t, out.String(), "started embedded PostgreSQL")
	pid, _, ok := postmaster(t, dataDir)
	require.True(t, ok)

	s := startServe(t, env)
	require.True(t, s.answers(t))
	g.release()
	select {
	case err := <-synced:
		require.NoError(t, err, out.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("the sync did not end:\n%s", out.String())
	}
	require.Contains(t, out.String(), "succeeded")

	require.True(t, s.answers(t), "serve still answers after the sync that started the server ended")
	require.Equal(t, http.StatusOK, s.ready(t))
	again, _, ok := postmaster(t, dataDir)
	require.True(t, ok)
	require.Equal(t, pid, again, "the server kept running")
	data := s.query(t, `{ accounts(first: 1) { totalCount } }`)
	require.Positive(t, data["accounts"].(map[string]any)["totalCount"])

	s.stop(t)
	require.Empty(t, postgresOn(dataDir), "the last user out stops the server")
}

func TestServeOutlivesOtherUsersOfItsEmbeddedServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// other uses the embedded server while serve runs, and is gone
		// when it returns.
		other func(t *testing.T, env []string)
	}{
		{name: "a sync attaches and exits", other: func(t *testing.T, env []string) {
			c := &cli{env: env}
			c.ok(t, "source", "add", "demo", "d", "size=20", "seed=7", "end_date=2026-06-30")
			require.Contains(t, c.ok(t, "sync", "d"), "succeeded")
		}},
		{name: "a second serve attaches and is interrupted", other: func(t *testing.T, env []string) {
			second := startServe(t, env)
			require.True(t, second.answers(t))
			second.exitOn(t, syscall.SIGINT)
		}},
		{name: "a second serve attaches and is killed", other: func(t *testing.T, env []string) {
			second := startServe(t, env)
			require.True(t, second.answers(t))
			second.exitOn(t, syscall.SIGKILL)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, dataDir := embeddedEnv(t)
			s := startServe(t, env)
			pid, _, ok := postmaster(t, dataDir)
			require.True(t, ok)

			tc.other(t, env)
			require.True(t, s.answers(t), "serve still answers after the other process is gone")
			require.Equal(t, http.StatusOK, s.ready(t))
			again, _, ok := postmaster(t, dataDir)
			require.True(t, ok)
			require.Equal(t, pid, again, "the server kept running; it was not stopped and started again")

			s.stop(t)
			require.Empty(t, postgresOn(dataDir), "the last user out stops the server")
		})
	}
}

func TestLastServeOutStopsTheEmbeddedServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sig  syscall.Signal
	}{
		{name: "the first is interrupted", sig: syscall.SIGINT},
		{name: "the first is killed", sig: syscall.SIGKILL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, dataDir := embeddedEnv(t)
			first := startServe(t, env)
			second := startServe(t, env)

			first.exitOn(t, tc.sig)
			require.True(t, second.answers(t), "the second serve still answers")
			// A command run now attaches to the server the second serve
			// keeps, and leaves it running when it exits.
			require.Contains(t, (&cli{env: env}).ok(t, "source", "list"), "NAME")
			require.True(t, second.answers(t))

			second.exitOn(t, syscall.SIGINT)
			require.Empty(t, postgresOn(dataDir), "the last serve out stops the server")
		})
	}
}

// TestServeReconnectsWhenTheDatabaseComesBack stops the embedded server
// under a running serve while holding the data folder's lock, so that
// nothing can start it again until the test has seen serve report it down.
func TestServeReconnectsWhenTheDatabaseComesBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sig  syscall.Signal
	}{
		{name: "stopped", sig: syscall.SIGINT}, // what pg_ctl stop -m fast sends
		{name: "killed", sig: syscall.SIGKILL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, dataDir := embeddedEnv(t)
			c := &cli{env: env}
			c.ok(t, "source", "add", "demo", "d", "size=20", "seed=7", "end_date=2026-06-30")
			c.ok(t, "sync", "d")
			s := startServe(t, env)
			require.True(t, s.answers(t))
			pid, port, ok := postmaster(t, dataDir)
			require.True(t, ok)

			lock, err := os.OpenFile(filepath.Join(dataDir, "pg.lock"), os.O_CREATE|os.O_RDWR, 0o600)
			require.NoError(t, err)
			defer lock.Close()
			require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
			require.NoError(t, syscall.Kill(pid, tc.sig))
			require.Eventually(t, func() bool { return syscall.Kill(pid, 0) != nil || isZombie(pid) }, waitLimit, 50*time.Millisecond)

			require.Eventually(t, func() bool { return s.ready(t) == http.StatusServiceUnavailable }, waitLimit, 50*time.Millisecond,
				"/readyz says not ready while the database is down")
			require.False(t, s.answers(t))

			require.NoError(t, lock.Close()) // lets serve start the server again
			require.Eventually(t, func() bool { return s.ready(t) == http.StatusOK }, waitLimit, 50*time.Millisecond,
				"serve starts the server again and /readyz says ready")
			require.True(t, s.answers(t), "GraphQL answers again without a restart of serve")
			data := s.query(t, `{ accounts(first: 1) { totalCount } }`)
			require.EqualValues(t, 20, data["accounts"].(map[string]any)["totalCount"])
			again, againPort, ok := postmaster(t, dataDir)
			require.True(t, ok)
			require.NotEqual(t, pid, again)
			require.Equal(t, port, againPort, "the server comes back on its port")

			// The events Listener, serve's one long-lived connection,
			// listens again (it backs off up to 10s between attempts).
			require.Eventually(t, func() bool { return listening(t, port) }, waitLimit, 100*time.Millisecond,
				"serve's events Listener reconnects")

			s.stop(t)
			require.Empty(t, postgresOn(dataDir))
		})
	}
}

// isZombie covers a postmaster killed while nothing reaps it, as in a
// container whose init does not.
func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && strings.HasPrefix(string(b[i+1:]), " Z")
}

// listening reports whether a pulse-events session LISTENs on the server.
func listening(t *testing.T, port int) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:"+strconv.Itoa(port)+"/pulse?sslmode=disable")
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pulse-events' AND query LIKE 'LISTEN%'").Scan(&n)
	return err == nil && n > 0
}
