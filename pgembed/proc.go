package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// account is the OS user PostgreSQL runs as when Pulse runs as root.
type account struct {
	name string
	cred *syscall.Credential
}

// serverAccount returns nil when no user switch is needed: initdb and
// postgres refuse to run as root, and only root can switch users.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		u, err = user.Lookup("nobody")
	}
	if err != nil {
		return nil, fmt.Errorf("pgembed: PostgreSQL cannot run as root and neither user postgres nor nobody exists: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgembed: user %s: uid %q: %w", u.Username, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgembed: user %s: gid %q: %w", u.Username, u.Gid, err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	groups, _ := u.GroupIds() // without supplementary groups the user still works, it just reaches fewer directories
	for _, g := range groups {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil {
			cred.Groups = append(cred.Groups, uint32(n))
		}
	}
	return &account{name: u.Username, cred: cred}, nil
}

func (a *account) canSearch(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	switch {
	case st.Uid == a.cred.Uid:
		return st.Mode&0o100 != 0
	case st.Gid == a.cred.Gid || slices.Contains(a.cred.Groups, st.Gid):
		return st.Mode&0o010 != 0
	default:
		return st.Mode&0o001 != 0
	}
}

// makeReachable lets the server user into dataDir, and reports the first
// parent directory that still keeps it out. dataDir is Pulse's own folder,
// so granting search (not read) permission on it exposes nothing: the files
// inside keep their own modes. Parents belong to someone else and are only
// reported.
func (a *account) makeReachable(dataDir string) error {
	fi, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if !a.canSearch(fi) {
		if err := os.Chmod(dataDir, fi.Mode().Perm()|0o001); err != nil {
			return fmt.Errorf("pgembed: letting user %s into %s: %w", a.name, dataDir, err)
		}
	}
	resolved, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	var chain []string
	for p := resolved; ; p = filepath.Dir(p) {
		chain = append(chain, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for _, p := range slices.Backward(chain) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
		if !a.canSearch(fi) {
			return fmt.Errorf("pgembed: PostgreSQL runs as user %s, which cannot reach data directory %s: "+
				"%s (mode %v) is not searchable by it; use a data directory it can reach, "+
				"e.g. --data-dir or PULSE_DATA_DIR=/var/lib/pulse or /tmp/pulse", a.name, dataDir, p, fi.Mode().Perm())
		}
	}
	return nil
}

// chown hands dir to the server user, recursively if it is not already
// theirs (a cluster created by an earlier non-root run, for instance).
func (a *account) chown(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == a.cred.Uid && st.Gid == a.cred.Gid {
		return nil
	}
	err = filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(a.cred.Uid), int(a.cred.Gid))
	})
	if err != nil {
		return fmt.Errorf("pgembed: handing %s to user %s: %w", dir, a.name, err)
	}
	return nil
}

// chownFile is for single files Pulse writes that the server must write
// or read; a nil account means no switch, so nothing to do.
func (a *account) chownFile(path string) error {
	if a == nil {
		return nil
	}
	if err := os.Chown(path, int(a.cred.Uid), int(a.cred.Gid)); err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	return nil
}

// processAlive treats zombies as dead: an orphaned postmaster killed with
// SIGKILL stays a zombie when PID 1 does not reap (common in containers),
// and kill(pid, 0) still succeeds on it.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	fields := procStatFields(pid)
	return len(fields) == 0 || fields[0] != "Z"
}

// procStatFields returns /proc/PID/stat after the command name (so field 3,
// the state, comes first), or nil where /proc is unavailable.
func procStatFields(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	// The command name is in parentheses and may itself contain spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// lockDataDir serialises Start and Stop across processes so that two of them
// never both decide to start (or one to stop while another attaches).
func lockDataDir(ctx context.Context, dataDir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dataDir, "pg.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgembed: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("pgembed: locking %s: %w", f.Name(), err)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("pgembed: waiting for another process to finish starting or stopping the server in %s: %w", dataDir, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
