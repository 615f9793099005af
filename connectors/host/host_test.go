package host_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/internal/plugintest"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(orphanDir); dir != "" {
		launchAndDie(dir)
	}
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// copyPlugin puts the built testkit plugin into a fresh folder under name.
func copyPlugin(t *testing.T, name string) (dir, path string) {
	t.Helper()
	src := filepath.Join(plugintest.Dir(t), host.BinaryPrefix+"testkit")
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	dir = t.TempDir()
	path = filepath.Join(dir, host.BinaryPrefix+name)
	require.NoError(t, os.WriteFile(path, b, 0o755))
	return dir, path
}

func TestLaunchVerifiesChecksums(t *testing.T) {
	ctx := context.Background()
	t.Run("listed and matching", func(t *testing.T) {
		h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
		conn, err := h.Launch(ctx, "testkit")
		require.NoError(t, err)
		defer conn.Close()
		spec, err := conn.Spec(ctx)
		require.NoError(t, err)
		require.Equal(t, "testkit", spec.GetName())
		require.NotZero(t, conn.Pid())
	})
	t.Run("not listed", func(t *testing.T) {
		dir, path := copyPlugin(t, "kit")
		h := host.New(host.Options{Dirs: []string{dir}})
		_, err := h.Launch(ctx, "kit")
		require.ErrorIs(t, err, host.ErrUntrusted)
		require.ErrorContains(t, err, path+" is not listed in SHA256SUMS")
	})
	t.Run("checksum mismatch", func(t *testing.T) {
		dir, path := copyPlugin(t, "kit")
		require.NoError(t, os.WriteFile(filepath.Join(dir, host.SumsFile),
			[]byte("0000000000000000000000000000000000000000000000000000000000000000  pulse-connector-kit\n"), 0o644))
		h := host.New(host.Options{Dirs: []string{dir}})
		_, err := h.Launch(ctx, "kit")
		require.ErrorIs(t, err, host.ErrUntrusted)
		require.ErrorContains(t, err, path+" does not match its checksum")
	})
	t.Run("replaced after install", func(t *testing.T) {
		dir, path := copyPlugin(t, "kit")
		_, err := host.Install(dir, "kit", path)
		require.NoError(t, err)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, _ = f.Write([]byte("tampered"))
		require.NoError(t, f.Close())
		h := host.New(host.Options{Dirs: []string{dir}})
		_, err = h.Launch(ctx, "kit")
		require.ErrorIs(t, err, host.ErrUntrusted)
	})
	t.Run("unknown", func(t *testing.T) {
		h := host.New(host.Options{Dirs: []string{t.TempDir()}})
		_, err := h.Launch(ctx, "nope")
		require.ErrorIs(t, err, host.ErrNotFound)
	})
}

func TestCheckNamesEveryBadField(t *testing.T) {
	ctx := context.Background()
	h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
	conn, err := h.Launch(ctx, "testkit")
	require.NoError(t, err)
	defer conn.Close()
	problems, err := conn.Check(ctx, []byte(`{"accounts": -1, "fail": "sometimes", "bogus": 1}`))
	require.NoError(t, err)
	fields := map[string]bool{}
	for _, p := range problems {
		fields[p.GetField()] = true
	}
	require.Equal(t, map[string]bool{"accounts": true, "fail": true, "bogus": true}, fields)
}

func TestInstallWritesSums(t *testing.T) {
	_, path := copyPlugin(t, "kit")
	dir := t.TempDir()
	p, err := host.Install(dir, "kit", path)
	require.NoError(t, err)
	sums, err := host.ReadSums(dir)
	require.NoError(t, err)
	require.Equal(t, p.SHA256, sums["pulse-connector-kit"])
	h := host.New(host.Options{Dirs: []string{dir}})
	list, err := h.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "kit", list[0].Name)
}

func TestLaunchesAndCrashesAreReported(t *testing.T) {
	ctx := context.Background()
	var launched []string
	var crashed []*host.CrashError
	h := host.New(host.Options{
		Dirs:     []string{plugintest.Dir(t)},
		OnLaunch: func(p host.Plugin) { launched = append(launched, p.Name) },
		OnCrash:  func(c *host.CrashError) { crashed = append(crashed, c) },
	})
	conn, err := h.Launch(ctx, "testkit")
	require.NoError(t, err)
	defer conn.Close()
	require.Equal(t, []string{"testkit"}, launched)
	_, err = conn.Spec(ctx)
	require.NoError(t, err)
	require.Empty(t, crashed)

	proc, err := os.FindProcess(conn.Pid())
	require.NoError(t, err)
	require.NoError(t, proc.Kill())
	_, err = conn.Spec(ctx)
	var crash *host.CrashError
	require.ErrorAs(t, err, &crash)
	require.Equal(t, []*host.CrashError{crash}, crashed)
}

// orphanDir, when set, makes this test binary a host that launches the
// testkit plugin from that folder, prints its pid and exits without
// stopping it, as a host killed outright would.
const orphanDir = "PULSE_HOST_TEST_ORPHAN_DIR"

func launchAndDie(dir string) {
	conn, err := host.New(host.Options{Dirs: []string{dir}}).Launch(context.Background(), "testkit")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(conn.Pid())
	os.Exit(0)
}

// TestPluginsEndWithTheirHost runs a host that dies without stopping its
// plugin: the plugin sees its parent gone and exits by itself, rather
// than running on, orphaned.
func TestPluginsEndWithTheirHost(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), orphanDir+"="+plugintest.Dir(t))
	out, err := cmd.Output()
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		// pid (name) state …: an exited process not yet reaped is Z.
		_, rest, _ := strings.Cut(string(stat), ") ")
		return strings.HasPrefix(rest, "Z")
	}, 10*time.Second, 100*time.Millisecond, "the plugin %d outlived its host", pid)
}
