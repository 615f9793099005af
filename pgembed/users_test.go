package pgembed_test

import (
	"bufio"
	"fmt"
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

	"github.com/pulseproject/pulse/pgembed"
)

func TestServerRunsWhileItHasUsers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// firstOut is which of the two users stops first: the one that
		// started the server (0) or the one that attached (1).
		firstOut int
	}{
		{name: "starter stops first", firstOut: 0},
		{name: "attached user stops first", firstOut: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := newDataDir(t)
			first := start(t, options(t, dir))
			second := start(t, options(t, dir))
			require.True(t, first.Started())
			require.False(t, second.Started(), "a second Start attaches")
			require.Equal(t, first.URL(), second.URL())
			users := []*pgembed.Server{first, second}
			out, last := users[tc.firstOut], users[1-tc.firstOut]
			exec1(t, out.URL(), "CREATE TABLE t (v int)")

			require.NoError(t, out.Stop(t.Context()))
			require.True(t, reachable(last.Port()), "the server runs while another user has it")
			require.Equal(t, "0", queryString(t, last.URL(), "SELECT count(*)::text FROM t"))

			require.NoError(t, last.Stop(t.Context()))
			_, running := livePostmaster(dir)
			require.False(t, running, "the last user out stops the server")
			require.NoError(t, last.Stop(t.Context()), "a second Stop is harmless")
		})
	}
}

const userDirEnv = "PGEMBED_TEST_USER_DIR"

// TestUserProcess is a helper, not a test: TestKilledUserIsNotCounted runs
// the test binary again with only this function, as a user it kills.
func TestUserProcess(t *testing.T) {
	dir := os.Getenv(userDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKilledUserIsNotCounted")
	}
	s, err := pgembed.Start(t.Context(), options(t, dir))
	require.NoError(t, err)
	exec1(t, s.URL(), "CREATE TABLE IF NOT EXISTS kept (v text); INSERT INTO kept VALUES ('from the killed user')")
	fmt.Printf("ready %d\n", s.Port())
	time.Sleep(time.Hour)
}

// startUserProcess runs TestUserProcess on dir and returns it once it uses
// the server, and the server's port.
func startUserProcess(t *testing.T, dir string) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestUserProcess$")
	cmd.Env = append(os.Environ(), userDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				ready <- port
				return
			}
		}
		close(ready)
	}()
	select {
	case port := <-ready:
		require.NotEmpty(t, port, "user process exited before using the server")
		n, err := strconv.Atoi(port)
		require.NoError(t, err)
		return cmd, n
	case <-time.After(2 * time.Minute):
		t.Fatal("user process did not start or attach to the server")
		return nil, 0
	}
}

func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
}

func TestKilledUserIsNotCounted(t *testing.T) {
	t.Parallel()
	t.Run("the starter is killed; the next user out stops the server", func(t *testing.T) {
		t.Parallel()
		dir := newDataDir(t)
		user, port := startUserProcess(t, dir)
		kill(t, user)

		s := start(t, options(t, dir))
		require.False(t, s.Started(), "the server the killed process started still runs")
		require.Equal(t, port, s.Port())
		require.Equal(t, "from the killed user", queryString(t, s.URL(), "SELECT v FROM kept"))
		require.NoError(t, s.Stop(t.Context()))
		_, running := livePostmaster(dir)
		require.False(t, running)
	})
	t.Run("an attached user is killed; the starter still stops the server", func(t *testing.T) {
		t.Parallel()
		dir := newDataDir(t)
		s := start(t, options(t, dir))
		user, port := startUserProcess(t, dir)
		require.Equal(t, s.Port(), port)
		kill(t, user)

		require.NoError(t, s.Stop(t.Context()))
		_, running := livePostmaster(dir)
		require.False(t, running, "the killed user does not keep the server running")
	})
	t.Run("a user outlives the starter, then is killed", func(t *testing.T) {
		t.Parallel()
		dir := newDataDir(t)
		s := start(t, options(t, dir))
		user, _ := startUserProcess(t, dir)
		require.NoError(t, s.Stop(t.Context()))
		require.True(t, reachable(s.Port()), "the server runs while the other process uses it")
		kill(t, user)

		s = start(t, options(t, dir))
		require.False(t, s.Started())
		require.NoError(t, s.Stop(t.Context()))
		_, running := livePostmaster(dir)
		require.False(t, running)
	})
}

func TestServerStartedOutsidePulseIsLeftRunning(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	s := start(t, options(t, dir))
	// What a server started with pg_ctl by hand looks like to Pulse: no
	// pg.owner says Pulse started it.
	require.NoError(t, os.Remove(filepath.Join(dir, "pg.owner")))
	require.NoError(t, s.Stop(t.Context()))
	pid, running := livePostmaster(dir)
	require.True(t, running, "the last user out leaves a server Pulse did not start")

	require.NoError(t, syscall.Kill(pid, syscall.SIGINT))
	waitFor(t, func() bool { _, ok := livePostmaster(dir); return !ok })
}

// TestUsersComingAndGoingNeverLoseTheServer races users that start or
// attach, use the server and stop, so that a last user stopping meets new
// ones attaching: each must find the server answering for as long as it
// uses it, and the last one out must stop it.
func TestUsersComingAndGoingNeverLoseTheServer(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	const users, rounds = 3, 3
	var wg sync.WaitGroup
	errs := make(chan error, users*rounds)
	for range users {
		wg.Go(func() {
			for range rounds {
				s, err := pgembed.Start(t.Context(), options(t, dir))
				if err != nil {
					errs <- err
					return
				}
				conn, err := pgx.Connect(t.Context(), s.URL())
				if err == nil {
					err = conn.Ping(t.Context())
					_ = conn.Close(t.Context())
				}
				if err != nil {
					errs <- fmt.Errorf("a user lost the server: %w", err)
				}
				if err := s.Stop(t.Context()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	_, running := livePostmaster(dir)
	require.False(t, running, "the last user out stops the server")
}
