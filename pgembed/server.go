package pgembed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Options configures Start.
type Options struct {
	// DataDir is the folder Pulse owns; the cluster lives in DataDir/pg.
	// DefaultDataDir gives the usual one.
	DataDir string
	// BinDir holds initdb, pg_ctl and postgres; empty means FindBinaries.
	BinDir string
	// Port is the TCP port on 127.0.0.1; 0 reuses the port of the previous
	// run if it is free, else picks a free one.
	Port int
	// Logger receives lifecycle messages; nil discards them.
	Logger *slog.Logger
}

// Server is one user of a PostgreSQL server running on a DataDir: the one
// that started it (Started) or one that attached to it. The server runs
// while it has users; Stop of the last one stops it.
type Server struct {
	dataDir    string
	clusterDir string
	logPath    string
	binDir     string
	acct       *account // nil when the server runs as the current user
	logger     *slog.Logger
	started    bool
	// port never changes: KeepRunning restarts the server on it, so that
	// URL stays right for the connections made from it.
	port int

	// mu keeps Stop and KeepRunning's restarts apart; the data directory
	// lock keeps them apart from other processes.
	mu      sync.Mutex
	user    *os.File // this user's locked file in pg.users; nil once stopped
	stopped bool
}

const (
	// pgctlWait is pg_ctl's own wait limit; callers limit waiting through
	// ctx, so this only has to exceed any sensible deadline.
	pgctlWait = "3600"
	// settleTimeout bounds waiting for a server that someone else is
	// starting or stopping: alive, but not accepting connections.
	settleTimeout = time.Minute
	// portAttempts covers the race where another program takes the free
	// port between choosing it and postgres binding it.
	portAttempts = 3
)

// Start initialises the cluster if needed, starts PostgreSQL on 127.0.0.1,
// waits until it accepts connections and makes sure database pulse exists.
// If a server for opts.DataDir is already running it attaches instead. Either
// way the returned Server is a user of the server until its Stop.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("pgembed: Options.DataDir is empty (DefaultDataDir gives the usual one)")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	binDir := opts.BinDir
	if binDir == "" {
		if binDir, err = FindBinaries(); err != nil {
			return nil, err
		}
	} else if !hasBinaries(binDir) {
		return nil, fmt.Errorf("%w (BinDir %s lacks some of them)", ErrNoBinaries, binDir)
	} else if binDir, err = filepath.Abs(binDir); err != nil {
		// A relative path would be taken relative to the data directory,
		// where the commands run.
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	if acct != nil {
		if err := acct.makeReachable(dataDir); err != nil {
			return nil, err
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		dataDir:    dataDir,
		clusterDir: filepath.Join(dataDir, "pg"),
		logPath:    filepath.Join(dataDir, "pg.log"),
		binDir:     binDir,
		acct:       acct,
		logger:     logger.With("component", "pgembed", "dir", dataDir),
	}

	unlock, err := lockDataDir(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if err := s.registerUser(); err != nil {
		return nil, err
	}
	if err := s.startOrAttach(ctx, opts.Port); err != nil {
		s.releaseUser()
		return nil, err
	}
	return s, nil
}

// startOrAttach makes this user's server run, on port unless that is 0 or
// a server already runs; the data directory lock is held.
func (s *Server) startOrAttach(ctx context.Context, port int) error {
	running, err := s.attach(ctx)
	if err != nil {
		return err
	}
	if running == 0 {
		if s.port, err = s.start(ctx, port); err != nil {
			return err
		}
		s.started = true
		return nil
	}
	s.port = running
	if port != 0 && port != running {
		s.logger.Warn("server already running on another port; using it", "port", running, "requested", port)
	}
	return ensureDatabase(ctx, running)
}

// URL is a connection URL for database pulse as superuser postgres.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/pulse?sslmode=disable", s.port)
}

// Port is the TCP port the server listens on at 127.0.0.1.
func (s *Server) Port() int { return s.port }

// Started reports whether Start launched the server, rather than attaching
// to one already running.
func (s *Server) Started() bool { return s.started }

// Stop ends this Server's use of the server. If it was the last user, and
// Pulse started the server, Stop shuts the server down cleanly (pg_ctl stop
// -m fast) and waits for it; a server started outside Pulse is left running.
// It is safe to call more than once.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	unlock, err := lockDataDir(ctx, s.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	s.releaseUser()
	s.stopped = true
	others, err := s.otherUsers()
	if err != nil {
		return err
	}
	if len(others) > 0 {
		s.logger.Info("leaving PostgreSQL running for its other users", "pids", strings.Join(others, ","))
		return nil
	}
	if _, err := os.Stat(s.ownerPath()); errors.Is(err, fs.ErrNotExist) {
		s.logger.Info("leaving PostgreSQL running: it was started outside Pulse")
		return nil
	}
	// pg_ctl fails on a postmaster that died, and would wait forever for
	// one that died a zombie; the next Start clears up after either.
	state, _, _, err := s.postmaster()
	if err != nil {
		return err
	}
	if state == livePostmaster {
		if err := s.pgctlStop(ctx, "fast"); err != nil {
			return err
		}
	}
	if err := os.Remove(s.ownerPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgembed: %w", err)
	}
	if state == livePostmaster {
		s.logger.Info("stopped PostgreSQL: it has no other user")
	} else {
		s.logger.Info("PostgreSQL had already stopped")
	}
	return nil
}

