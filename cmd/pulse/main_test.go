package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/plugintest"
	"github.com/pulseproject/pulse/internal/testdb"
)

// pulseBin is the pulse binary under test, built once.
var pulseBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pulse-cli-")
	if err != nil {
		panic(err)
	}
	pulseBin = filepath.Join(dir, "pulse")
	root, err := plugintest.ModuleRoot()
	if err != nil {
		panic(err)
	}
	build := exec.Command("go", "build", "-o", pulseBin, "./cmd/pulse")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		panic("go build ./cmd/pulse: " + err.Error() + "\n" + string(out))
	}
	testdb.Main(m, func() { os.RemoveAll(dir) })
}

// cli runs pulse commands against one database and data folder, with only
// the built-in connectors (no plugin folder), as a new user would.
type cli struct {
	env []string
	url string
}

func newCLI(t testing.TB) *cli {
	t.Helper()
	url := testdb.New(t)
	return &cli{url: url, env: append(os.Environ(),
		"DATABASE_URL="+url,
		"PULSE_DATA_DIR="+t.TempDir(),
		"PULSE_PLUGIN_DIR=",
		"PULSE_SECRET_KEY=",
	)}
}

func (c *cli) run(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pulseBin, args...)
	cmd.Env = c.env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// exit runs pulse and requires it to exit with code.
func (c *cli) exit(t *testing.T, code int, args ...string) string {
	t.Helper()
	out, err := c.run(t, args...)
	var exit *exec.ExitError
	if code == 0 {
		require.NoError(t, err, "pulse %s:\n%s", strings.Join(args, " "), out)
		return out
	}
	require.ErrorAs(t, err, &exit, "pulse %s:\n%s", strings.Join(args, " "), out)
	require.Equal(t, code, exit.ExitCode(), "pulse %s:\n%s", strings.Join(args, " "), out)
	return out
}

func (c *cli) ok(t testing.TB, args ...string) string {
	t.Helper()
	out, err := c.run(t, args...)
	require.NoError(t, err, "pulse %s:\n%s", strings.Join(args, " "), out)
	return out
}

func TestSourceAddSyncAndReport(t *testing.T) {
	c := newCLI(t)
	exports, err := filepath.Abs("testdata/exports")
	require.NoError(t, err)

	out := c.ok(t, "source", "add", "csv", "exports", "path="+exports)
	require.Contains(t, out, "added source exports (csv")

	// A run that rejected rows is partial, with its own exit code.
	out = c.exit(t, 3, "sync", "exports")
	require.Regexp(t, `run \S+ partial in `, out)
	require.Contains(t, out, "pulse: exports: partial: 1 record rejected")
	require.Regexp(t, `(?m)^\s*accounts\s+4\s+4\s+0\s+0\s+0\s*$`, out)
	// The bad rows are named with file, line and column; their
	// neighbours still import.
	require.Contains(t, out, `activities.csv:4:8 [source] occurred_at:`)
	require.Contains(t, out, `activities.csv:5 [deferred] account_external_id: no account "nope" from this source`)
	require.Regexp(t, `(?m)^\s*activities\s+4\s+3\s+0\s+1\s+1\s*$`, out)

	out = c.ok(t, "source", "list")
	require.Regexp(t, `exports\s+csv\s+on demand\s+partial`, out)

	// The files unchanged, the next run reads nothing and rejects nothing.
	out = c.ok(t, "sync", "exports")
	require.Regexp(t, `succeeded in .*: 0 read .*, 0 written`, out)
	out = c.ok(t, "source", "list")
	require.Regexp(t, `exports\s+csv\s+on demand\s+succeeded`, out)
	c.ok(t, "source", "rm", "exports")
	out = c.ok(t, "source", "list")
	require.NotContains(t, out, "exports")
}

func TestSourceAddRefusesBadInput(t *testing.T) {
	c := newCLI(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"missing path", []string{"csv", "x"}, []string{"config.path: is required"}},
		{"folder absent", []string{"csv", "x", "path=/does/not/exist"}, []string{"config.path:"}},
		{"unknown connector", []string{"salesforcez", "x"}, []string{`kind: no connector called "salesforcez" is installed; the connectors are csv, demo, hubspot, intercom, salesforce, stripe, zendesk`}},
		{"bad schedule", []string{"demo", "x", "--schedule", "often"}, []string{`schedule: "often" is not a duration`}},
		{"bad setting", []string{"demo", "x", "size=lots"}, []string{"config.size"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.run(t, append([]string{"source", "add"}, tc.args...)...)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, out, w)
			}
		})
	}
	out := c.ok(t, "source", "list")
	require.NotContains(t, out, " x ", "nothing was stored")
}

