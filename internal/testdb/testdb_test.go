package testdb_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
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
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/testdb"
)

// childEnv makes the test binary, run again by TestEmbeddedServer, behave
// as a package whose tests find no server.
const childEnv = "TESTDB_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		// Nothing listens on port 1, so the local server looks absent.
		*testdb.LocalURLs = []string{"postgres://postgres@127.0.0.1:1/postgres?sslmode=disable"}
		_ = os.Unsetenv("PULSE_TEST_DATABASE_URL")
	}
	testdb.Main(m)
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func databaseExists(t *testing.T, conn *pgx.Conn, name string) bool {
	t.Helper()
	var exists bool
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists))
	return exists
}

func TestNewDatabasesAreDistinctEmptyAndDropped(t *testing.T) {
	var names []string
	t.Run("use", func(t *testing.T) {
		a, b := testdb.New(t), testdb.New(t)
		require.NotEqual(t, a, b)
		for _, url := range []string{a, b} {
			conn := connect(t, url)
			var name string
			var tables int
			require.NoError(t, conn.QueryRow(t.Context(),
				"SELECT current_database(), (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')").Scan(&name, &tables))
			require.Regexp(t, fmt.Sprintf(`^pulse_t_%d_\d+_[a-z2-7]{8}$`, os.Getpid()), name)
			require.Zero(t, tables, "the database is empty")
			_, err := conn.Exec(t.Context(), "CREATE TABLE t (v int)")
			require.NoError(t, err)
			names = append(names, name)
		}
	})
	require.Len(t, names, 2)

	admin := connect(t, testdb.New(t))
	for _, name := range names {
		require.False(t, databaseExists(t, admin, name), "database %s outlived its test", name)
	}
}

func TestNewInParallel(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			url := testdb.New(t)
			var one int
			require.NoError(t, connect(t, url).QueryRow(t.Context(), "SELECT 1").Scan(&one))
			mu.Lock()
			defer mu.Unlock()
			require.False(t, seen[url], "URL handed out twice")
			seen[url] = true
		})
	}
}

func TestDropLeftovers(t *testing.T) {
	admin := connect(t, testdb.New(t))
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	deadPid := dead.Process.Pid

	tests := []struct {
		name        string
		db          string
		comment     string
		wantDropped bool
	}{
		{name: "dead test binary on this host", db: fmt.Sprintf("pulse_t_%d_1_leftover", deadPid), comment: testdb.Marker(), wantDropped: true},
		{name: "live test binary", db: fmt.Sprintf("pulse_t_%d_1_mine", os.Getpid()), comment: testdb.Marker()},
		{name: "another host", db: fmt.Sprintf("pulse_t_%d_1_elsewhere", deadPid), comment: "pulse testdb on elsewhere"},
		{name: "not made by testdb", db: fmt.Sprintf("pulse_t_%d_1_nocomment", deadPid)},
	}
	for _, tc := range tests {
		ident := pgx.Identifier{tc.db}.Sanitize()
		_, err := admin.Exec(t.Context(), "CREATE DATABASE "+ident+" TEMPLATE template0")
		require.NoError(t, err)
		t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+ident) })
		if tc.comment != "" {
			_, err = admin.Exec(t.Context(), "COMMENT ON DATABASE "+ident+" IS '"+tc.comment+"'")
			require.NoError(t, err)
		}
	}

	testdb.DropLeftovers(t.Context())

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, !tc.wantDropped, databaseExists(t, admin, tc.db))
		})
	}
}

// TestEmbeddedChild is a helper, not a test: TestEmbeddedServer runs the test
// binary again with only this function, in a child that finds no server.
func TestEmbeddedChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("helper process for TestEmbeddedServer")
	}
	url := testdb.New(t)
	var one int
	require.NoError(t, connect(t, url).QueryRow(t.Context(), "SELECT 1").Scan(&one))
	fmt.Printf("url %s\n", url)
	if mode == "hang" {
		time.Sleep(time.Hour)
	}
}

// runChild runs TestEmbeddedChild with tmp as its temporary directory and
// returns once it has a database, with the port of its embedded server.
func runChild(t *testing.T, tmp, mode string) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmbeddedChild$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "TMPDIR="+tmp)
	cmd.Stderr = os.Stderr
	// An os.Pipe rather than StdoutPipe, so that reading stays independent
	// of the Wait that each test does in its own way.
	stdout, w, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout = w
	err = cmd.Start()
	_ = w.Close()
	require.NoError(t, err)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = stdout.Close() }) // Kill is a no-op once the child has been waited for

	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "url "); ok {
				urls <- u
				break
			}
		}
		close(urls)
		_, _ = io.Copy(io.Discard, stdout) // so the child never blocks writing
	}()
	select {
	case u := <-urls:
		require.NotEmpty(t, u, "child exited without a database")
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		port, err := strconv.Atoi(parsed.Port())
		require.NoError(t, err)
		return cmd, port
	case <-time.After(2 * time.Minute):
		t.Fatal("child got no database")
		return nil, 0
	}
}

func reachable(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

func TestEmbeddedServer(t *testing.T) {
	tests := []struct {
		name string
		mode string
		end  func(t *testing.T, tmp string, child *exec.Cmd, port int)
	}{
		{name: "stopped when the tests end", mode: "exit", end: func(t *testing.T, _ string, child *exec.Cmd, _ int) {
			require.NoError(t, child.Wait())
		}},
		{name: "stopped on Ctrl-C", mode: "hang", end: func(t *testing.T, _ string, child *exec.Cmd, _ int) {
			require.NoError(t, child.Process.Signal(os.Interrupt))
			require.ErrorContains(t, child.Wait(), "signal: interrupt", "the child still dies of the signal")
		}},
		{name: "reaped by the next test binary after SIGKILL", mode: "hang", end: func(t *testing.T, tmp string, child *exec.Cmd, port int) {
			require.NoError(t, child.Process.Kill())
			_ = child.Wait()
			require.True(t, reachable(port), "a killed test binary leaves its server running")
			next, _ := runChild(t, tmp, "exit")
			require.NoError(t, next.Wait())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A private TMPDIR keeps the children away from the embedded
			// servers of other test binaries; it must be reachable by the
			// server user when the tests run as root.
			tmp, err := os.MkdirTemp("", "testdb-test-*")
			require.NoError(t, err)
			require.NoError(t, os.Chmod(tmp, 0o755))
			t.Cleanup(func() { killServers(t, tmp); _ = os.RemoveAll(tmp) })

			child, port := runChild(t, tmp, tc.mode)
			tc.end(t, tmp, child, port)

			require.False(t, reachable(port), "embedded server still running")
			entries, err := os.ReadDir(tmp)
			require.NoError(t, err)
			require.Empty(t, entries, "embedded server directory left behind")
		})
	}
}

// killServers is the safety net for a failed TestEmbeddedServer: whatever
// the children left running under tmp must not outlive the test.
func killServers(t *testing.T, tmp string) {
	pidFiles, _ := filepath.Glob(filepath.Join(tmp, testdb.EmbeddedPrefix+"*", "pg", "postmaster.pid"))
	for _, f := range pidFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])); err == nil && pid > 0 {
			t.Logf("killing PostgreSQL (pid %d) left in %s", pid, f)
			_ = syscall.Kill(pid, syscall.SIGQUIT)
		}
	}
}