type postmasterState int

const (
	noPostmaster postmasterState = iota
	stalePostmaster
	livePostmaster
)

// attach returns the port of the server already running on the cluster,
// or 0 when none runs. A stale postmaster.pid is removed because postgres
// refuses to start when the pid in it belongs to any live process, which
// after a crash can be a zombie or an unrelated process that reused the
// pid.
func (s *Server) attach(ctx context.Context) (int, error) {
	deadline := time.Now().Add(settleTimeout)
	for {
		state, pid, port, err := s.postmaster()
		if err != nil {
			return 0, err
		}
		switch state {
		case noPostmaster:
			return 0, nil
		case stalePostmaster:
			s.logger.Info("removing stale postmaster.pid", "pid", pid)
			if err := os.Remove(s.pidPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return 0, fmt.Errorf("pgembed: removing stale %s: %w", s.pidPath(), err)
			}
			return 0, nil
		}
		if port > 0 && ping(ctx, port) == nil {
			s.logger.Info("attached to running PostgreSQL", "pid", pid, "port", port)
			return port, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("pgembed: PostgreSQL (pid %d) on %s is running but has not accepted connections for %v%s",
				pid, s.clusterDir, settleTimeout, s.logTail())
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return 0, fmt.Errorf("pgembed: waiting for running PostgreSQL (pid %d) to accept connections: %w", pid, err)
		}
	}
}