func TestUnknownSourceIsAnsweredWithTheSources(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"sync", "nope"}, {"source", "rm", "nope"}} {
		out, err := c.run(t, args...)
		require.Error(t, err)
		require.Contains(t, out, "pulse: source \"nope\": not found; there are no sources yet: add one with `pulse source add KIND NAME` (KIND from `pulse connector list`)\n")
	}
	c.ok(t, "source", "add", "demo", "demo", "size=5")
	c.ok(t, "source", "add", "demo", "other", "size=5")
	for _, args := range [][]string{{"sync", "nope"}, {"source", "rm", "nope"}} {
		out, err := c.run(t, args...)
		require.Error(t, err)
		require.Contains(t, out, "pulse: source \"nope\": not found; the sources are demo, other\n")
	}
}

func TestConnectorListShowsBuiltins(t *testing.T) {
	c := newCLI(t)
	out := c.ok(t, "connector", "list")
	require.Regexp(t, `(?m)^csv\s+1\.0\.0\s+fx_rates,accounts`, out)
	require.Regexp(t, `(?m)^demo\s+1\.0\.0\s+people,accounts`, out)
}

// server is a running `pulse serve`.
type server struct {
	cmd *exec.Cmd
	url string
	out *lockedBuffer
	// logs is what serve wrote to stderr: its log.
	logs *lockedBuffer
	done chan error
	// key is an admin API key: the one serve --demo printed, or one made
	// with pulse apikey create before serve started.
	key string
}

func startServe(t testing.TB, env []string, args ...string) *server {
	t.Helper()
	demo := slices.Contains(args, "--demo")
	var key string
	if !demo {
		out := (&cli{env: env}).ok(t, "apikey", "create", fmt.Sprintf("test %d", time.Now().UnixNano()), "--role", "admin")
		key = keyPattern.FindString(out)
	}
	cmd := exec.Command(pulseBin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var logs lockedBuffer
	cmd.Stderr = &logs
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, out: &lockedBuffer{}, logs: &logs, done: make(chan error, 1), key: key}
	urlc, keyc := make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`serving on (http://\S+)`)
		for sc.Scan() {
			_, _ = s.out.Write([]byte(sc.Text() + "\n"))
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
			if m := regexp.MustCompile(`Admin API key: (\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				keyc <- m[1]
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.url = <-urlc:
		if demo {
			s.key = <-keyc
		}
	case err := <-s.done:
		t.Fatalf("serve exited: %v\n%s\n%s", err, s.out, logs.String())
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("serve did not start:\n%s\n%s", s.out, logs.String())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return s
}

// lockedBuffer is a buffer that serve's output goroutine writes while the
// test reads it.
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

// keyPattern matches an API key.
var keyPattern = regexp.MustCompile(`pulse_[A-Za-z0-9_-]{43}`)

// send posts a GraphQL request body with the server's admin key.
func (s *server) send(body []byte) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, s.url+"/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.key)
	return http.DefaultClient.Do(req)
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-s.done:
		require.NoError(t, err, "serve exits cleanly on SIGTERM")
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}
}

func (s *server) query(t *testing.T, q string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": q})
	resp, err := s.send(body)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	require.Nil(t, out["errors"], string(b))
	return out["data"].(map[string]any)
}

func TestServeDemoOnEmbeddedDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own PostgreSQL")
	}
	// The data folder must be reachable by the unprivileged user the
	// embedded server runs as when the tests run as root.
	dataDir, err := os.MkdirTemp("", "pulse-serve-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	env := append(os.Environ(), "DATABASE_URL=", "PULSE_DATA_DIR="+dataDir, "PULSE_PLUGIN_DIR=", "PULSE_SECRET_KEY=")

	s := startServe(t, env, "--demo", "--demo-size", "40")
	key := s.key
	require.Contains(t, s.out.String(), "GraphiQL: "+s.url+"/")
	data := s.query(t, `{ accounts(first: 5) { totalCount edges { node { name tier } } } }`)
	require.EqualValues(t, 40, data["accounts"].(map[string]any)["totalCount"])

	resp, err := http.Get(s.url + "/")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(page), "GraphiQL")

	// While serve runs, other commands use its embedded server.
	c := &cli{env: env}
	out := c.ok(t, "source", "list")
	require.Regexp(t, `demo\s+demo\s+on demand\s+succeeded`, out)

	s.stop(t)
	_, err = os.Stat(filepath.Join(dataDir, "pg", "postmaster.pid"))
	require.True(t, os.IsNotExist(err), "the embedded server stopped with serve")

	// The next start finds the data and does not load the demo twice.
	s = startServe(t, env, "--demo", "--demo-size", "40")
	require.Contains(t, s.out.String(), "demo data already loaded")
	require.Equal(t, key, s.key, "the saved key goes on working")
	data = s.query(t, `{ accounts(first: 1) { totalCount } }`)
	require.EqualValues(t, 40, data["accounts"].(map[string]any)["totalCount"])
	s.stop(t)
}
