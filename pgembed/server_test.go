package pgembed_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/pgembed"
)

// newDataDir is not t.TempDir because that one's parent is mode 0700, which
// the server user cannot traverse when the tests run as root. Its cleanup,
// which runs after every Stop registered later, fails the test if a server
// was left running, and kills it so that nothing outlives the test.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgembed-test-*")
	require.NoError(t, err)
	t.Cleanup(func() {
		if pid, ok := livePostmaster(dir); ok {
			t.Errorf("PostgreSQL (pid %d) left running in %s", pid, dir)
			_ = syscall.Kill(pid, syscall.SIGQUIT)
			waitFor(t, func() bool { _, ok := livePostmaster(dir); return !ok })
		}
		assert.NoError(t, os.RemoveAll(dir))
	})
	return dir
}

func livePostmaster(dataDir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "pg", "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0, false
	}
	return pid, true
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logger shows what pgembed decided (attach, adopt, stale pid file) in
// the output of failing or -v tests.
func logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func options(t *testing.T, dir string) pgembed.Options {
	return pgembed.Options{DataDir: dir, Logger: logger(t)}
}

func start(t *testing.T, opts pgembed.Options) *pgembed.Server {
	t.Helper()
	s, err := pgembed.Start(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Stop(context.Background())) })
	return s
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func exec1(t *testing.T, url, sql string) {
	t.Helper()
	_, err := connect(t, url).Exec(t.Context(), sql)
	require.NoError(t, err)
}

func queryString(t *testing.T, url, sql string) string {
	t.Helper()
	var s string
	require.NoError(t, connect(t, url).QueryRow(t.Context(), sql).Scan(&s))
	return s
}

func reachable(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestStartStopRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	port := freePort(t)

	s, err := pgembed.Start(t.Context(), pgembed.Options{DataDir: dir, Port: port, Logger: logger(t)})
	require.NoError(t, err)
	require.True(t, s.Started())
	require.Equal(t, port, s.Port())
	require.Equal(t, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/pulse?sslmode=disable", port), s.URL())
	require.Equal(t, "1", queryString(t, s.URL(), "SELECT 1::text"))
	require.Equal(t, "pulse", queryString(t, s.URL(), "SELECT current_database()"))
	require.Equal(t, "127.0.0.1", queryString(t, s.URL(), "SHOW listen_addresses"))
	require.Empty(t, queryString(t, s.URL(), "SHOW unix_socket_directories"))
	exec1(t, s.URL(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
	require.FileExists(t, filepath.Join(dir, "pg.log"))

	require.NoError(t, s.Stop(t.Context()))
	require.NoError(t, s.Stop(t.Context()), "a second Stop is harmless")
	require.False(t, reachable(port))

	s = start(t, options(t, dir))
	require.True(t, s.Started())
	require.Equal(t, port, s.Port(), "the port of the previous run is reused while free")
	require.Equal(t, "still here", queryString(t, s.URL(), "SELECT v FROM kept"))
	require.NoError(t, s.Stop(t.Context()))

	taken, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	require.NoError(t, err)
	defer taken.Close()
	s = start(t, options(t, dir))
	require.NotEqual(t, port, s.Port(), "a taken port is replaced")
	require.Equal(t, "still here", queryString(t, s.URL(), "SELECT v FROM kept"))
}

func TestConcurrentStartsShareOneServer(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	const n = 4
	servers := make([]*pgembed.Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { servers[i], errs[i] = pgembed.Start(t.Context(), options(t, dir)) })
	}
	wg.Wait()
	starters := 0
	for i, s := range servers {
		require.NoError(t, errs[i])
		t.Cleanup(func() { assert.NoError(t, s.Stop(context.Background())) })
		require.Equal(t, servers[0].Port(), s.Port())
		if s.Started() {
			starters++
		}
	}
	require.Equal(t, 1, starters)
	require.Equal(t, "1", queryString(t, servers[0].URL(), "SELECT 1::text"))
	// newDataDir's cleanup, which runs after the Stops, fails the test if
	// the last of them left the server running.
}

func TestStartDespiteStalePidFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// crash leaves postmaster.pid behind as a crash would.
		crash func(t *testing.T, dir string, s *pgembed.Server)
	}{
		{name: "postmaster killed", crash: func(t *testing.T, dir string, s *pgembed.Server) {
			pid, ok := livePostmaster(dir)
			require.True(t, ok)
			require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
			waitFor(t, func() bool { return !pgembed.ProcessAlive(pid) })
			// The Server in this test process is still a user; its Stop
			// finds the server dead and leaves postmaster.pid alone.
			require.NoError(t, s.Stop(t.Context()))
			require.FileExists(t, filepath.Join(dir, "pg", "postmaster.pid"))
		}},
		{name: "pid of a dead process", crash: func(t *testing.T, dir string, s *pgembed.Server) {
			dead := exec.Command("true")
			require.NoError(t, dead.Run())
			writePidFile(t, dir, s, dead.Process.Pid)
		}},
		{name: "pid reused by an unrelated process", crash: func(t *testing.T, dir string, s *pgembed.Server) {
			other := exec.Command("sleep", "300")
			require.NoError(t, other.Start())
			t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
			writePidFile(t, dir, s, other.Process.Pid)
		}},
		{name: "truncated pid file", crash: func(t *testing.T, dir string, s *pgembed.Server) {
			require.NoError(t, s.Stop(t.Context()))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "pg", "postmaster.pid"), nil, 0o600))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := newDataDir(t)
			s, err := pgembed.Start(t.Context(), options(t, dir))
			require.NoError(t, err)
			exec1(t, s.URL(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survived')")
			tc.crash(t, dir, s)

			s = start(t, options(t, dir))
			require.True(t, s.Started())
			require.Equal(t, "survived", queryString(t, s.URL(), "SELECT v FROM kept"))
		})
	}
}