// postmaster reads postmaster.pid; the port is 0 until postgres has written it.
func (s *Server) postmaster() (state postmasterState, pid, port int, err error) {
	b, err := os.ReadFile(s.pidPath())
	if errors.Is(err, fs.ErrNotExist) {
		return noPostmaster, 0, 0, nil
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("pgembed: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	// Start holds the lock while postgres writes the file, so an unreadable
	// pid means a crash left it truncated, not that it is being written.
	pid, err = strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || !processAlive(pid) || !s.servesCluster(pid) {
		return stalePostmaster, pid, 0, nil
	}
	if len(lines) > 3 {
		port, _ = strconv.Atoi(strings.TrimSpace(lines[3])) // 0 while not yet written
	}
	return livePostmaster, pid, port, nil
}

// servesCluster relies on postgres running with the data directory as its
// working directory. When that cannot be read (no /proc, or another user's
// process) it answers yes and leaves the decision to postgres.
func (s *Server) servesCluster(pid int) bool {
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return true
	}
	want, err := filepath.EvalSymlinks(s.clusterDir)
	return err != nil || cwd == want
}

// writeOwner marks the server as started by Pulse, so that the last user
// out stops it; the pid is for people reading the file.
func (s *Server) writeOwner() error {
	owner := fmt.Sprintf("%d\n", os.Getpid())
	if err := os.WriteFile(s.ownerPath(), []byte(owner), 0o644); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// start starts the server, on fixedPort unless that is 0, and returns its
// port.
func (s *Server) start(ctx context.Context, fixedPort int) (int, error) {
	if err := s.initCluster(ctx); err != nil {
		return 0, err
	}
	if s.acct != nil {
		if err := s.acct.chown(s.clusterDir); err != nil {
			return 0, err
		}
	}
	port := fixedPort
	if port == 0 {
		if port = s.rememberedPort(); port == 0 || !portFree(port) {
			var err error
			if port, err = freePort(); err != nil {
				return 0, err
			}
		}
	}
	if err := s.prepareLog(); err != nil {
		return 0, err
	}
	// Recorded before starting so that if this process dies while starting,
	// the last user of the server it leaves running still stops it.
	if err := s.writeOwner(); err != nil {
		return 0, err
	}
	for attempt := 1; ; attempt++ {
		err := s.pgctlStart(ctx, port)
		if err == nil {
			break
		}
		if fixedPort != 0 || attempt == portAttempts || portFree(port) {
			return 0, err
		}
		s.logger.Info("port taken while starting; retrying on another", "port", port)
		if port, err = freePort(); err != nil {
			return 0, err
		}
	}
	if err := ensureDatabase(ctx, port); err != nil {
		s.abort()
		return 0, err
	}
	s.logger.Info("started PostgreSQL", "port", port, "bin", s.binDir)
	return port, nil
}

// initCluster runs initdb into a scratch directory and renames it into
// place, so an interrupted initdb never leaves a half-made cluster behind.
func (s *Server) initCluster(ctx context.Context) error {
	_, err := os.Stat(filepath.Join(s.clusterDir, "PG_VERSION"))
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pgembed: %w", err)
	}
	if _, err := os.Stat(s.clusterDir); err == nil {
		return fmt.Errorf("pgembed: %s exists but is not a PostgreSQL cluster (no PG_VERSION); move it away to start afresh", s.clusterDir)
	}
	scratch := s.clusterDir + ".init"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("pgembed: removing leftover %s: %w", scratch, err)
	}
	// initdb cannot create the directory itself when it runs as another
	// user, because the parent is not theirs.
	if err := os.Mkdir(scratch, 0o700); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if s.acct != nil {
		if err := s.acct.chown(scratch); err != nil {
			return err
		}
	}
	s.logger.Info("initialising PostgreSQL cluster", "bin", s.binDir)
	out, err := s.run(ctx, "initdb", "-D", scratch, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions")
	if err != nil {
		return fmt.Errorf("pgembed: initdb: %w: %s", err, bytes.TrimSpace(out))
	}
	// pulse.conf is rewritten at every start; including it from
	// postgresql.conf keeps the settings in force for a manual pg_ctl too.
	conf, err := os.OpenFile(filepath.Join(scratch, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	_, err = fmt.Fprintf(conf, "\n# Added by Pulse.\ninclude = 'pulse.conf'\n")
	if cerr := conf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := os.Rename(scratch, s.clusterDir); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// pgctlStart relies on pg_ctl -w: it knows the postmaster's pid and gives
// up as soon as it exits, instead of waiting out a timeout.
func (s *Server) pgctlStart(ctx context.Context, port int) error {
	conf := fmt.Sprintf(`# Written by Pulse at every start; edits are lost.
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = ''
`, port)
	path := filepath.Join(s.clusterDir, "pulse.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := s.acct.chownFile(path); err != nil {
		return err
	}
	s.logger.Debug("starting PostgreSQL", "port", port)
	out, err := s.run(ctx, "pg_ctl", "start", "-D", s.clusterDir, "-l", s.logPath, "-w", "-t", pgctlWait, "-s")
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		// The postmaster is shutting down; wait until it is gone.
		s.abort()
		return fmt.Errorf("pgembed: starting PostgreSQL: %w", ctx.Err())
	}
	return fmt.Errorf("pgembed: pg_ctl start: %w: %s%s", err, bytes.TrimSpace(out), s.logTail())
}

func (s *Server) pgctlStop(ctx context.Context, mode string) error {
	out, err := s.run(ctx, "pg_ctl", "stop", "-D", s.clusterDir, "-m", mode, "-w", "-t", pgctlWait, "-s")
	if err == nil {
		return nil
	}
	if _, statErr := os.Stat(s.pidPath()); errors.Is(statErr, fs.ErrNotExist) {
		return nil // already stopped, by an administrator for instance
	}
	return fmt.Errorf("pgembed: pg_ctl stop: %w: %s%s", err, bytes.TrimSpace(out), s.logTail())
}

// abort stops a server this call started but cannot hand over; the caller's
// ctx may be what failed, so it gets its own.
func (s *Server) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.pgctlStop(ctx, "immediate"); err != nil {
		s.logger.Error("stopping PostgreSQL after failed start", "err", err)
		return
	}
	_ = os.Remove(s.ownerPath()) // the server is down, so an owner file only misleads
}

func (s *Server) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, name), args...)
	// The caller's working directory may be one the server user cannot
	// enter (/root), which PostgreSQL tools complain about.
	cmd.Dir = s.dataDir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.acct != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.acct.cred}
	}
	// Interrupted, pg_ctl start passes the interrupt on to the postmaster it
	// is waiting for, and initdb removes what it made; killed, they could not.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil && ctx.Err() != nil {
		// "signal: killed" would hide that the caller gave up.
		err = ctx.Err()
	}
	return out, err
}

