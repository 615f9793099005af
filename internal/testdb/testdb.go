package testdb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pulseproject/pulse/pgembed"
)

const urlEnv = "PULSE_TEST_DATABASE_URL"

// localURLs is the conventional developer and CI server, in the databases
// such setups usually have.
var localURLs = []string{
	"postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
	"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
}

var (
	mainCalled atomic.Bool
	counter    atomic.Uint64

	setupOnce sync.Once
	adminURL  string // a database on the chosen server to run CREATE and DROP DATABASE from
	setupErr  error

	// embedded is guarded by embeddedMu because a signal may tear it down
	// while tests run.
	embeddedMu   sync.Mutex
	embedded     *pgembed.Server
	embeddedDir  string
	teardownOnce sync.Once
)

// Main runs the tests, then the package's own cleanups, then stops the
// embedded server if one was started, and exits with the tests' status.
// Call it from TestMain: testing has no other hook that runs after all
// tests of a package.
func Main(m *testing.M, cleanups ...func()) {
	mainCalled.Store(true)
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	teardown()
	os.Exit(code)
}

// New returns the URL of a fresh, empty database for this test, dropped in
// t.Cleanup.
func New(t testing.TB) string {
	t.Helper()
	// Without Main an embedded server would outlive the test binary, so
	// insist on it everywhere rather than only where no server runs.
	if !mainCalled.Load() {
		t.Fatal("testdb: call testdb.Main(m) from TestMain so that an embedded PostgreSQL started for the tests is stopped")
	}
	setupOnce.Do(func() { adminURL, setupErr = setup() })
	if setupErr != nil {
		t.Fatal(setupErr)
	}

	name := fmt.Sprintf("pulse_t_%d_%d_%s", os.Getpid(), counter.Add(1), strings.ToLower(rand.Text()[:8]))
	// Registered first, so that a database created by a failing
	// createDatabase is dropped too.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := adminExec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: dropping database %s: %v", name, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := createDatabase(ctx, name); err != nil {
		t.Fatalf("testdb: creating database %s: %v", name, err)
	}

	u, _ := url.Parse(adminURL) // setup checked that it parses
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

func setup() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := chooseServer(ctx)
	if err != nil {
		return "", err
	}
	dropLeftovers(ctx, admin)
	return admin, nil
}

func chooseServer(ctx context.Context) (string, error) {
	if admin := os.Getenv(urlEnv); admin != "" {
		// An explicitly configured server that fails is an error, not a
		// reason to quietly test against another one.
		u, err := url.Parse(admin)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return "", fmt.Errorf("testdb: %s must be a postgres:// URL", urlEnv)
		}
		if err := ping(ctx, admin); err != nil {
			return "", fmt.Errorf("testdb: server of %s: %w", urlEnv, err)
		}
		return admin, nil
	}
	for _, admin := range localURLs {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := ping(pctx, admin)
		cancel()
		if err == nil {
			return admin, nil
		}
	}
	return startEmbedded(ctx)
}

func ping(ctx context.Context, connURL string) error {
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func startEmbedded(ctx context.Context) (string, error) {
	reapEmbedded(ctx)
	// The pid in the name tells reapEmbedded whose server this is.
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-*", embeddedPrefix, os.Getpid()))
	if err != nil {
		return "", fmt.Errorf("testdb: %w", err)
	}
	s, err := pgembed.Start(ctx, pgembed.Options{DataDir: dir})
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("testdb: no server at %s and none reachable on 127.0.0.1:5432, so starting one: %w", urlEnv, err)
	}
	embeddedMu.Lock()
	embedded, embeddedDir = s, dir
	embeddedMu.Unlock()
	teardownOnSignal()
	return s.URL(), nil
}

// teardownOnSignal covers Ctrl-C, which kills the test binary before Main
// can tear down. The signal is raised again afterwards so that the binary
// still dies of it.
func teardownOnSignal() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		teardown()
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
	}()
}

func teardown() {
	teardownOnce.Do(func() {
		embeddedMu.Lock()
		defer embeddedMu.Unlock()
		if embedded == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := embedded.Stop(ctx); err != nil {
			// Keep the directory: removing it under a running server would
			// leave the server unreachable for reapEmbedded.
			fmt.Fprintln(os.Stderr, "testdb:", err)
			return
		}
		if err := os.RemoveAll(embeddedDir); err != nil {
			fmt.Fprintln(os.Stderr, "testdb:", err)
		}
	})
}

func createDatabase(ctx context.Context, name string) error {
	ident := pgx.Identifier{name}.Sanitize()
	// template0 because it is truly empty, and because nobody can connect to
	// it: CREATE DATABASE fails while its template has other sessions, and
	// any tool may be connected to template1.
	if err := adminExec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		return err
	}
	return adminExec(ctx, "COMMENT ON DATABASE "+ident+" IS '"+strings.ReplaceAll(marker(), "'", "''")+"'")
}

// adminExec runs one statement on its own connection: CREATE and DROP DATABASE
// are rare and cannot run inside a transaction, so pooling would buy little.
func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// marker tells databases made on this host from those of other hosts
// sharing the server, whose pids say nothing about liveness here.
func marker() string {
	host, _ := os.Hostname() // fails only on a broken system, where "" is as good a name as any
	return "pulse testdb on " + host
}

// processAlive counts a process we may not signal (EPERM) as alive.
func processAlive(pid int) bool {
	return pid > 0 && !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