// writePidFile stops the server and leaves a postmaster.pid naming pid, in
// the format postgres writes.
func writePidFile(t *testing.T, dir string, s *pgembed.Server, pid int) {
	t.Helper()
	require.NoError(t, s.Stop(t.Context()))
	content := fmt.Sprintf("%d\n%s\n%d\n%d\n\n127.0.0.1\n  1234567     32768\nready   \n",
		pid, filepath.Join(dir, "pg"), time.Now().Unix(), s.Port())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pg", "postmaster.pid"), []byte(content), 0o600))
}

// onMessage calls fn when a record with message msg is logged, to act at a
// known point inside Start.
type onMessage struct {
	slog.Handler
	msg string
	fn  func()
}

func (h onMessage) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.fn()
	}
	return h.Handler.Handle(ctx, r)
}

func (h onMessage) WithAttrs(attrs []slog.Attr) slog.Handler {
	return onMessage{h.Handler.WithAttrs(attrs), h.msg, h.fn}
}

func (h onMessage) WithGroup(name string) slog.Handler {
	return onMessage{h.Handler.WithGroup(name), h.msg, h.fn}
}

func TestStartCancelled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		at      string // the message after which Start is cancelled
	}{
		{name: "during initdb", prepare: func(*testing.T, string) {}, at: "initialising PostgreSQL cluster"},
		{name: "while the server starts", prepare: func(t *testing.T, dir string) {
			s, err := pgembed.Start(t.Context(), options(t, dir))
			require.NoError(t, err)
			require.NoError(t, s.Stop(t.Context()))
		}, at: "starting PostgreSQL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := newDataDir(t)
			tc.prepare(t, dir)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var once sync.Once
			// The delay lets the command get under way, so that it is the
			// command that gets interrupted.
			cancelSoon := func() { once.Do(func() { time.AfterFunc(50*time.Millisecond, cancel) }) }
			opts := options(t, dir)
			opts.Logger = slog.New(onMessage{opts.Logger.Handler(), tc.at, cancelSoon})
			_, err := pgembed.Start(ctx, opts)
			require.ErrorIs(t, err, context.Canceled)
			_, running := livePostmaster(dir)
			require.False(t, running, "a cancelled Start leaves no server behind")

			s := start(t, options(t, dir))
			require.True(t, s.Started(), "a cancelled Start leaves nothing that blocks the next")
			require.Equal(t, "1", queryString(t, s.URL(), "SELECT 1::text"))
		})
	}
}

func TestStartRejectsUnreachableDataDirAsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root switches to a user that may not reach the data directory")
	}
	t.Parallel()
	private, err := os.MkdirTemp("", "pgembed-private-*") // mode 0700
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(private) })

	_, err = pgembed.Start(t.Context(), pgembed.Options{DataDir: filepath.Join(private, "data")})
	require.ErrorContains(t, err, private+" (mode -rwx------) is not searchable")
	require.ErrorContains(t, err, "PULSE_DATA_DIR")
}

func TestStartWithBadBinDir(t *testing.T) {
	t.Parallel()
	_, err := pgembed.Start(t.Context(), pgembed.Options{DataDir: t.TempDir(), BinDir: t.TempDir()})
	require.ErrorIs(t, err, pgembed.ErrNoBinaries)
}