func (s *Server) rememberedPort() int {
	b, err := os.ReadFile(filepath.Join(s.clusterDir, "pulse.conf"))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		key, value, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(key) == "port" {
			port, _ := strconv.Atoi(strings.TrimSpace(value))
			return port
		}
	}
	return 0
}

// prepareLog creates the log so that it belongs to the server user, who
// opens it for appending through pg_ctl.
func (s *Server) prepareLog() error {
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return s.acct.chownFile(s.logPath)
}

// logTail is appended to start and stop errors, since the reason is
// usually only in the server log.
func (s *Server) logTail() string {
	const maxBytes, maxLines = 4096, 20
	f, err := os.Open(s.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	buf := make([]byte, min(fi.Size(), maxBytes))
	n, _ := f.ReadAt(buf, fi.Size()-int64(len(buf)))
	lines := strings.Split(strings.TrimSpace(string(buf[:n])), "\n")
	lines = lines[max(0, len(lines)-maxLines):]
	return fmt.Sprintf("\nlast lines of %s:\n%s", s.logPath, strings.Join(lines, "\n"))
}

func (s *Server) pidPath() string   { return filepath.Join(s.clusterDir, "postmaster.pid") }
func (s *Server) ownerPath() string { return filepath.Join(s.dataDir, "pg.owner") }

func connect(ctx context.Context, port int, database string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=5", port, database))
}

func ping(ctx context.Context, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := connect(ctx, port, "postgres")
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// ensureDatabase checks before creating so the server log does not collect
// a "database already exists" error at every start.
func ensureDatabase(ctx context.Context, port int) error {
	conn, err := connect(ctx, port, "postgres")
	if err != nil {
		return fmt.Errorf("pgembed: connecting to PostgreSQL on port %d: %w", port, err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'pulse')").Scan(&exists); err != nil {
		return fmt.Errorf("pgembed: looking for database pulse: %w", err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE pulse")
	// Another process attached to the same server may have just created it.
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "42P04" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pgembed: creating database pulse: %w", err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgembed: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
